"""The command line: subcommands, exit codes, output files, colour."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from scenarios import validate_report
from sso_doctor import __version__
from sso_doctor.cli import app
from sso_doctor.rules import ALL_RULES

runner = CliRunner()


def invoke(args, **env):
    return runner.invoke(app, args, env=env or None, catch_exceptions=False)


def test_rules_lists_every_rule():
    result = invoke(["rules"])
    assert result.exit_code == 0
    for r in ALL_RULES:
        assert r.id in result.stdout and r.slug in result.stdout
    doc = json.loads(invoke(["rules", "--format", "json"]).stdout)
    assert doc["schema_version"] == 1 and doc["tool"]["name"] == "sso-doctor"
    assert [row["id"] for row in doc["rules"]] == [r.id for r in ALL_RULES]
    assert {tuple(row["requires"]) for row in doc["rules"]} >= {(), ("parsed_config",)}


def test_rules_table_columns_line_up():
    lines = invoke(["rules"]).stdout.splitlines()
    header = lines[0]
    starts = [header.index(name) for name in ("SLUG", "SEVERITY", "NEEDS", "SUMMARY")]
    for line, r in zip(lines[1:], ALL_RULES):
        assert [line[s - 2:s] for s in starts] == ["  "] * 4, line  # every column starts where its title does
        assert line[starts[0]:].startswith(r.slug) and line[starts[1]:].startswith(r.severity.label)
        assert line[starts[3]:] == r.summary


@pytest.mark.parametrize("r", ALL_RULES, ids=[r.id for r in ALL_RULES])
def test_explain_shows_the_docs_by_id_and_slug(r):
    for key in (r.id, r.id.lower(), r.slug):
        result = invoke(["explain", key])
        assert result.exit_code == 0
        assert result.stdout.startswith(f"{r.id} {r.slug} (default severity: {r.severity.label}")
        assert "## How to fix" in result.stdout


def test_explain_unknown_suggests_and_exits_2():
    result = invoke(["explain", "SSO10"])
    assert result.exit_code == 2
    assert "no rule is called" in result.stderr and "Did you mean" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--select", "SSO999"],
        ["check", "--ignore", "not-a-rule"],
        ["check", "--fail-on", "fatal"],
        ["check", "--format", "yaml"],
        ["check", "--severity", "SSO101=fatal"],
        ["check", "--timeout", "0"],
        ["check", "--no-such-flag"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(args, clean_env):
    result = invoke(args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_no_arguments_prints_help():
    result = invoke([])
    assert "check" in result.output and "explain" in result.output


def half_configured(home) -> None:
    """A machine with a credentials file and no config file: SSO101 warns (no config), SSO110 informs
    (a legacy SSO profile). On a machine with nothing at all SSO002 alone speaks (one cause, one finding)."""
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "credentials").write_text(
        "[dev]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\n")



def test_output_file_and_json_schema(clean_env, tmp_path):
    half_configured(clean_env)
    out = tmp_path / "report.json"
    result = invoke(["check", "--offline", "--select", "SSO0,SSO1", "--format", "json", "--output", str(out)])
    assert result.stdout == ""
    doc = json.loads(out.read_text())
    validate_report(doc)
    assert {f["rule_id"] for f in doc["findings"]} == {"SSO101", "SSO110"}
    assert result.exit_code == 0  # a warning and an info do not fail at the default --fail-on error


def test_output_to_a_directory_is_a_failure_before_any_report(clean_env, tmp_path):
    result = invoke(["check", "--offline", "--output", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot write the report" in result.stderr


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on_levels(clean_env, fail_on, code):
    # one warning (SSO101) and one info (SSO110)
    half_configured(clean_env)
    assert invoke(["check", "--offline", "--select", "SSO0,SSO1", "--fail-on", fail_on]).exit_code == code


def test_text_has_no_colour_unless_a_terminal(clean_env):
    half_configured(clean_env)
    result = invoke(["check", "--offline"])
    assert "\x1b[" not in result.stdout
    assert "[!] Config files" in result.stdout
    assert "$ aws configure sso" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: a pseudo-terminal')
def test_colour_on_a_terminal_and_no_color_honoured(clean_env, tmp_path):
    """Run the real CLI under a pseudo-terminal: colour on a TTY, none with NO_COLOR."""
    import pty

    half_configured(clean_env)
    def run_on_tty(extra_env):
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | extra_env
        pid, fd = pty.fork()
        if pid == 0:  # child
            os.execve(sys.executable, [sys.executable, "-m", "sso_doctor", "check", "--offline", "--select", "SSO1"],
                      env)
        chunks = []
        while True:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.waitpid(pid, 0)
        return b"".join(chunks).decode()

    assert "\x1b[33m!\x1b[0m" in run_on_tty({"TERM": "xterm"})
    assert "\x1b[" not in run_on_tty({"TERM": "xterm", "NO_COLOR": "1"})


def test_quiet_prints_one_line_per_finding(clean_env):
    half_configured(clean_env)
    lines = invoke(["check", "--offline", "--select", "SSO0,SSO1", "-q"]).stdout.splitlines()
    assert len(lines) == 2 and all("SSO" in line for line in lines)


def test_python_dash_m_and_version(clean_env):
    out = subprocess.run([sys.executable, "-m", "sso_doctor", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"sso-doctor {__version__}"
