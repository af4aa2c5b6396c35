"""The token-cache loader on real (and, for permissions, fake or other-user) files: bad input becomes
facts, never exceptions; the rules turn those facts into SSO206/SSO208."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sso_doctor.context import Context, RunSettings
from sso_doctor.loaders import token_cache as tc
from sso_doctor.redact import MASK, Secrets
from sso_doctor.rules import tokens
from token_cases import session_config
from conftest import windows_essentials

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
URL = "https://d-1234567890.awsapps.com/start"
SESSION_CONFIG = session_config(URL)
CORP = tc.token_cache_key(URL, "corp")
TOKEN = {"startUrl": URL, "region": "us-east-1", "accessToken": "access-token-value",
         "expiresAt": "2026-11-26T20:00:00Z"}


NEEDS_ROOT = pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0),
                                reason="gives files to another owner (os.chown): needs root, which CI runners are not")
AS_NOBODY = pytest.mark.skipif(not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv")),
                               reason="runs the CLI as uid 65534 through setpriv (util-linux): needs root on Linux")


def test_cache_keys_are_botocores():
    import hashlib

    assert CORP == hashlib.sha1(b"corp").hexdigest()
    assert tc.token_cache_key(URL, None) == hashlib.sha1(URL.encode()).hexdigest()
    assert tc.token_cache_key(URL + "/", None) != tc.token_cache_key(URL, None)


@pytest.mark.parametrize("content, kind, problem", [
    (json.dumps(TOKEN)[:40], "corrupt", "not valid JSON"),
    ("[" + json.dumps(TOKEN) + "]", "corrupt", "JSON array, not an object"),
    ("5", "corrupt", "JSON number"),
    ('"accessToken expiresAt"', "corrupt", "JSON string"),
    ("null", "corrupt", "JSON null"),
    (bytes(range(256)) * 8, "corrupt", "not text in the locale encoding"),
    (b"", "corrupt", "empty"),
    (b" \n\t", "corrupt", "empty"),
    (b"\xef\xbb\xbf" + json.dumps(TOKEN).encode(), "corrupt", "BOM"),
    (json.dumps({"clientId": "c", "clientSecret": "s" * 20, "expiresAt": "2027-01-01T00:00:00Z",
                 "scopes": ["sso:account:access"]}), "registration", None),
    (json.dumps({"something": "else"}), "foreign", None),
    (json.dumps(TOKEN), "token", None),
])
def test_file_content_becomes_a_kind(tmp_path, content, kind, problem):
    path = tmp_path / "x.json"
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    f = tc.read_token_file(path, Secrets())
    assert f.kind == kind
    if problem:
        assert problem in (f.problem or "")
    else:
        assert f.problem is None


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows), FIFOs')
def test_special_files_never_hang_or_raise(tmp_path):
    (tmp_path / "dir.json").mkdir()
    os.mkfifo(tmp_path / "fifo.json")  # opening it would block forever
    os.symlink("loop.json", tmp_path / "loop.json")
    os.symlink("nowhere", tmp_path / "dangling.json")
    os.symlink("/dev/zero", tmp_path / "zero.json")
    with open(tmp_path / "huge.json", "wb") as f:
        f.truncate(tc.MAX_CACHE_FILE_BYTES + 1)  # sparse: cheap to make
    kinds = {p.name: tc.read_token_file(p, Secrets()) for p in tmp_path.iterdir()}
    assert kinds["dir.json"].kind == "not-a-file" and "directory" in kinds["dir.json"].problem
    assert kinds["fifo.json"].kind == "not-a-file"
    assert kinds["zero.json"].kind == "not-a-file"
    assert kinds["loop.json"].kind == "unreadable" and "loop" in kinds["loop.json"].problem
    assert kinds["dangling.json"].kind == "dangling"
    assert kinds["huge.json"].kind == "too-large"


@pytest.mark.parametrize("text, expected", [
    ("2026-11-26T12:00:00Z", NOW),
    ("2026-11-26T12:00:00UTC", NOW),  # CLI v2 before 2.1.14
    ("2026-11-26T13:00:00+01:00", NOW),
    ("2026-11-26T12:00:00.000Z", NOW),
])
def test_times_parse_as_botocore_parses_them(text, expected):
    import dateutil.parser

    parsed, problem = tc.parse_time(text)
    assert problem is None and parsed == expected
    assert dateutil.parser.parse(text) == expected  # what botocore's tokens.py computes


@pytest.mark.parametrize("value, problem", [
    ("2026-11-26T12:00:00", "no time zone"),
    ("whenever", "not a date"),
    ("", "not a date"),
    (1764158400, "JSON number"),
    (None, "JSON null"),
])
def test_unusable_times(value, problem):
    parsed, why = tc.parse_time(value)
    assert parsed is None and problem in why


def test_secrets_are_registered_and_never_kept(tmp_path):
    token = dict(TOKEN, refreshToken="refresh-token-value", clientId="client-id-value",
                 clientSecret="client-secret-value", registrationExpiresAt="2027-01-01T00:00:00Z")
    (tmp_path / "a.json").write_text(json.dumps(token))
    (tmp_path / "b.json").write_text('{"accessToken": "truncated-access-value", "refreshTok')
    secrets = Secrets()
    facts = [tc.read_token_file(tmp_path / n, secrets) for n in ("a.json", "b.json")]
    for value in ("access-token-value", "refresh-token-value", "client-secret-value", "truncated-access-value"):
        assert secrets.redact(value) == MASK
        assert value not in repr(facts)
    assert facts[0].has("refreshToken") and facts[0].has("clientSecret")
    assert facts[0].registration_expires_at == dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)


def _home(tmp_path: Path, config: str = SESSION_CONFIG, files: dict[str, str] | None = None) -> Path:
    home = tmp_path / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (home / ".aws" / "config").write_text(config)
    for name, text in (files or {}).items():
        (cache / name).write_text(text)
        (cache / name).chmod(0o600)
    return home


def _ctx(home: Path, **settings) -> Context:
    return Context(RunSettings(**settings), env={"HOME": str(home), **windows_essentials(home)}, now=NOW)


def test_all_profiles_of_a_session_share_one_finding(tmp_path):
    home = _home(tmp_path)
    found = tokens.not_logged_in.check(_ctx(home, all_profiles=True))
    assert [(f.subject, f.location.path) for f in found] == [("corp", str(home / f".aws/sso/cache/{CORP}.json"))]
    assert 'profiles "dev" and "ops"' in found[0].message
    assert found[0].fix.commands[0].args == ("aws", "sso", "login", "--sso-session", "corp")


def test_legacy_profiles_with_the_same_url_share_one_finding(tmp_path):
    config = "".join(f"[profile {n}]\nsso_start_url = {URL}\nsso_region = us-east-1\nsso_account_id = "
                     f"111111111111\nsso_role_name = R\n\n" for n in ("a", "b"))
    home = _home(tmp_path, config, {f"{tc.token_cache_key(URL, None)}.json": json.dumps(
        dict(TOKEN, expiresAt="2026-11-26T11:00:00Z"))})
    found = tokens.token_expired.check(_ctx(home, all_profiles=True))
    assert [f.subject for f in found] == [URL]
    assert found[0].fix.commands[0].args == ("aws", "sso", "login", "--profile", "a")


def test_not_logged_in_names_a_token_under_the_other_key_style(tmp_path):
    home = _home(tmp_path, files={f"{tc.token_cache_key(URL, None)}.json": json.dumps(TOKEN)})
    found = tokens.not_logged_in.check(_ctx(home, profiles=("dev",)))
    assert len(found) == 1 and "start-URL key" in found[0].message


def test_profiles_botocore_cannot_resolve_are_left_to_the_config_rules(tmp_path):
    config = "[profile a]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n\n[profile b]\nsso_region = x\n"
    ctx = _ctx(_home(tmp_path, config), all_profiles=True)
    assert tc.group_profiles(ctx.selected_sso(), ctx.config.sso_sessions) == []
    assert tokens.not_logged_in.check(ctx) == []


@pytest.mark.skipif(sys.platform == "win32", reason="asserts the bash form of the fix (rm ~/.aws/…); Windows renders "
                    "it for PowerShell (tests/test_scenarios_per_os.py holds that form)")
def test_corrupt_key_file_is_sso206_and_other_junk_is_ignored(tmp_path):
    home = _home(tmp_path, files={f"{CORP}.json": '{"accessToken": "x', "junk.json": "\x00\x01"})
    found = tokens.token_cache_corrupt.check(_ctx(home, profiles=("dev",)))
    assert [(f.rule_id, f.subject) for f in found] == [("SSO206", "corp")]
    assert found[0].fix.commands[0].text == f"rm ~/.aws/sso/cache/{CORP}.json"


@NEEDS_ROOT
def test_file_owned_by_another_user_is_sso208_not_sso206(tmp_path):
    home = _home(tmp_path, files={f"{CORP}.json": json.dumps(TOKEN)})
    os.chown(home / f".aws/sso/cache/{CORP}.json", 65534, -1)
    ctx = _ctx(home, profiles=("dev",))
    found = tokens.token_cache_ownership.check(ctx)
    assert [(f.rule_id, f.location.path) for f in found] == [("SSO208", str(home / ".aws/sso/cache"))]
    assert "uid 65534" in found[0].message


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: POSIX mode bits (chmod has no such effect on Windows)')
def test_unreadable_files_with_pyfakefs_as_a_normal_user():
    """pyfakefs with allow_root_user=False: permission bits apply as for an ordinary user."""
    from pyfakefs.fake_filesystem_unittest import Patcher

    with Patcher(allow_root_user=False) as patcher:
        fs = patcher.fs
        home = Path("/home/me")
        cache = home / ".aws" / "sso" / "cache"
        fs.create_file(home / ".aws" / "config", contents=SESSION_CONFIG)
        fs.create_file(cache / f"{CORP}.json", contents=json.dumps(TOKEN), st_mode=0o100000)
        f = tc.read_token_file(cache / f"{CORP}.json", Secrets())
        assert (f.kind, f.problem) == ("unreadable", "permission denied")
        ctx = _ctx(home, profiles=("dev",))
        found = tokens.token_cache_corrupt.check(ctx)
        assert [f.subject for f in found] == ["corp"] and "permission denied" in found[0].message
        os.chmod(cache, 0o000)
        listed = tc.load(str(home), Secrets())
        assert listed.directory.state == "unreadable"
        ctx = _ctx(home, profiles=("dev",))
        assert tokens.not_logged_in.check(ctx) == []  # we cannot know: SSO208 speaks instead
        assert "cannot be listed" in tokens.token_cache_ownership.check(ctx)[0].message


def _run_as_nobody(home: Path, *args: str) -> dict:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z"}
    # setpriv (util-linux) switches uid and gid and drops every capability; Python's own setuid in a
    # preexec_fn is refused exec of the root-installed interpreter in this sandbox.
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    command = [sys.executable, "-m", "sso_doctor", "check", "--format", "json", "--select", "SSO2", *args]
    code = "import os; assert os.getuid() == 65534 and not os.access('/proc/1/environ', os.R_OK)"
    assert subprocess.run([*as_nobody, sys.executable, "-c", code], cwd="/", timeout=60).returncode == 0
    proc = subprocess.run([*as_nobody, *command], env=env, capture_output=True, text=True, timeout=60, cwd="/")
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def shared_tmp():
    """A temp dir another user can traverse (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="sso-doctor-nobody-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


@AS_NOBODY
def test_as_another_user_a_root_owned_cache_is_sso208(shared_tmp):
    """sudo aws sso login left a root-owned cache: the real user cannot read the token nor save one."""
    home = _home(shared_tmp, files={f"{CORP}.json": json.dumps(TOKEN)})
    for d in (home, home / ".aws", home / ".aws" / "sso", home / ".aws" / "sso" / "cache"):
        d.chmod(0o755)
    (home / ".aws" / "config").chmod(0o644)
    doc = _run_as_nobody(home, "--profile", "dev")
    found = [(f["rule_id"], f["subject"], f["location"]["path"]) for f in doc["findings"]]
    assert found == [("SSO208", None, str(home / ".aws/sso/cache"))]
    message = doc["findings"][0]["message"]
    assert "owned by another user (uid 0)" in message and "not writable" in message


@AS_NOBODY
def test_as_another_user_an_own_unreadable_token_is_sso206(shared_tmp):
    home = _home(shared_tmp, files={f"{CORP}.json": json.dumps(TOKEN)})
    for p in (home, home / ".aws", home / ".aws" / "sso", home / ".aws" / "sso" / "cache"):
        os.chown(p, 65534, 65534)
    token = home / ".aws" / "sso" / "cache" / f"{CORP}.json"
    os.chown(token, 65534, 65534)
    token.chmod(0o000)
    (home / ".aws" / "config").chmod(0o644)
    doc = _run_as_nobody(home, "--profile", "dev")
    found = [(f["rule_id"], f["subject"]) for f in doc["findings"]]
    assert found == [("SSO206", "corp")]
    assert "permission denied" in doc["findings"][0]["message"]


CATALOG = [
    ("SSO201", "not-logged-in", "error"), ("SSO202", "token-expired", "error"),
    ("SSO203", "token-expired-refreshable", "info"), ("SSO204", "token-expiring-soon", "warning"),
    ("SSO205", "registration-expired", "warning"), ("SSO206", "token-cache-corrupt", "error"),
    ("SSO207", "token-cache-permissions", "warning"), ("SSO208", "token-cache-ownership", "error"),
    ("SSO209", "token-config-mismatch", "warning"), ("SSO210", "start-url-variants", "warning"),
    ("SSO211", "stale-role-credentials", "info"),
]


def test_rules_match_the_catalog_and_document_themselves():
    assert [(r.id, r.slug, r.severity.label) for r in tokens.RULES] == CATALOG
    for r in tokens.RULES:
        lines = r.doc.splitlines()
        assert lines[0].endswith(".") and not lines[0].startswith("#"), r.id
        headings = [ln for ln in lines if ln.startswith("## ")]
        assert headings == ["## What it checks", "## Why it matters", "## How to fix", "## Example"], r.id
        example = r.doc.split("## Example", 1)[1]
        assert f"{r.id} {r.slug}" in example, r.id


def test_fast_path_for_canonical_times_equals_dateutil():
    """parse_time skips dateutil for `...Z` / `...UTC` stamps; the result must be what dateutil gives."""
    import dateutil.parser
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.datetimes(min_value=dt.datetime(1971, 1, 2), max_value=dt.datetime(9998, 12, 30)),
           st.sampled_from(["Z", "UTC"]))
    def check(moment, suffix):
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + suffix
        assert tc.parse_time(text) == (dateutil.parser.parse(text).astimezone(dt.timezone.utc), None)

    check()
    assert tc.parse_time("2026-13-01T00:00:00Z")[0] is None  # not a date: dateutil refuses it too


