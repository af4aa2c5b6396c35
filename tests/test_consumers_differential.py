"""SSO8xx against the real consumers: botocore, boto3 and awscli v1 from PyPI, and
@aws-sdk/credential-provider-sso from npm, each at both sides of its [sso-session] boundary.

Each test asks the real consumer whether it can load the profile (offline: no token exists, so a
consumer that accepts the profile stops at the token read, before any network call) and holds
sso-doctor's verdict for the same machine to its answer. The installs are made once and cached
(SSO_DOCTOR_TEST_CACHE, else $XDG_CACHE_HOME, else the temp dir); a registry that cannot be reached
skips these tests with the reason.

Runtime: ~35 s on first use (PyPI + npm downloads), ~6 s with the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from test_scenarios import run_cli

CACHE = Path(os.environ.get("SSO_DOCTOR_TEST_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or tempfile.gettempdir()) / "sso-doctor-test-consumers")
SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"

SESSION_CONFIG = """\
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""
HYBRID_CONFIG = """\
[profile dev]
sso_session = corp
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
"""

BOTOCORE_DEPS = ("jmespath", "python-dateutil<3", "six", "urllib3<1.27")
PY_SIDES = {
    # boundary side: (botocore, boto3, awscli) — awscli 1.27.x pins botocore 1.29.x of the same patch
    "old": ("1.29.9", "1.26.9", "1.27.9"),
    "new": ("1.29.10", "1.26.10", "1.27.10"),
}
NPM_SIDES = {"old": "3.208.0", "new": "3.209.0"}


def _pip_target(name: str, packages: list[str]) -> Path:
    """A real virtualenv (no pip of its own) with `packages` installed from PyPI, cached across sessions."""
    venv = CACHE / name
    if (venv / ".complete").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                        "--target", str(venv / SITE), *packages], capture_output=True, text=True, timeout=600, check=False)
    if r.returncode != 0:
        pytest.skip(f"cannot install {packages} from PyPI: {r.stderr.strip()[-300:]}")
    (venv / ".complete").write_text("ok")
    return venv


@pytest.fixture(scope="session")
def botocore_venvs() -> dict[str, Path]:
    """venvs holding only botocore (+ its dependencies) at 1.29.9 and 1.29.10."""
    return {side: _pip_target(f"botocore-{bc}", [f"botocore=={bc}", *BOTOCORE_DEPS])
            for side, (bc, _, _) in PY_SIDES.items()}


@pytest.fixture(scope="session")
def cli_venvs() -> dict[str, Path]:
    """venvs holding awscli v1 + boto3 + botocore of one release train (awscli 1.27.9 pins botocore 1.29.9)."""
    return {side: _pip_target(f"awscli-{cli}", [f"awscli=={cli}", f"boto3=={b3}", f"botocore=={bc}", "s3transfer==0.6.0",
                                                *BOTOCORE_DEPS, "docutils<0.17", "colorama<0.4.5", "rsa", "pyasn1",
                                                "PyYAML"])
            for side, (bc, b3, cli) in PY_SIDES.items()}


@pytest.fixture(scope="session")
def npm_projects() -> dict[str, Path]:
    """npm projects with a real package-lock.json: @aws-sdk/credential-provider-sso at 3.208.0 and 3.209.0."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed")
    out = {}
    for side, version in NPM_SIDES.items():
        project = CACHE / f"npm-credential-provider-sso-{version}"
        if not (project / ".complete").exists():
            shutil.rmtree(project, ignore_errors=True)
            project.mkdir(parents=True)
            (project / "package.json").write_text('{"name": "probe", "version": "1.0.0", "private": true}\n')
            r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                                f"@aws-sdk/credential-provider-sso@{version}"], cwd=project, capture_output=True,
                               text=True, timeout=600, check=False)
            if r.returncode != 0:
                pytest.skip(f"cannot install @aws-sdk/credential-provider-sso@{version} from npm: {r.stderr[-300:]}")
            (project / ".complete").write_text("ok")
        out[side] = project
    return out


def _home(tmp_path: Path, config: str) -> Path:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(config)
    return home


def _consumer_env(home: Path) -> dict[str, str]:
    # Nothing of the developer's AWS setup; no instance metadata lookups (they would be network calls).
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "AWS_EC2_METADATA_DISABLED": "true"}


BOTOCORE_PROBE = textwrap.dedent("""
    import hashlib, json, sys
    import botocore.session, botocore.utils

    asked = []
    class Stop(Exception):
        pass

    def record(self, *args, **kwargs):
        # which cache key the real botocore reads the token under; stop before any network call
        key = original(self, *args, **kwargs)
        asked.append(key)
        raise Stop()

    original = botocore.utils.SSOTokenLoader._generate_cache_key
    botocore.utils.SSOTokenLoader._generate_cache_key = record
    out = {"version": botocore.__version__}
    try:
        if sys.argv[2] == "boto3":
            import boto3
            creds = boto3.Session(profile_name=sys.argv[1]).get_credentials()
        else:
            provider = botocore.session.Session(profile=sys.argv[1]).get_component("credential_provider")
            creds = provider.get_provider("sso").load()
        creds.get_frozen_credentials()
        out["verdict"] = "loaded"
    except Stop:
        out["verdict"] = "token-read"
    except Exception as e:
        out["verdict"] = "config-error"
        out["error"] = str(e)
    out["cache_key"] = asked[0] if asked else None
    print(json.dumps(out))
