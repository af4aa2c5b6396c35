"""The README's promises: its quickstart test line is what CI runs, and its example is real output."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _example_blocks():
    for m in re.finditer(r"<!-- readme-example: (\S+) -->\n```text\n(\$ [^\n]+)\n(.*?)```", README, re.S):
        yield m.group(1), m.group(2)[2:], m.group(3)


def run_example(command: str, tmp_path: Path) -> str:
    home = tmp_path / "home"
    shutil.copytree(ROOT / "tests" / "data" / "readme-home", home)
    env = {"HOME": str(home), "PATH": str(tmp_path), "LANG": "C.UTF-8", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z"}
    argv = shlex.split(command)
    while "=" in argv[0]:
        k, _, v = argv.pop(0).partition("=")
        env[k] = v
    assert argv[0] == "sso-doctor"
    out = subprocess.run([sys.executable, "-m", "sso_doctor", *argv[1:]], env=env, capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    return out.stdout


def test_readme_examples_are_real_output(tmp_path):
    blocks = list(_example_blocks())
    assert blocks, "no readme-example blocks"
    for name, command, shown in blocks:
        got = run_example(command, tmp_path / name)
        assert shown == got, f"README example {name!r} is stale; the tool prints:\n{got}"


def test_quickstart_commands_are_the_ones_ci_runs():
    assert "pip install . && sso-doctor check" in README
    assert "pip install -e '.[test]' && python -m pytest" in README
    assert "pip install -e '.[test]' && python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_every_command_in_the_readme_exists():
    from typer.testing import CliRunner

    from sso_doctor.cli import app

    for cmd in sorted(set(re.findall(r"^sso-doctor ([a-z][a-z-]*)", README, re.M))):
        result = CliRunner().invoke(app, [cmd, "--help"])
        assert result.exit_code == 0, cmd
