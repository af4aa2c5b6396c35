"""Ground truth: for every token situation, what sso-doctor predicts is what the real botocore does.

Our verdict (token_cache.assess: works / refreshes / login) is computed first, read-only. Then a
subprocess runs botocore's real credential chain for each profile, with HOME pointing at the same
temporary home (so botocore's module-level cache directory is right) and the SSO portal and OIDC
endpoints pointing at the wire-compatible fake. botocore may write refreshed tokens into that
temporary cache: that is botocore, not us.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakes.sso_server import FakeSso
from sso_doctor.context import Context, RunSettings
from sso_doctor.loaders import token_cache as tc
from token_cases import ACCOUNT, CASES, ROLE, Case, write_home



def _now() -> dt.datetime:
    # When the tokens are written, not when the module was imported: the suite may reach this module
    # minutes after collection, and the "inside the refresh window" cases expire 5 minutes after `now`.
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


BOTOCORE_SCRIPT = r"""
import json, sys
import botocore.session
out = {}
for name in sys.argv[1:]:
    session = botocore.session.Session(profile=name)
    try:
        creds = session.get_credentials()
        if creds is None:
            out[name] = {"ok": False, "error": "NoCredentials"}
        else:
            creds.get_frozen_credentials()
            out[name] = {"ok": True}
    except Exception as e:
        out[name] = {"ok": False, "error": type(e).__name__, "message": str(e)[:300]}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    home = tmp_path_factory.mktemp("botocore-home")
    cache = write_home(home, CASES, _now())

    with FakeSso() as fake:
        for c in CASES:
            fake.add_token(c.access_token, {ACCOUNT: ("dev", [ROLE])})
            fake.add_refresh_token(c.refresh_token, c.client_id, c.client_secret)
        env = {
            "HOME": str(home),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_ENDPOINT_URL_SSO": fake.url,
            "AWS_ENDPOINT_URL_SSO_OIDC": fake.url,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        # Ours first, read-only, at the same instant the tokens were written for.
        ctx = Context(RunSettings(all_profiles=True), env=env, now=dt.datetime.now(dt.timezone.utc))
        ours = {}
        for g in tc.group_profiles(ctx.selected_sso(), ctx.config.sso_sessions):
            state = tc.assess(ctx.token_cache.file(g.key), legacy=g.legacy, now=ctx.now,
                              directory=ctx.token_cache.directory)
            for name in g.profile_names:
                ours[name] = state
        before = {p.name: p.read_bytes() for p in cache.iterdir() if p.is_file()}

        proc = subprocess.run([sys.executable, "-c", BOTOCORE_SCRIPT, *[c.name for c in CASES]],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        results = json.loads(proc.stdout)
        refreshed = {r.body.get("refreshToken") for r in fake.state.requests if r.path == "/token" and r.body}
    return {"ours": ours, "botocore": results, "refreshed": refreshed, "cache": cache, "before": before}


def _botocore_verdict(outcome, c: Case) -> str:
    result = outcome["botocore"][c.name]
    if not result["ok"]:
        return "login"
    return "refreshes" if c.refresh_token in outcome["refreshed"] else "works"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_our_verdict_is_what_botocore_does(outcome, case):
    ours = outcome["ours"][case.name]
    theirs = _botocore_verdict(outcome, case)
    detail = outcome["botocore"][case.name]
    assert (ours.verdict, theirs) == (case.expected, case.expected), (ours, detail)


def test_botocore_fails_with_the_errors_our_rules_quote(outcome):
    got = outcome["botocore"]
    assert "Token for missing-file does not exist" in got["missing-file"]["message"]
    assert got["truncated-file"]["error"] == "KeyError"  # aws-facts: a bare KeyError, not a botocore error
    assert "is invalid" in got["json-array"]["message"]
    assert "Token has expired and refresh failed" in got["expired-registration-expired"]["message"]
    assert got["expired-legacy"]["error"] == "UnauthorizedSSOTokenError"
    # A directory with the token's name is "missing" to botocore (os.path.isfile).
    assert "does not exist" in got["directory-named-like-token"]["message"]


def test_refresh_writes_are_botocores_not_ours(outcome):
    """Only the refreshable cases' files changed: our read of them (before botocore ran) wrote nothing."""
    cache, before = outcome["cache"], outcome["before"]
    changed = {Path(n).stem for n, data in before.items() if (cache / n).read_bytes() != data}
    want = {c.key for c in CASES if c.expected == "refreshes"}
    assert changed == want


def test_botocore_creates_a_listable_cache_dir_with_private_files(tmp_path):
    """Why SSO207 does not flag a 0755 cache directory: botocore itself makes one under umask 022."""
    from botocore.utils import JSONFileCache

    old = os.umask(0o022)
    try:
        JSONFileCache(str(tmp_path / ".aws" / "sso" / "cache"))["k"] = {"accessToken": "x" * 20}
    finally:
        os.umask(old)
    cache_dir = tmp_path / ".aws" / "sso" / "cache"
    assert cache_dir.stat().st_mode & 0o777 == 0o755
    assert (cache_dir / "k.json").stat().st_mode & 0o777 == 0o600

    from sso_doctor.rules import tokens

    ctx = Context(env={"HOME": str(tmp_path)})
    assert tokens.token_cache_permissions.check(ctx) == []


CLI_CACHE_SCRIPT = r"""
import os, sys
import botocore.session
from botocore.utils import JSONFileCache
for name in sys.argv[1:]:
    session = botocore.session.Session(profile=name)
    # What AWS CLI v2 does: SSO role credentials cached in ~/.aws/cli/cache.
    provider = session.get_component("credential_provider").get_provider("sso")
    provider.cache = JSONFileCache(os.path.expanduser("~/.aws/cli/cache"))
    session.get_credentials().get_frozen_credentials()
"""


def test_role_credentials_key_is_the_file_botocore_writes(tmp_path):
    """SSO211 looks up ~/.aws/cli/cache by the name botocore's SSOCredentialFetcher gives the file."""
    cases = [c for c in CASES if c.name in ("valid-session", "valid-legacy")]
    write_home(tmp_path, cases, _now())
    with FakeSso() as fake:
        for c in cases:
            fake.add_token(c.access_token, {ACCOUNT: ("dev", [ROLE])})
        env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_ENDPOINT_URL_SSO": fake.url,
               "AWS_ENDPOINT_URL_SSO_OIDC": fake.url}
        proc = subprocess.run([sys.executable, "-c", CLI_CACHE_SCRIPT, *[c.name for c in cases]], env=env,
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in (tmp_path / ".aws" / "cli" / "cache").iterdir())
    ours = sorted(tc.role_credentials_key(c.start_url, None if c.legacy else c.name, ACCOUNT, ROLE) + ".json"
                  for c in cases)
    assert written == ours
    ctx = Context(env={"HOME": str(tmp_path)})
    assert {r.kind for r in ctx.token_cache.role_credentials.values()} == {"sso"}