@pytest.mark.skipif(sys.platform == "win32", reason="file names with ESC and newline characters (invalid on Windows)")
def test_hostile_content_and_names_are_facts_not_crashes(tmp_path):
    home = _home(tmp_path, files={
        f"{CORP}.json": "[" * 200_000 + "]" * 200_000,  # deeper than Python's recursion limit
        "big-int.json": '{"accessToken": "x", "expiresAt": ' + "9" * 5000 + "}",
        "evil\x1b[31m\nname.json": json.dumps(TOKEN),
    })
    cache = home / ".aws" / "sso" / "cache"
    os.chmod(cache / "evil\x1b[31m\nname.json", 0o644)
    (cache / os.fsdecode(b"\xff\xfe.json")).write_text(json.dumps(TOKEN))
    ctx = _ctx(home, profiles=("dev",))
    files = ctx.token_cache.files
    assert files[CORP].kind == "corrupt" and "nested too deeply" in files[CORP].problem
    assert files["big-int"].kind == "corrupt"
    assert len(files) == 3  # the name that is not UTF-8 is skipped
    assert [f.rule_id for f in tokens.token_cache_corrupt.check(ctx)] == ["SSO206"]
    message = tokens.token_cache_permissions.check(ctx)[0].message
    assert "evil\\x1b[31m\\nname.json (0644)" in message and "\x1b" not in message

    env = {k: None for k in os.environ}
    env.update(HOME=str(home), SSO_DOCTOR_NOW="2026-11-26T12:00:00Z")
    from typer.testing import CliRunner

    from sso_doctor.cli import app

    for args in (["sessions"], ["sessions", "-f", "json"], ["check", "--select", "SSO2", "--profile", "dev"]):
        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
        assert result.exit_code in (0, 1) and "\x1b" not in result.stdout, args
