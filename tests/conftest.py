from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """A controlled environment: a temp HOME, no AWS or proxy variables from the developer's machine."""
    for k in list(os.environ):
        if k.startswith(("AWS_", "SSO_DOCTOR_")) or k.lower().endswith("_proxy") or k in (
            "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
            "XDG_CONFIG_HOME", "GITHUB_WORKSPACE"):  # the user settings file and the CI workspace
            monkeypatch.delenv(k, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    # no `aws` from the developer's machine either: an empty PATH of our own
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    return home
