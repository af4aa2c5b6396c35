"""The conventions of a mature CLI (issue 13.9): -V, shell completion, --color with NO_COLOR/FORCE_COLOR,
`path:line:col:` quiet lines, progress on a terminal only, and a time budget for discover and triage.

Progress is tested under a real pseudo-terminal (stderr a TTY, stdout a file) against real black-hole
servers on 127.0.0.1: it shows the step and the time left on a terminal, and nothing on a pipe.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import guarded_env, windows_essentials
from fakes.net_servers import BlackHole
from online_world import base_env, write_home

from sso_doctor.cli import use_color

ROOT = Path(__file__).resolve().parent.parent
NEEDS_PTY = pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal (pty.fork) is the terminal")


def cli(args: list[str], env: dict[str, str], timeout: float = 60, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "sso_doctor", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or ROOT)


def on_terminal(args: list[str], env: dict[str, str], stdout_file: Path) -> tuple[str, float]:
    """Run the CLI with stderr on a pseudo-terminal and stdout to a file; return what the terminal got."""
    import pty  # POSIX only (tty, termios): the tests that use it skip themselves on Windows

    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        out = os.open(str(stdout_file), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.execve(sys.executable, [sys.executable, "-m", "sso_doctor", *args], env)
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
    return b"".join(chunks).decode(errors="replace"), time.perf_counter() - start


def test_dash_capital_v_prints_the_version():
    from sso_doctor import __version__

    for flag in ("-V", "--version"):
        p = cli([flag], {"PATH": os.environ["PATH"]})
        assert p.returncode == 0 and p.stdout == f"sso-doctor {__version__}\n"


# --- shell completion (typer's) ----------------------------------------------------------------------


@pytest.mark.parametrize("shell,marker", [
    ("bash", "complete -o default -F _sso_doctor_completion sso-doctor"),
    ("zsh", "#compdef sso-doctor"),
    ("fish", "complete --command sso-doctor"),
    ("powershell", "Register-ArgumentCompleter"),
    ("pwsh", "Register-ArgumentCompleter"),
])
def test_completion_scripts_for_every_shell(shell, marker):
    p = cli(["completion", shell], {"PATH": os.environ["PATH"]})
    assert p.returncode == 0 and marker in p.stdout and "_SSO_DOCTOR_COMPLETE" in p.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="a #!/bin/sh stand-in for sso-doctor and bash's `source <(…)`")
@pytest.mark.skipif(sys.platform == "darwin", reason="macOS's /bin/bash is 3.2, whose `source <(…)` reads nothing")
def test_bash_completion_really_completes(tmp_path):
    """Source the script in a real bash and ask it, as bash does on TAB."""
    exe = tmp_path / "sso-doctor"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} -m sso_doctor \"$@\"\n")
    exe.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    script = ('source <(sso-doctor completion bash); '
              'COMP_WORDS=(sso-doctor ch); COMP_CWORD=1; _sso_doctor_completion sso-doctor; echo "${COMPREPLY[@]}"; '
              'COMP_WORDS=(sso-doctor check --format s); COMP_CWORD=3; _sso_doctor_completion sso-doctor; '
              'echo "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert p.stdout.splitlines() == ["check", "sarif"], p.stdout + p.stderr


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_other_shells_get_completions_from_the_same_program(shell):
    # the variables each script sets (see `sso-doctor completion SHELL`)
    env = {"PATH": os.environ["PATH"], "_SSO_DOCTOR_COMPLETE": f"complete_{shell}",
           "_TYPER_COMPLETE_ARGS": "sso-doctor ex", "_TYPER_COMPLETE_WORD_TO_COMPLETE": "ex",
           "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    p = cli([], env)
    assert "explain" in p.stdout, p.stdout + p.stderr


def test_completion_costs_check_no_imports():
    """typer's completion machinery is loaded by `import typer` anyway: enabling it imports nothing more."""
    probe = ("import sys, typer, typer.main; before = set(sys.modules); from sso_doctor.cli import app; "
             "typer.main.get_command(app); print(sorted(m for m in set(sys.modules) - before "
             "if 'complet' in m or 'shellingham' in m))")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.stdout.strip() == "[]", p.stdout + p.stderr


# --- colour -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("choice,env,tty,expected", [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"TERM": "dumb"}, True, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"NO_COLOR": ""}, True, True),  # no-color.org: set and not empty
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"FORCE_COLOR": "0"}, False, False),
    ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ("always", {"NO_COLOR": "1"}, False, True),
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_color_choice(choice, env, tty, expected):
    assert use_color(choice, env, tty) is expected


