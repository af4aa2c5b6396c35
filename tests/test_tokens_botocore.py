"""Ground truth: for every token situation, what sso-doctor predicts is what the real botocore does.

Our verdict (token_cache.assess: works / refreshes / login) is computed first, read-only. Then a
subprocess runs botocore's real credential chain for each profile, with HOME pointing at the same
temporary home (so botocore's module-level cache directory is right) and the SSO portal and OIDC
endpoints pointing at the wire-compatible fake. botocore may write refreshed tokens into that
temporary cache: that is botocore, not us.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakes.sso_server import FakeSso
from sso_doctor.context import Context, RunSettings
from sso_doctor.loaders import token_cache as tc

ACCOUNT = "111111111111"
ROLE = "Admin"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _stamp(delta: dt.timedelta, suffix: str = "Z") -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%S") + suffix


@dataclass
class Case:
    name: str
    expected: str  # works / refreshes / login
    legacy: bool = False
    expires: dt.timedelta | None = dt.timedelta(hours=2)
    suffix: str = "Z"
    refresh: bool = False
    registration: dt.timedelta = dt.timedelta(days=60)
    registration_text: str | None = None
    drop: tuple[str, ...] = ()
    raw: str | bytes | None = None  # file content instead of a token
    directory: bool = False  # a directory with the token's file name
    missing: bool = False

    @property
    def start_url(self) -> str:
        n = CASES.index(self)
        return f"https://d-90000000{n:02d}.awsapps.com/start"

    @property
    def key(self) -> str:
        return hashlib.sha1((self.start_url if self.legacy else self.name).encode()).hexdigest()

    @property
    def access_token(self) -> str:
        return f"access-{self.name}"

    @property
    def refresh_token(self) -> str:
        return f"refresh-{self.name}"


H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
CASES = [
    Case("valid-session", "works", refresh=True),
    Case("valid-legacy", "works", legacy=True),
    Case("valid-utc-suffix", "works", legacy=True, suffix="UTC"),
    Case("expired-legacy", "login", legacy=True, expires=-2 * H),
    Case("expired-legacy-utc-suffix", "login", legacy=True, expires=-2 * H, suffix="UTC"),
    Case("expired-refreshable", "refreshes", refresh=True, expires=-2 * H),
    Case("expired-refreshable-utc-suffix", "refreshes", refresh=True, expires=-2 * H, suffix="UTC"),
    Case("expired-registration-expired", "login", refresh=True, expires=-2 * H, registration=-dt.timedelta(days=1)),
    Case("expired-missing-refresh-fields", "login", refresh=True, expires=-2 * H, drop=("refreshToken", "clientSecret")),
    Case("expired-no-refresh-fields", "login", expires=-2 * H),
    Case("window-refreshable", "refreshes", refresh=True, expires=5 * M),
    Case("window-legacy", "works", legacy=True, expires=5 * M),
    Case("window-missing-refresh-fields", "works", refresh=True, expires=5 * M, drop=("clientId",)),
    Case("window-registration-expired", "works", refresh=True, expires=5 * M, registration=-dt.timedelta(days=1)),
    Case("window-registration-unparseable", "login", refresh=True, expires=5 * M, registration_text="soon"),
    Case("outside-window-registration-unparseable", "works", refresh=True, expires=20 * M,
         registration_text="soon"),
    Case("missing-file", "login", missing=True),
    Case("missing-file-legacy", "login", legacy=True, missing=True),
    Case("corrupt-file", "login", raw='{"accessToken": "access-corrupt-file", "expiresAt'),
    Case("binary-file", "login", legacy=True, raw=bytes(range(256))),
    Case("json-array", "login", raw="[]"),
    Case("no-access-token", "login", raw=json.dumps({"expiresAt": "2099-01-01T00:00:00Z"})),
    Case("expires-at-without-zone", "login", legacy=True, suffix=""),
    Case("expires-at-garbage", "login", raw=json.dumps({"accessToken": "access-expires-at-garbage",
                                                        "expiresAt": "whenever"})),
    Case("directory-named-like-token", "login", directory=True),
]


def _config(cases: list[Case]) -> str:
    out = []
    for c in cases:
        out.append(f"[profile {c.name}]")
        if c.legacy:
            out.append(f"sso_start_url = {c.start_url}\nsso_region = us-east-1")
        else:
            out.append(f"sso_session = {c.name}")
        out.append(f"sso_account_id = {ACCOUNT}\nsso_role_name = {ROLE}\nregion = us-east-1\n")
        if not c.legacy:
            out.append(f"[sso-session {c.name}]\nsso_start_url = {c.start_url}\nsso_region = us-east-1\n")
    return "\n".join(out)


def _write_cache(cache: Path, c: Case) -> None:
    path = cache / f"{c.key}.json"
    if c.missing:
        return
    if c.directory:
        path.mkdir()
        return
    if c.raw is not None:
        (path.write_bytes if isinstance(c.raw, bytes) else path.write_text)(c.raw)
        return
    assert c.expires is not None
    token = {"startUrl": c.start_url, "region": "us-east-1", "accessToken": c.access_token,
             "expiresAt": _stamp(c.expires, c.suffix)}
    if c.refresh:
        token.update(refreshToken=c.refresh_token, clientId=f"client-{c.name}", clientSecret=f"secret-{c.name}",
                     registrationExpiresAt=c.registration_text or _stamp(c.registration))
    for k in c.drop:
        token.pop(k)
    path.write_text(json.dumps(token))
    path.chmod(0o600)


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
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (home / ".aws" / "config").write_text(_config(CASES))
    for c in CASES:
        _write_cache(cache, c)

    with FakeSso() as fake:
        for c in CASES:
            fake.add_token(c.access_token, {ACCOUNT: ("dev", [ROLE])})
            fake.add_refresh_token(c.refresh_token, f"client-{c.name}", f"secret-{c.name}")
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
    assert got["corrupt-file"]["error"] == "KeyError"  # aws-facts: a bare KeyError, not a botocore error
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
