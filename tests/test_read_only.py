"""`check` and `sessions` never write under HOME and never refresh a token.

The home holds every token situation, among them expired and nearly expired refreshable tokens whose
refresh the fake OIDC server would accept, and AWS_ENDPOINT_URL_SSO_OIDC points at it. A botocore
call in the same setup would refresh (test_tokens_botocore proves it); sso-doctor must not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import guarded_env
from fakes.sso_server import FakeSso
from token_cases import ACCOUNT, CASES, ROLE, write_home



def _now() -> dt.datetime:
    # When the tokens are written, not when the module was imported: the suite may reach this module
    # minutes after collection, and the "inside the refresh window" cases expire 5 minutes after `now`.
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root with its type, mode, owner, size, mtime and content hash."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else None
            out[str(p.relative_to(root))] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, digest)
    return out


@pytest.fixture
def servers():
    with FakeSso() as oidc, FakeSso() as portal:
        for c in CASES:
            for fake in (oidc, portal):
                fake.add_token(c.access_token, {ACCOUNT: ("dev", [ROLE])})
                fake.add_refresh_token(c.refresh_token, c.client_id, c.client_secret)
        yield oidc, portal


def test_check_and_sessions_leave_home_untouched_and_refresh_nothing(tmp_path, servers):
    oidc, portal = servers
    home = tmp_path / "home"
    write_home(home, CASES, _now())
    assert any(c.expected == "refreshes" for c in CASES)
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL_SSO_OIDC": oidc.url,
        "AWS_ENDPOINT_URL_SSO": portal.url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
        # Everything else the online checks would reach (start-URL hosts, STS) goes to a closed
        # loopback port, so the run stays on this machine; the guard proves it.
        "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env = guarded_env(env)
    before = snapshot(home)
    runs = [
        ["check", "--all-profiles", "--timeout", "3"],
        ["check", "--profile", "expired-refreshable", "--offline", "--format", "json", "-v"],
        ["sessions"],
    ]
    for args in runs:
        proc = subprocess.run([sys.executable, "-m", "sso_doctor", *args], env=env, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert "NETWORK-ESCAPE" not in proc.stderr, proc.stderr
    assert snapshot(home) == before
    # The online probe may GET the OIDC host (no credentials), and SSO508 may take the first, credential-free
    # step of a device login (RegisterClient, StartDeviceAuthorization) to learn the home region. Nothing
    # else: a refresh would POST /token.
    allowed = {("GET", "/"), ("POST", "/client/register"), ("POST", "/device_authorization")}
    assert [r for r in oidc.state.requests if (r.method, r.path) not in allowed] == [], \
        "sso-doctor called SSO-OIDC beyond a connectivity probe and the home-region check (a token refresh?)"
    assert not any(r.path == "/token" for r in oidc.state.requests)
    assert all("x-amz-sso_bearer_token" not in r.headers for r in oidc.state.requests), "the probe sent a credential"
    # The home-region check sends the start URL and the public client it just registered, nothing cached
    issued = set(oidc.state.registered_clients.items())
    for r in oidc.state.requests:
        if r.path == "/client/register":
            assert set(r.body or {}) <= {"clientName", "clientType", "scopes"}, r.body
        elif r.path == "/device_authorization":
            assert set(r.body or {}) == {"clientId", "clientSecret", "startUrl"}, r.body
            assert (r.body["clientId"], r.body["clientSecret"]) in issued, "a cached client secret was sent"
        else:
            assert r.body is None, "the probe sent a body"
    assert "/token" not in portal.paths()
