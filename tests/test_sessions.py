"""`sso-doctor sessions`: one line per sso-session, legacy start URL and cached token, text and JSON."""

from __future__ import annotations

import json
import os
import sys

import pytest
from typer.testing import CliRunner

from sso_doctor.cli import app
from sso_doctor.loaders.token_cache import token_cache_key
from token_cases import session_config
from conftest import windows_essentials

URL = "https://d-1234567890.awsapps.com/start"
OLD_URL = "https://d-0987654321.awsapps.com/start/"
CONFIG = session_config(URL, "eu-west-1") + f"""
[sso-session unused]
sso_start_url = https://d-5555555555.awsapps.com/start
sso_region = us-east-1

[profile old]
sso_start_url = {OLD_URL}
sso_region = us-west-2
sso_account_id = 333333333333
sso_role_name = ReadOnly
"""
SECRETS = ("sessions-access-value", "sessions-refresh-value", "sessions-client-secret", "orphan-access-value")


def _home(tmp_path, config: str | None = CONFIG):
    home = tmp_path / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    if config is not None:
        (home / ".aws" / "config").write_text(config)
    (cache / f"{token_cache_key(URL, 'corp')}.json").write_text(json.dumps({
        "startUrl": URL, "region": "eu-west-1", "accessToken": SECRETS[0], "expiresAt": "2026-11-26T20:00:00Z",
        "refreshToken": SECRETS[1], "clientId": "cid", "clientSecret": SECRETS[2],
        "registrationExpiresAt": "2027-02-01T00:00:00Z"}))
    (cache / f"{token_cache_key(OLD_URL, None)}.json").write_text(json.dumps({
        "startUrl": OLD_URL, "region": "us-west-2", "accessToken": "old-access-value",
        "expiresAt": "2026-11-26T10:00:00UTC"}))
    (cache / f"{token_cache_key(None, 'gone')}.json").write_text(json.dumps({
        "startUrl": "https://d-7777777777.awsapps.com/start", "region": "ap-south-1",
        "accessToken": SECRETS[3], "expiresAt": "2026-11-26T12:05:00Z"}))
    (cache / "botocore-client-id-eu-west-1.json").write_text(json.dumps({
        "clientId": "cid", "clientSecret": "registration-secret-value", "expiresAt": "2027-02-01T00:00:00Z"}))
    (cache / "broken.json").write_text('{"accessToken": "x')
    return home


def _aws_v2(folder):
    """A stand-in AWS CLI v2 (what `aws sso login` needs) in `folder`; returns the folder for PATH."""
    folder.mkdir(exist_ok=True)
    aws = folder / "aws"
    aws.write_text("#!/bin/sh\necho 'aws-cli/2.36.7 Python/3.13.7 Linux/6.8.0 exe/x86_64.ubuntu.24'\n")
    aws.chmod(0o755)
    return folder


def _run(home, *args, path=None):
    env = {k: None for k in os.environ}
    env.update(HOME=str(home), SSO_DOCTOR_NOW="2026-11-26T12:00:00Z", **windows_essentials(home),
               PATH=str(path if path is not None else _aws_v2(home.parent / "bin")),
               SSO_DOCTOR_ROOT=str(home.parent / "no-root"), DISPLAY=":0")  # a desktop: browser logins work
    return CliRunner().invoke(app, ["sessions", *args], env=env, catch_exceptions=False)


ROW_FIELDS = {"type", "name", "key", "file", "start_url", "region", "profiles", "token"}
TOKEN_FIELDS = {"state", "verdict", "expires_at", "expires_in_seconds", "refreshable", "refresh_blocker",
                "registration_expires_at", "registration_expires_in_seconds", "problem"}