def test_color_flag_and_force_color_on_a_pipe(tmp_path):
    # a credentials file and no config file: SSO101 warns (on a machine with nothing at all, SSO002 alone
    # speaks, as an info)
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[dev]\nregion = eu-west-1\n")
    env = {"HOME": str(tmp_path), "PATH": "/nonexistent", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z",
           **windows_essentials(tmp_path)}
    assert "\x1b[" not in cli(["check", "--offline"], env).stdout
    assert "\x1b[33m!\x1b[0m" in cli(["check", "--offline", "--color", "always"], env).stdout
    assert "\x1b[33m!\x1b[0m" in cli(["check", "--offline"], {**env, "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in cli(["check", "--offline", "--color", "never"], {**env, "FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in cli(["check", "--offline", "--format", "json", "--color", "always"], env).stdout


# --- quiet lines --------------------------------------------------------------------------------------


def test_quiet_lines_are_path_line_col_id_message(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("[profile dev]\nsso_session = nowhere\nsso_account_id = 111111111111\nsso_role_name = A\n"
                   "region = eu-west-1\n")
    env = {"HOME": str(tmp_path), "PATH": "/nonexistent", **windows_essentials(tmp_path)}
    p = cli(["check", "--config", "config", "-q"], env, cwd=tmp_path)
    lines = p.stdout.splitlines()
    assert lines and all(ln.startswith("config:") for ln in lines), lines
    import re

    for ln in lines:
        assert re.fullmatch(r"config:\d+:1: SSO\d{3} \S.*", ln), ln
    assert any(ln.startswith("config:2:1: SSO105 ") for ln in lines), lines


# --- progress: the step and the time left, on a terminal only ----------------------------------------


@pytest.fixture
def black_holed(tmp_path):
    with BlackHole() as endpoints, BlackHole() as proxy:
        home = write_home(tmp_path / "home", "https://d-1234567890.awsapps.com/start",
                          {"dev": ("111111111111", "Admin")})
        hole = f"https://127.0.0.1:{endpoints.port}"
        env = guarded_env(base_env(home, AWS_ENDPOINT_URL_SSO_OIDC=hole, AWS_ENDPOINT_URL_SSO=hole,
                                   AWS_ENDPOINT_URL_STS=hole, AWS_ENDPOINT_URL_SSO_ADMIN=hole,
                                   AWS_ENDPOINT_URL_ORGANIZATIONS=hole, AWS_ENDPOINT_URL_IDENTITYSTORE=hole,
                                   HTTPS_PROXY=f"http://127.0.0.1:{proxy.port}", NO_PROXY="127.0.0.1",
                                   AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE12",
                                   AWS_SECRET_ACCESS_KEY="example-secret-key-not-real",
                                   AWS_DEFAULT_REGION="us-east-1", TERM="xterm"))
        yield env, proxy


@NEEDS_PTY
def test_check_progress_on_a_terminal_shows_the_step_and_time_left(black_holed, tmp_path):
    env, _proxy = black_holed
    terminal, seconds = on_terminal(["check", "--timeout", "2", "--select", "SSO5,SSO6"], env, tmp_path / "out.txt")
    assert "s left of 2 s" in terminal, terminal
    assert "online checks: waiting for SSO5" in terminal
    assert terminal.endswith("\r\x1b[2K")  # erased before the report
    report = (tmp_path / "out.txt").read_text()
    assert "s left" not in report and "SSO502" in report  # the report itself is clean
    # not a terminal: nothing on stderr
    p = cli(["check", "--timeout", "2", "--select", "SSO5,SSO6"], env)
    assert p.stderr == "" and "SSO502" in p.stdout


@NEEDS_PTY
def test_discover_against_a_black_hole_stops_at_the_budget_and_says_where(black_holed, tmp_path):
    env, _proxy = black_holed
    start = time.perf_counter()
    p = cli(["discover", "--timeout", "2"], env)
    seconds = time.perf_counter() - start
    assert p.returncode == 2
    assert seconds < 2 + 3, seconds  # the budget, plus start-up on a loaded machine
    assert "no answer within the 2 s time budget (--timeout) while listing IAM Identity Center instances" in p.stderr
    assert "Traceback" not in p.stderr and "NETWORK-ESCAPE" not in p.stderr
    # on a terminal the wait is not silent
    terminal, _ = on_terminal(["discover", "--timeout", "2"], env, tmp_path / "out.txt")
    assert "listing IAM Identity Center instances (sso-admin, us-east-1)" in terminal
    assert "s left of 2 s" in terminal


def test_discover_through_a_proxy_that_never_answers(black_holed):
    env, proxy = black_holed
    env = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT_URL")} | {"NO_PROXY": ""}
    start = time.perf_counter()
    p = cli(["discover", "--timeout", "2"], env)
    assert p.returncode == 2 and time.perf_counter() - start < 2 + 3
    assert "time budget (--timeout)" in p.stderr and "NETWORK-ESCAPE" not in p.stderr


def test_triage_against_a_black_hole_reports_within_the_budget(black_holed):
    env, _proxy = black_holed
    start = time.perf_counter()
    p = cli(["triage", "--user", "jane", "--account", "111111111111", "--permission-set", "Admin",
             "--timeout", "2", "--format", "json"], env)
    seconds = time.perf_counter() - start
    assert seconds < 2 + 3, seconds
    assert p.returncode == 2, p.stdout + p.stderr
    assert "no answer within the 2 s time budget (--timeout) while finding the IAM Identity Center instance" \
        in p.stderr
