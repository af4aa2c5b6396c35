"""Terminal escape injection: control characters from any input are shown escaped, never raw.

Hostile values go into every input that reaches a report: AWS_PROFILE and --profile, AWS_REGION, a
NO_PROXY entry that ends up inside a fix, the CA bundle path, section names (in ~/.aws/config and in lint
mode on a repository file), cache file names, and the admin commands' arguments. Every output in the text,
markdown and github formats (and `sessions`, `discover`, `triage`, error messages on stderr) must carry no
raw control character (a newline only where the report itself breaks lines) and show the value escaped
(`\\x1b`); JSON and SARIF must parse and give the value back exactly; JUnit must be well-formed XML.
"""

from __future__ import annotations

import json
import os
import re
import xml.dom.minidom

import pytest
from conftest import windows_essentials
from typer.testing import CliRunner

from sso_doctor.cli import app

# ESC CSI "erase line" + carriage return; C1 CSI; a bell; right-to-left override; a fake report line
PAYLOADS = {
    "esc": "\x1b[2K\rX",
    "c1": "\x9b2K",
    "bell": "\x07",
    "rlo": "\u202e",
    "newline": "\n[✓] all good",
}
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
TERMINAL_FORMATS = ["text", "markdown", "github"]


def _visible(payload: str) -> str:
    from sso_doctor.safe_text import escape_controls

    return escape_controls(payload)


def _home(tmp_path, payload: str):
    home = tmp_path / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    # a section name is one line (configparser also ends a line at a CR), one word, no brackets
    section = payload.replace("\n", "").replace("\r", "").replace("[", "(").replace("]", ")").replace(" ", "_")
    (home / ".aws" / "config").write_text(
        f"[profile dev{section}]\nsso_session = s{section}\nsso_account_id = 111111111111\nsso_role_name = R\n\n"
        f"[sso-session s{section}]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n")
    (cache / f"evil{payload.replace('/', '')}.json").write_text("{}")
    return home, section


