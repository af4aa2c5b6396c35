"""Inputs that crashed sso-doctor (issue #10, item 4): each now ends in a report or a clear error.

- a token-cache file whose expiresAt has an offset of a day or more (+24:00, +99:00) or a date at the
  edge of the calendar: every token rule crashed (SSO001 x10) and `sessions` exited 2;
- a settings file nested 5,000 deep: RecursionError;
- a stdout that is not UTF-8 (cp1252, ASCII): UnicodeEncodeError and no report at all.

Each case runs the real CLI (a subprocess) on a fake HOME.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import xml.dom.minidom
from pathlib import Path

import pytest
from conftest import windows_essentials

from sso_doctor.loaders.token_cache import parse_time
from sso_doctor.stdout import ASCII_MARKS, fit

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-06-01T12:00:00Z"
CONFIG = (
    "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nregion = us-east-1\n\n"
    "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n"
    "sso_registration_scopes = sso:account:access\n"
)
OWN_KEY = hashlib.sha1(b"corp").hexdigest()
BAD_TIMES = [
    "2026-11-26T20:00:00+24:00", "2026-11-26T20:00:00+99:00", "2026-11-26T20:00:00-99:59",
    "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
]


def make_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    (home / ".aws" / "config").write_text(CONFIG)
    cache.chmod(0o700)
    (tmp_path / "bin").mkdir()
    stub = tmp_path / "bin" / "aws"  # an AWS CLI v2, so tooling rules pass and exit codes are about the token
    stub.write_text("#!/bin/sh\necho 'aws-cli/2.22.0 Python/3.12.6 Linux/6.1.0 exe/x86_64.ubuntu.22'\n")
    stub.chmod(0o755)
    return home


def token(expires_at: str, url: str = "https://d-1234567890.awsapps.com/start") -> str:
    return json.dumps({"startUrl": url, "region": "us-east-1", "accessToken": "crash-test-access-token-0123",
                       "expiresAt": expires_at, "refreshToken": "crash-test-refresh-token-0123",
                       "clientId": "cid", "clientSecret": "crash-test-client-secret-0123",
                       "registrationExpiresAt": "2027-02-01T00:00:00Z"})


def cli(home: Path, *args: str, encoding: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), **windows_essentials(home), "PATH": str(home.parent / "bin"), "AWS_PROFILE": "dev", "SSO_DOCTOR_NOW": NOW,
           "LANG": "C.UTF-8"}
    if encoding:
        env["PYTHONIOENCODING"] = encoding
    return subprocess.run([sys.executable, "-m", "sso_doctor", *args], env=env, cwd=cwd or home.parent, check=False,
                          capture_output=True, timeout=60)


def write_cache(home: Path, name: str, text: str) -> None:
    path = home / ".aws" / "sso" / "cache" / name
    path.write_text(text)
    path.chmod(0o600)


# --- expiresAt out of range --------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_TIMES)
def test_parse_time_reports_a_problem_instead_of_raising(value: str) -> None:
    parsed, problem = parse_time(value)
    assert parsed is None and problem


def test_parse_time_still_reads_real_offsets() -> None:
    parsed, problem = parse_time("2026-11-26T20:00:00+05:30")
    assert problem is None and parsed == dt.datetime(2026, 11, 26, 14, 30, tzinfo=dt.UTC)


def test_foreign_cache_files_with_wild_expiry_break_nothing(tmp_path: Path) -> None:
    """Foreign files (not the token of any profile here) with every bad expiresAt, beside a good token."""
    home = make_home(tmp_path)
    write_cache(home, f"{OWN_KEY}.json", token("2026-06-01T20:00:00Z"))
    for i, value in enumerate(BAD_TIMES):
        write_cache(home, f"foreign{i}.json", token(value, "https://d-9999999999.awsapps.com/start"))
    p = cli(home, "check", "--offline", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert [f for f in doc["findings"] if f["rule_id"] == "SSO001"] == []
    assert {r["id"]: r["status"] for r in doc["rules"]}["SSO201"] == "passed"

    s = cli(home, "sessions", "--format", "json")
    assert s.returncode == 0, s.stderr
    rows = json.loads(s.stdout)["sessions"]
    foreign = [r for r in rows if r["file"] and Path(r["file"]).name.startswith("foreign")]
    assert len(foreign) == len(BAD_TIMES)
    assert all(r["token"]["problem"] for r in foreign), foreign
    assert cli(home, "sessions").returncode == 0


@pytest.mark.parametrize("value", ["2026-11-26T20:00:00+24:00", "2026-11-26T20:00:00+99:00", "9999-12-31T23:59:59-05:00"])
def test_own_token_with_wild_expiry_is_token_cache_corrupt(tmp_path: Path, value: str) -> None:
    home = make_home(tmp_path)
    write_cache(home, f"{OWN_KEY}.json", token(value))
    p = cli(home, "check", "--offline", "--format", "json")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    ids = [f["rule_id"] for f in doc["findings"]]
    assert "SSO001" not in ids
    assert ids.count("SSO206") == 1, ids
    corrupt = next(f for f in doc["findings"] if f["rule_id"] == "SSO206")
    assert "expiresAt" in corrupt["message"] and OWN_KEY in corrupt["message"]
    assert cli(home, "sessions").returncode == 0


# --- settings nested too deeply ----------------------------------------------------------------------


@pytest.mark.parametrize("nesting", ["[" * 5000 + "]" * 5000, "{a = " * 5000 + "1" + "}" * 5000])
def test_deeply_nested_settings_file_is_a_clear_error(tmp_path: Path, nesting: str) -> None:
    home = make_home(tmp_path)
    user = home / ".config" / "sso-doctor" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(f"select = {nesting}\n")
    p = cli(home, "check", "--offline")
    err = p.stderr.decode()
    assert p.returncode == 2
    assert "nested too deeply" in err and str(user) in err
    assert "internal error" not in err and "Traceback" not in err


def test_deeply_nested_pyproject_is_a_clear_error(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    project = tmp_path / "repo"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.sso-doctor]\nselect = " + "[" * 5000 + "]" * 5000 + "\n")
    # applied when linting files from the project, or named with --settings
    for args in (["check", "--offline", "--config", str(home / ".aws" / "config")],
                 ["check", "--offline", "--settings", str(project / "pyproject.toml")]):
        p = cli(home, *args, cwd=project)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert b"nested too deeply" in p.stderr and b"internal error" not in p.stderr


def test_huge_settings_file_is_refused(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    user = home / ".config" / "sso-doctor" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    p = cli(home, "check", "--offline")
    assert p.returncode == 2 and b"settings file is a few lines" in p.stderr


# --- stdout that is not UTF-8 ---------------------------------------------------------------------------

FORMATS = ["text", "json", "sarif", "junit", "markdown", "github"]


@pytest.fixture(scope="module")
def failing_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Findings of every severity mark (✗ !), fix commands ($ and ✎) and a non-ASCII profile name."""
    tmp = tmp_path_factory.mktemp("enc")
    home = make_home(tmp)
    (home / ".aws" / "config").write_text(CONFIG + "\n[profile café→✓]\nregion = eu-west-1\nsso_session = nope\n")
    write_cache(home, f"{OWN_KEY}.json", token("2026-11-26T20:00:00+24:00"))
    return home