def test_json_lists_config_logins_then_cache_files(tmp_path):
    home = _home(tmp_path)
    result = _run(home, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1 and doc["now"] == "2026-11-26T12:00:00Z"
    assert doc["cache_dir"] == str(home / ".aws/sso/cache")
    rows = doc["sessions"]
    assert all(set(r) == ROW_FIELDS and set(r["token"]) == TOKEN_FIELDS for r in rows)
    summary = [(r["type"], r["name"], r["profiles"], r["token"]["state"], r["token"]["verdict"]) for r in rows]
    assert summary == [
        ("sso-session", "corp", ["dev", "ops"], "valid", "works"),
        ("sso-session", "unused", [], "missing", "login"),
        ("legacy", None, ["old"], "expired", "login"),
        ("cache", None, [], "expiring", "works"),  # the file of a session no longer in the config
        ("cache", None, [], "registration", "unknown"),
        ("cache", None, [], "corrupt", "unknown"),
    ]
    corp, _unused, old, orphan, registration, broken = rows
    assert corp["key"] == token_cache_key(URL, "corp")
    assert corp["file"] == str(home / ".aws/sso/cache" / f"{corp['key']}.json")
    assert (corp["start_url"], corp["region"]) == (URL, "eu-west-1")
    assert corp["token"] == {
        "state": "valid", "verdict": "works", "expires_at": "2026-11-26T20:00:00Z", "expires_in_seconds": 8 * 3600,
        "refreshable": True, "refresh_blocker": None, "registration_expires_at": "2027-02-01T00:00:00Z",
        "registration_expires_in_seconds": 67 * 86400 - 12 * 3600, "problem": None}
    assert (old["start_url"], old["region"], old["token"]["expires_at"]) == (OLD_URL, "us-west-2",
                                                                            "2026-11-26T10:00:00Z")
    assert "sso_start_url without sso_session" in old["token"]["refresh_blocker"]
    assert orphan["start_url"] == "https://d-7777777777.awsapps.com/start"
    assert orphan["token"]["expires_in_seconds"] == 300
    assert registration["key"] == "botocore-client-id-eu-west-1"
    assert "not valid JSON" in broken["token"]["problem"]
    for value in (*SECRETS, "old-access-value", "registration-secret-value", "cid"):
        assert value not in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="asserts the POSIX display form ~/.aws/…; Windows shows "
                    "%USERPROFILE%\\.aws\\… (tests/test_platform.py holds that form)")
def test_text_is_a_table_with_the_login_command_per_row(tmp_path):
    home = _home(tmp_path)
    result = _run(home)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "SSO logins and cached tokens in ~/.aws/sso/cache (now 2026-11-26T12:00:00Z)"
    header = lines[2]
    assert header.split() == ["SESSION", "OR", "START", "URL", "STATE", "EXPIRES", "REFRESHABLE", "PROFILES"]
    cols = [header.index(c) for c in ("STATE", "EXPIRES", "REFRESHABLE", "PROFILES")]
    rows = [ln for ln in lines[3:] if not ln.startswith("    ")]
    assert len(rows) == 6
    for row in rows:  # every cell starts under its title
        assert all(row[c - 2:c] == "  " and row[c] != " " for c in cols), row

    def cells(row: str) -> list[str]:
        return [row[:cols[0]].strip()] + [row[a:b].strip() for a, b in zip(cols, [*cols[1:], None])]

    corp, unused, old, orphan, registration, broken = (cells(r) for r in rows)
    assert corp == ['sso-session "corp"', "valid", "2026-11-26T20:00:00Z (in 8h 00m)", "yes, until 2027-02-01",
                    "dev, ops"]
    assert unused[:2] == ['sso-session "unused"', "not logged in"]
    assert old == [OLD_URL, "expired", "2026-11-26T10:00:00Z (2h 00m ago)", "no (legacy profile)", "old"]
    assert orphan[:3] == ["https://d-7777777777.awsapps.com/start", "expiring soon", "2026-11-26T12:05:00Z (in 5 min)"]
    assert registration[1] == "registration" and broken[1] == "unusable"
    # the exact login command under each row that has one
    text = result.stdout
    assert '"corp"' in text and "    $ aws sso login --sso-session corp\n" in text
    assert "    $ aws sso login --sso-session unused\n" in text
    assert "    $ aws sso login --profile old\n" in text
    assert "log in again" not in text
    # without an AWS CLI v2 on PATH the same command is not runnable as printed
    bare = _run(home, path=tmp_path / "empty").stdout
    assert "    ✎ aws sso login --sso-session corp   # once AWS CLI v2 is the aws on PATH" in bare
    # the 40-character cache hash only with -v
    assert token_cache_key(URL, "corp") not in text
    verbose = _run(home, "-v").stdout
    assert f"file: ~/.aws/sso/cache/{token_cache_key(URL, 'corp')}.json" in verbose
    for value in SECRETS:
        assert value not in text and value not in verbose