def _env(home, payload: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k != "AWS_EC2_METADATA_DISABLED"}
    env.update({
        "HOME": str(home), **windows_essentials(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z",
        "AWS_PROFILE": f"dev{payload}", "AWS_REGION": f"us{payload}east-1",
        "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": f"*.corp{payload},10.0.0.0/8",
        "AWS_CA_BUNDLE": f"/nonexistent/ca{payload}.pem",
    })
    return env


def _assert_terminal_safe(text: str, where: str) -> None:
    m = RAW.search(text)
    assert m is None, f"{where}: raw {m.group(0)!r} near {text[max(0, m.start() - 40):m.start() + 40]!r}"


def _assert_no_fake_line(text: str, where: str) -> None:
    assert not any(line.startswith("[✓] all good") for line in text.splitlines()), where


@pytest.mark.parametrize("fmt", TERMINAL_FORMATS)
@pytest.mark.parametrize("name", PAYLOADS)
def test_terminal_formats_show_every_input_escaped(tmp_path, name, fmt):
    payload = PAYLOADS[name]
    home, _ = _home(tmp_path, payload)
    result = CliRunner().invoke(app, ["check", "--offline", "--format", fmt, "-v"], env=_env(home, payload))
    assert result.exit_code == 1, result.output
    _assert_terminal_safe(result.stdout, f"{fmt} stdout")
    _assert_no_fake_line(result.stdout, fmt)
    shown = _visible(payload)
    # the profile (header or message), the CA bundle path and the NO_PROXY fix are all there, escaped
    assert f"dev{shown}" in result.stdout.replace("%0A", "\n") or fmt == "github"
    assert f"ca{shown}.pem" in result.stdout
    assert f".corp{shown}" in result.stdout
    assert f"us{shown}east-1" in result.stdout


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit"])
@pytest.mark.parametrize("name", PAYLOADS)
def test_machine_formats_stay_valid_and_exact(tmp_path, name, fmt):
    payload = PAYLOADS[name]
    home, _ = _home(tmp_path, payload)
    result = CliRunner().invoke(app, ["check", "--offline", "--format", fmt, "-v"], env=_env(home, payload))
    assert result.exit_code == 1, result.output
    if fmt == "junit":
        xml.dom.minidom.parseString(result.stdout.encode())
        return
    assert RAW.search(result.stdout.replace("\n", " ")) is None  # escaped as \u…, so safe on a terminal too
    doc = json.loads(result.stdout)
    if fmt == "json":
        assert doc["inputs"]["profiles"] == [f"dev{payload}"]
        assert any(f"ca{payload}.pem" in (f["location"]["path"] or "") for f in doc["findings"])


@pytest.mark.parametrize("name", PAYLOADS)
def test_profile_flag_and_lint_mode_section_names(tmp_path, name):
    payload = PAYLOADS[name]
    home, section = _home(tmp_path, payload)
    env = _env(home, payload)
    for args in (["check", "--offline", "--profile", f"p{payload}", "-v"],
                 ["check", "--config", str(home / ".aws" / "config"), "-v"],
                 ["check", "--config", str(home / ".aws" / "config"), "--format", "github"]):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code in (0, 1), result.output
        _assert_terminal_safe(result.stdout, " ".join(args[:2]))
        _assert_no_fake_line(result.stdout, " ".join(args[:2]))
        if "--config" in args and RAW.search(section):
            assert _visible(section) in result.stdout


@pytest.mark.parametrize("name", PAYLOADS)
def test_sessions_escape_cache_file_and_section_names(tmp_path, name):
    payload = PAYLOADS[name]
    home, section = _home(tmp_path, payload)
    env = _env(home, payload)
    text = CliRunner().invoke(app, ["sessions"], env=env)
    assert text.exit_code == 0, text.output
    _assert_terminal_safe(text.stdout, "sessions")
    _assert_no_fake_line(text.stdout, "sessions")
    assert f"evil{_visible(payload.replace('/', ''))}.json" in text.stdout
    doc = json.loads(CliRunner().invoke(app, ["sessions", "--format", "json"], env=env).stdout)
    assert f"s{section}" in [s["name"] for s in doc["sessions"]]


@pytest.mark.parametrize("name", PAYLOADS)
def test_admin_commands_and_errors_escape_their_arguments(tmp_path, name):
    payload = PAYLOADS[name]
    home, _ = _home(tmp_path, payload)
    env = _env(home, payload)
    for args in (["discover", "--profile", f"nope{payload}"],
                 ["triage", "--profile", f"nope{payload}", "--user", f"u{payload}", "--account", "1",
                  "--permission-set", "p"],
                 ["explain", f"Error loading SSO Token: Token for dev{payload} does not exist (profile dev{payload})"],
                 ["check", "--select", f"SSO9{payload}"]):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code in (0, 1, 2), result.output
        _assert_terminal_safe(result.stdout + result.stderr, args[0])
        _assert_no_fake_line(result.stdout + result.stderr, args[0])


def test_a_fix_command_with_a_control_character_needs_an_edit_and_keeps_its_quoting(tmp_path):
    """`$` means "run exactly this": an escaped value is not what to type, so it becomes `✎`; a command
    without control characters keeps its shell quoting and its `$`."""
    payload = PAYLOADS["esc"]
    home, _ = _home(tmp_path, payload)
    env = _env(home, payload)
    env["AWS_PROFILE"] = "dev"
    text = CliRunner().invoke(app, ["check", "--offline", "--profile", f"dev{payload}"], env=env).stdout
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(("$", "✎"))]
    assert any(ln.startswith("✎") and "\\x1b" in ln for ln in lines), lines
    assert not any(ln.startswith("$") and "\\x" in ln for ln in lines), lines
    assert "$ aws configure list-profiles" in lines