@pytest.mark.parametrize(("fmt", "encoding"), [(f, "cp1252") for f in FORMATS] + [("json", "ascii"), ("junit", "latin-1")])
def test_report_survives_a_stdout_that_is_not_utf8(failing_home: Path, encoding: str, fmt: str) -> None:
    p = cli(failing_home, "check", "--offline", "--all-profiles", "-v", "--format", fmt, encoding=encoding)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, err
    assert "internal error" not in err and "Traceback" not in err
    text = p.stdout.decode(encoding)  # every byte is in the stream's encoding
    if fmt in ("json", "sarif"):
        doc = json.loads(text)
        if fmt == "json":  # the escapes are lossless: the profile name is all there
            assert any("café→✓" in json.dumps(f, ensure_ascii=False) for f in doc["findings"])
    elif fmt == "junit":
        xml.dom.minidom.parseString(p.stdout)  # declared UTF-8: it must be (it is pure ASCII)
        assert "caf&#233;&#8594;&#10003;" in text
    else:
        assert "SSO206" in text
    if fmt == "text":
        assert "[x] SSO token cache" in text  # the area mark, in ASCII
        assert "    x SSO206 token-cache-corrupt" in text
        assert "$ rm " in text


def test_ascii_text_report_looks_right(failing_home: Path) -> None:
    p = cli(failing_home, "check", "--offline", encoding="ascii")
    text = p.stdout.decode("ascii")
    assert "[x] SSO token cache" in text
    for mark in ASCII_MARKS:
        assert mark not in text
    # a command that lost characters is not "safe to run as printed" any more: it needs an edit
    assert "$ aws configure set" not in text
    # SSO105's fix is a config edit (never a `$` line): the section name lost characters, still an edit
    assert "*edit* edit ~/.aws/config:" in text and "sso_session = corp" in text
    assert "$ aws sso login --sso-session corp" in text or "$ rm " in text  # ASCII commands stay runnable
    assert " - " in text.splitlines()[0]  # "sso-doctor 0.1.0 - profile ... - offline"


COMMANDS = [["sessions"], ["sessions", "--format", "json"], ["rules"], ["explain", "SSO201"],
            ["check", "--offline", "--show-settings"]]


@pytest.mark.parametrize(("args", "encoding"), [(a, "cp1252") for a in COMMANDS] + [(["sessions"], "ascii"),
                                                                                 (["explain", "SSO206"], "ascii")])
def test_every_command_survives_a_stdout_that_is_not_utf8(failing_home: Path, args: list[str], encoding: str) -> None:
    p = cli(failing_home, *args, encoding=encoding)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err
    assert p.stdout


def test_fit_keeps_machine_formats_valid_and_lossless() -> None:
    doc = {"m": "café ✗ → 😀", "k": "\udcff"}
    text = json.dumps(doc, ensure_ascii=False)
    out = fit(text, "ascii", "json")
    assert json.loads(out)["m"] == "café ✗ → 😀"
    assert fit("<a>✗ é</a>", "cp1252", "junit") == "<a>&#10007; &#233;</a>"
    assert fit("é ✗", "cp1252", "json") == "\\u00e9 \\u2717"
    assert fit("[✗] ✓ ✎ edit — … ·", "ascii") == "[x] v *edit* edit -- ... -"
    assert fit("  $ aws sso login --profile 'ü'\n  $ ls\n", "ascii") == "  *edit* aws sso login --profile '?'\n  $ ls\n"
    assert fit("x%0A$ run 'ü'%0A$ ls", "ascii", "github") == "x%0A*edit* run '?'%0A$ ls"
    assert fit("bad \udcff byte", "utf-8") == "bad \\xff byte"
    assert fit("plain", "cp1252") == "plain"
    md = "Fix:\n\n```sh\naws sso login --profile 'ü→'\naws sso login --profile dev\n```\n"
    assert fit(md, "cp1252", "markdown") == ("Fix:\n\n```sh\n# needs an edit (? stands for what this output cannot "
                                             "show): aws sso login --profile 'ü->'\naws sso login --profile dev\n```\n")
