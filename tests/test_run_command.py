"""`sso-doctor run -- CMD`: the command runs unchanged (stdin, stdout, env, exit code, signals), its stderr
streams through as it arrives, and a failure with an SSO error gets a diagnosis for the profile it used.
Real processes throughout: sso-doctor is started as a subprocess, as a user or CI job starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from sso_doctor import wrap

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX shells, signals and process groups")

ACCEPTANCE = 'echo out; echo "Error loading SSO Token: Token for corp does not exist" >&2; exit 255'
CONFIG = """\
[profile corp]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
region = eu-west-1

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1
"""


@pytest.fixture
def env(tmp_path):
    """A HOME with an sso-session profile `corp` and no token cache; only the PATH the shell needs."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(CONFIG)
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "SSO_DOCTOR_")) and not k.lower().endswith("_proxy")}
    keep.update(HOME=str(home), PATH=os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
                XDG_CONFIG_HOME=str(tmp_path / "xdg"), PYTHONUNBUFFERED="1")
    return keep


def sso_doctor(*args: str, env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sso_doctor", "run", *args], env=env, capture_output=True, check=False,
                          timeout=60, **kw)


def test_acceptance_failing_command_gets_the_diagnosis_after_its_own_output(env):
    env = {**env, "AWS_PROFILE": "corp"}
    p = sso_doctor("--", "sh", "-c", ACCEPTANCE, env=env)
    assert p.returncode == 255
    assert p.stdout == b"out\n"
    err = p.stderr.decode()
    first, rest = err.split("\n", 1)
    assert first == "Error loading SSO Token: Token for corp does not exist"  # passed through, first
    assert "SSO201 not-logged-in" in rest
    # its fix, for the profile the command used (`$` or `✎` by whether an AWS CLI v2 is on this PATH)
    assert "aws sso login --sso-session corp" in rest
    assert 'checked profile "corp" (from AWS_PROFILE) on this machine (offline)' in rest


def test_acceptance_a_succeeding_command_is_fully_transparent(env):
    script = 'printf "a\\nb"; printf "progress\\r" >&2; exit 0'
    direct = subprocess.run(["sh", "-c", script], env=env, capture_output=True, check=False)
    p = sso_doctor("--", "sh", "-c", script, env=env)
    assert (p.returncode, p.stdout, p.stderr) == (direct.returncode, direct.stdout, direct.stderr) == (
        0, b"a\nb", b"progress\r")


def test_a_failure_without_an_sso_error_is_passed_through_untouched(env):
    script = "printf 'x'; printf 'Error: bucket not found\\n\\377binary' >&2; exit 3"
    p = sso_doctor("--", "sh", "-c", script, env=env)
    assert (p.returncode, p.stdout, p.stderr) == (3, b"x", b"Error: bucket not found\n\xffbinary")


def test_the_profile_comes_from_the_command_line_first(env):
    env = {**env, "AWS_PROFILE": "other"}
    p = sso_doctor("--", "sh", "-c", ACCEPTANCE, "aws", "--profile", "corp", env=env)
    assert p.returncode == 255
    assert 'checked profile "corp" (from its --profile)' in p.stderr.decode()


def test_stdin_environment_and_arguments_reach_the_command_unchanged(env):
    env = {**env, "FOO": "bar baz"}
    p = sso_doctor("--", "sh", "-c", 'cat; printf "%s|" "$FOO" "$@"', "sh", "--profile", "a b", "-x",
                   env=env, input=b"line1\nline2\0bin")
    assert p.returncode == 0
    assert p.stdout == b"line1\nline2\0binbar baz|--profile|a b|-x|"
    assert p.stderr == b""


def test_options_after_the_double_dash_belong_to_the_command(env):
    p = sso_doctor("--", "sh", "-c", 'echo "$0 $1"', "--online", "--help", env=env)
    assert p.stdout == b"--online --help\n" and p.returncode == 0


def test_command_not_found_exits_127_like_a_shell(env):
    p = sso_doctor("--", "no-such-command-xyz", "arg", env=env)
    assert p.returncode == 127
    assert p.stdout == b""
    assert p.stderr.decode() == "sso-doctor run: no-such-command-xyz: command not found (not on PATH)\n"