""")


def _ask_botocore(venv: Path, home: Path, via: str = "botocore") -> dict:
    r = subprocess.run([str(venv / "bin" / "python"), "-c", BOTOCORE_PROBE, "dev", via], env=_consumer_env(home),
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _check(home: Path, **env: str) -> dict:
    full = {"HOME": str(home), "PATH": "/nonexistent", "LANG": "C.UTF-8", "AWS_PROFILE": "dev",
            "SSO_DOCTOR_CWD": str(home), **env}
    result = run_cli(["check", "--offline", "--format", "json", "--select", "SSO8"], full)
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def _ids(doc: dict) -> list[str]:
    return [f["rule_id"] for f in doc["findings"]]


@pytest.mark.parametrize("side", ["old", "new"])
def test_botocore_in_a_virtualenv_agrees_with_sso801(side, botocore_venvs, tmp_path):
    """Acceptance: an active virtualenv with botocore 1.29.9 gives SSO801 naming 1.29.9 and the fix,
    with the error text botocore itself prints; 1.29.10 gives no SSO8xx finding."""
    home = _home(tmp_path, SESSION_CONFIG)
    venv = botocore_venvs[side]
    real = _ask_botocore(venv, home)
    doc = _check(home, VIRTUAL_ENV=str(venv))
    version = PY_SIDES[side][0]
    assert real["version"] == version
    if real["verdict"] == "config-error":
        assert side == "old"
        assert _ids(doc) == ["SSO801"]
        finding = doc["findings"][0]
        assert version in finding["message"]
        assert real["error"] in finding["message"]  # the exact text this botocore printed
        assert any("pip install -U 'botocore>=1.29.10'" in c["command"] for c in finding["fix"]["commands"])
        assert finding["location"]["path"] == str(venv / SITE / f"botocore-{version}.dist-info" / "METADATA")
    else:
        assert (side, real["verdict"]) == ("new", "token-read")
        assert real["cache_key"] == hashlib.sha1(b"corp").hexdigest()  # the sso-session key
        assert _ids(doc) == []


@pytest.mark.parametrize("side", ["old", "new"])
def test_hybrid_profile_cache_key_agrees_with_sso806(side, botocore_venvs, tmp_path):
    """A hybrid profile (sso_session plus its own start URL and region): the real botocore 1.29.9 loads it
    and reads the token under the start-URL key, which `aws sso login` with the session does not write."""
    home = _home(tmp_path, HYBRID_CONFIG)
    venv = botocore_venvs[side]
    real = _ask_botocore(venv, home)
    assert real["verdict"] == "token-read"
    doc = _check(home, VIRTUAL_ENV=str(venv))
    reads_start_url_key = real["cache_key"] == hashlib.sha1(b"https://example.awsapps.com/start").hexdigest()
    assert reads_start_url_key == (side == "old")
    assert _ids(doc) == (["SSO806"] if reads_start_url_key else [])


@pytest.mark.parametrize("side", ["old", "new"])
def test_boto3_and_awscli_v1_agree(side, cli_venvs, tmp_path):
    """boto3 1.26.9/1.26.10 and the real `aws` of awscli 1.27.9/1.27.10, in one environment."""
    home = _home(tmp_path, SESSION_CONFIG)
    venv = cli_venvs[side]
    via_boto3 = _ask_botocore(venv, home, via="boto3")
    cli = subprocess.run([str(venv / "bin" / "python"), "-m", "awscli", "sts", "get-caller-identity"],
                         env={**_consumer_env(home), "AWS_PROFILE": "dev"}, capture_output=True, text=True, timeout=120,
                         check=False)
    doc = _check(home, VIRTUAL_ENV=str(venv))
    if side == "old":
        assert via_boto3["verdict"] == "config-error"
        assert cli.returncode != 0 and "is configured to use SSO but is missing required configuration" in cli.stderr
        # One finding for the environment, for the tool a person runs there: awscli v1, with its own fix.
        assert _ids(doc) == ["SSO801"]
        finding = doc["findings"][0]
        assert "AWS CLI v1" in finding["message"] and "1.27.9" in finding["message"]
        assert cli.stderr.strip() in finding["message"]
        assert any("pip install -U 'awscli>=1.27.10'" in c["command"] for c in finding["fix"]["commands"])
    else:
        assert via_boto3["verdict"] == "token-read"
        # the real CLI got past the profile and stopped at the missing token: no network call was made
        assert "Error loading SSO Token: Token for corp does not exist" in cli.stderr
        assert _ids(doc) == []


@pytest.mark.parametrize("side", ["old", "new"])
def test_js_v3_credential_provider_sso_agrees(side, npm_projects, tmp_path):
    """@aws-sdk/credential-provider-sso 3.208.0 / 3.209.0, read from the real package-lock.json npm wrote."""
    home = _home(tmp_path, SESSION_CONFIG)
    project = npm_projects[side]
    script = ('const { fromSSO } = require("@aws-sdk/credential-provider-sso");'
              'fromSSO({ profile: "dev" })().then(() => console.log(JSON.stringify({verdict: "loaded"})))'
              '.catch((e) => console.log(JSON.stringify({verdict: "error", message: e.message})));')
    r = subprocess.run(["node", "-e", script], cwd=project, env=_consumer_env(home), capture_output=True, text=True,
                       timeout=60, check=False)
    real = json.loads(r.stdout)
    assert real["verdict"] == "error"  # no token exists: neither side may get further
    rejects_profile = real["message"].startswith("Profile is configured with invalid SSO credentials")
    doc = _check(home, SSO_DOCTOR_CWD=str(project))
    assert rejects_profile == (side == "old")
    if rejects_profile:
        assert _ids(doc) == ["SSO801"]
        finding = doc["findings"][0]
        assert finding["location"]["path"] == str(project / "package-lock.json")
        assert NPM_SIDES["old"] in finding["message"] and "3.209.0" in finding["message"]
        first_sentence = real["message"].split(" Got ")[0]
        assert first_sentence in finding["message"]
    else:
        assert "SSO session" in real["message"]  # past the profile, at the token read
        assert _ids(doc) == []