def test_registration_expired_is_said_once(tmp_path):
    home = _home(tmp_path)
    cache = home / ".aws" / "sso" / "cache"
    (cache / f"{token_cache_key(URL, 'corp')}.json").write_text(json.dumps({
        "startUrl": URL, "region": "eu-west-1", "accessToken": SECRETS[0], "expiresAt": "2026-11-26T10:00:00Z",
        "refreshToken": SECRETS[1], "clientId": "cid", "clientSecret": SECRETS[2],
        "registrationExpiresAt": "2026-11-20T00:00:00Z"}))
    text = _run(home).stdout
    corp = next(ln for ln in text.splitlines() if ln.startswith('sso-session "corp"'))
    assert "expired" in corp and "no (registration expired)" in corp
    assert text.count("registration expired") == 1
    verbose = _run(home, "-v").stdout
    assert verbose.count("registration expired") == 1  # the blocker line is not repeated beside it


@pytest.mark.skipif(sys.platform == "win32", reason="asserts the POSIX display form ~/.aws/…; Windows shows "
                    "%USERPROFILE%\\.aws\\… (tests/test_platform.py holds that form)")
def test_profiles_pointing_at_a_missing_sso_session_are_listed(tmp_path):
    home = _home(tmp_path, CONFIG + "\n[profile lost]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = x\n")
    text = _run(home).stdout
    row = next(ln for ln in text.splitlines() if ln.startswith('sso-session "gone"'))
    assert "no such sso-session" in row and row.endswith("lost")
    assert "✎ add an [sso-session gone] section (sso_start_url, sso_region) to ~/.aws/config" in text
    doc = json.loads(_run(home, "-f", "json").stdout)
    missing = [r for r in doc["sessions"] if r["type"] == "missing-session"]
    assert [(r["name"], r["profiles"], r["token"]["state"]) for r in missing] == [("gone", ["lost"], "no-session")]
    assert missing[0]["key"] == token_cache_key(None, "gone")  # the hash stays in JSON


def test_an_unparseable_config_still_lists_the_cache(tmp_path):
    home = _home(tmp_path, config="[profile a]\nx = 1\n[profile a]\ny = 2\n")
    doc = json.loads(_run(home, "-f", "json").stdout)
    assert {r["type"] for r in doc["sessions"]} == {"cache"}
    assert len(doc["sessions"]) == 5


def test_an_empty_machine(tmp_path):
    home = tmp_path / "empty"
    home.mkdir()
    result = _run(home)
    assert result.exit_code == 0 and "(no sso-session, no SSO profile and no cached token)" in result.stdout
    doc = json.loads(_run(home, "-f", "json").stdout)
    assert doc["sessions"] == [] and doc["cache_dir_state"] == "missing"


@pytest.mark.skipif(sys.platform == "win32", reason="a #!/bin/sh stand-in for aws (Windows runs only .exe/.cmd/.bat)")
def test_login_commands_match_checks_fix_plan_on_a_headless_box(tmp_path):
    """Over SSH with AWS CLI v2 >= 2.22 (PKCE by default), `check` prints `--use-device-code` on every
    login; the sessions table gives the very same command (#13.3: one fix plan)."""
    home = _home(tmp_path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    aws = bindir / "aws"
    aws.write_text("#!/bin/sh\necho 'aws-cli/2.36.7 Python/3.13.7 Linux/6.8.0 exe/x86_64.ubuntu.24'\n")
    aws.chmod(0o755)
    (tmp_path / "root").mkdir()
    env = {k: None for k in os.environ}
    env.update(HOME=str(home), SSO_DOCTOR_NOW="2026-11-26T12:00:00Z", PATH=str(bindir),
               SSO_DOCTOR_ROOT=str(tmp_path / "root"), SSH_CONNECTION="203.0.113.7 50022 10.0.0.5 22")
    text = CliRunner().invoke(app, ["sessions"], env=env, catch_exceptions=False).stdout
    assert "    $ aws sso login --use-device-code --sso-session corp\n" in text
    assert "    $ aws sso login --use-device-code --profile old\n" in text
    assert "aws sso login --sso-session" not in text  # no browser login offered anywhere
    check = CliRunner().invoke(app, ["check", "--offline", "--profile", "old", "--select", "SSO202"], env=env,
                               catch_exceptions=False).stdout
    assert "$ aws sso login --use-device-code --profile old" in check