def test_a_file_that_is_not_executable_exits_126(env, tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    p = sso_doctor("--", str(script), env=env)
    assert p.returncode == 126
    assert "permission denied" in p.stderr.decode()


def test_no_command_is_a_usage_error(env):
    assert sso_doctor("--", env=env).returncode == 2


def test_stderr_is_streamed_as_it_arrives_not_at_the_end(env):
    # the command writes to stderr, then waits for a line on stdin: if sso-doctor buffered stderr until the
    # command ended, the first line could never arrive while the command is still waiting
    proc = subprocess.Popen(
        [sys.executable, "-m", "sso_doctor", "run", "--", "sh", "-c", "echo first >&2; read x; echo second >&2"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stderr.readline() == b"first\n"
        assert proc.poll() is None  # still running: the line came through before the end
        proc.stdin.write(b"go\n")
        proc.stdin.close()
        assert proc.stderr.read() == b"second\n"
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()


def _start_in_own_group(env, script: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "sso_doctor", "run", "--", "sh", "-c", script], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stdout.readline() == b"ready\n"
    return proc


def test_ctrl_c_goes_to_the_command_and_its_exit_code_comes_back(env):
    # Ctrl-C in a terminal signals the whole foreground process group: sso-doctor must survive it and let
    # the command decide what an interrupt means
    proc = _start_in_own_group(env, "trap 'echo got-int >&2; exit 42' INT; echo ready; while :; do sleep 0.05; done")
    try:
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 42
        assert b"got-int" in err and b"Traceback" not in err and b"KeyboardInterrupt" not in err
    finally:
        proc.kill()


def test_a_terminate_sent_to_sso_doctor_alone_is_passed_to_the_command(env):
    proc = _start_in_own_group(env, "trap 'echo got-term >&2; exit 7' TERM; echo ready; while :; do sleep 0.05; done")
    try:
        proc.send_signal(signal.SIGTERM)  # to sso-doctor only, not the group
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 7
        assert b"got-term" in err
    finally:
        proc.kill()


def test_a_command_killed_by_a_signal_ends_sso_doctor_the_same_way(env):
    p = sso_doctor("--", "sh", "-c", "kill -TERM $$", env=env)
    direct = subprocess.run(["sh", "-c", "kill -TERM $$"], env=env, check=False)
    assert p.returncode == direct.returncode == -signal.SIGTERM
    assert p.stderr == b""


def test_huge_stderr_streams_through_in_bounded_memory(tmp_path):
    # 40 MB of noise then the SSO error: everything reaches our stderr, only a tail is kept, and the error at
    # the end is still recognised
    sink = tmp_path / "stderr.bin"
    chunk = "x" * 1023 + "\n"
    script = textwrap.dedent(f"""\
        import sys
        w = sys.stderr.buffer.write
        for _ in range(40 * 1024):
            w({chunk!r}.encode())
        w(b"Error loading SSO Token: Token for corp does not exist\\n")
        sys.exit(255)
    """)
    with sink.open("wb") as f:
        tracemalloc.start()
        try:
            ran = wrap.stream([sys.executable, "-c", script], err_fd=f.fileno())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert ran.returncode == 255
    assert sink.stat().st_size == 40 * 1024 * 1024 + len("Error loading SSO Token: Token for corp does not exist\n")
    assert len(ran.stderr_tail) == wrap.TAIL_BYTES
    assert peak < 4 * wrap.TAIL_BYTES + 2 * 1024 * 1024, peak
    assert ran.stderr_tail.endswith(b"Token for corp does not exist\n")
    from sso_doctor import error_match

    assert error_match.explain(ran.stderr_tail.decode()).rules[0] == "SSO201"


def test_the_diagnosis_never_prints_secrets_from_the_commands_stderr(env):
    script = ('echo "token eyJraWQiOiJrZXktMTU2Njk2ODEzNiIsImFsZyI6IkhTMzg0In0.eyJzZXJpYWxpemVkIjoie1wiZXhw.Mr'
              'KQpRyKdZapc0l6wwARgNamIM1Y7bMJ" >&2; '
              'echo "An error occurred (UnauthorizedException) when calling the GetRoleCredentials operation: '
              'Session token not found or invalid" >&2; exit 254')
    p = sso_doctor("--", "sh", "-c", script, env={**env, "AWS_PROFILE": "corp"})
    assert p.returncode == 254
    own, diagnosis = p.stderr.decode().split("sso-doctor: ", 1)
    assert "eyJraWQ" in own  # the command's own stderr is passed through byte for byte
    assert "eyJraWQ" not in diagnosis
    assert "SSO601" in diagnosis
    assert "SSO601 could not run here" in diagnosis  # it needs the portal, and this run is offline


def test_import_of_run_stays_light():
    # `sso-doctor run` must not make every wrapped command slower: no boto3 on the success path
    code = ("import sys; from sso_doctor import wrap; wrap.stream(['true']); "
            "print(','.join(m for m in ('boto3', 'botocore', 'sso_doctor.runner') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0 and out.stdout.strip() == "", out.stdout + out.stderr


def test_sso_doctor_module_entry_point_exists():
    assert (Path(wrap.__file__).parent / "__main__.py").exists()
