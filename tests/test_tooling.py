"""SSO4xx loaders and rules with real executables on a temporary PATH, and the real AWS CLI v1 from PyPI."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest
from packaging.version import Version

from sso_doctor import runner
from sso_doctor.loaders import cli_version, login_env

V2_LINE = "aws-cli/2.36.7 Python/3.13.7 Linux/6.8.0-1031-aws exe/x86_64.ubuntu.24"


def make_aws(directory: Path, body: str, *, mode: int = 0o755, name: str = "aws") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body).lstrip("\n"))
    path.chmod(mode)
    return path


def prints(line: str) -> str:
    return f"echo '{line}'\n"


def check(env: dict[str, str], *select: str) -> dict:
    """Run sso-doctor's check in-process on exactly this environment; the JSON report."""
    outcome = runner.check(runner.CheckRequest(output_format="json", select=select or ("SSO4",), env=env))
    return json.loads(outcome.render())


def findings(doc: dict) -> list[tuple[str, str]]:
    return [(f["rule_id"], f["message"]) for f in doc["findings"]]


# --- finding the executables ---------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), symbolic links (need admin or Developer Mode on Windows)')
def test_every_aws_on_path_in_order_and_the_same_file_counts_once(tmp_path):
    first = make_aws(tmp_path / "a", prints(V2_LINE))
    second = make_aws(tmp_path / "b", prints("aws-cli/1.46.3 Python/3.11.7 Linux/6.1 botocore/1.43.62"))
    (tmp_path / "link-to-a").symlink_to(tmp_path / "a")  # a directory symlink, like /bin -> /usr/bin
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "aws").symlink_to(second)  # a file symlink, like /usr/local/bin/aws -> .../v2/.../aws
    (tmp_path / "d").mkdir()
    os.link(first, tmp_path / "d" / "aws")  # a hard link is the same file too
    path = os.pathsep.join(str(tmp_path / d) for d in ("a", "a", "link-to-a", "c", "b", "d"))

    found = cli_version.find({"PATH": path})

    assert [(p, real) for p, real, _ in found] == [(str(first), str(first)), (str(tmp_path / "c" / "aws"), str(second))]


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_non_executable_aws_is_recorded_but_never_run(tmp_path):
    marker = tmp_path / "ran"
    make_aws(tmp_path / "a", f"touch {marker}\n", mode=0o644)
    make_aws(tmp_path / "b", prints(V2_LINE))
    cli = cli_version.load({"PATH": f"{tmp_path / 'a'}:{tmp_path / 'b'}"})

    assert [e.state for e in cli.executables] == ["not-executable", "ok"]
    assert cli.active is not None and cli.active.path == str(tmp_path / "b" / "aws")
    assert not marker.exists()


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_directories_dangling_links_and_missing_dirs_are_not_commands(tmp_path):
    (tmp_path / "a" / "aws").mkdir(parents=True)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "aws").symlink_to(tmp_path / "nowhere")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "aws").symlink_to(tmp_path / "c" / "aws")  # a loop
    path = os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "c"), str(tmp_path / "no-dir")])
    assert cli_version.load({"PATH": path}).executables == ()


def test_path_comes_from_the_given_env_not_os_environ(tmp_path, monkeypatch):
    make_aws(tmp_path / "in-os-environ", prints(V2_LINE))
    monkeypatch.setenv("PATH", str(tmp_path / "in-os-environ") + os.pathsep + os.environ["PATH"])
    assert cli_version.load({"PATH": str(tmp_path / "empty")}).executables == ()
    assert cli_version.load({"PATH": ""}).executables == ()
    assert cli_version.path_dirs({}) == [os.path.abspath(d) for d in os.defpath.split(os.pathsep)]


def test_windows_looks_for_pathext_names(tmp_path):
    make_aws(tmp_path, prints(V2_LINE), name="aws.exe")
    make_aws(tmp_path, prints(V2_LINE), name="aws.cmd")
    found = cli_version.find({"PATH": str(tmp_path), "PATHEXT": ".EXE;.CMD"}, platform="win32")
    assert [Path(p).name for p, _, _ in found] == ["aws.exe", "aws.cmd"]
    assert cli_version.find({"PATH": str(tmp_path)}, platform="linux") == []


# --- reading the version -----------------------------------------------------------------------------


@pytest.mark.parametrize("output, version", [
    ("aws-cli/2.22.0 Python/3.12.6 Linux/6.1.0 exe/x86_64.ubuntu.22", "2.22.0"),
    ("aws-cli/2.8.12 Python/3.9.11 Linux/5.15.0 exe/x86_64.ubuntu.22 prompt/off", "2.8.12"),
    ("aws-cli/2.36.7 Python/3.12.3 Linux/6.8.0 source/x86_64.ubuntu.24", "2.36.7"),
    ("aws-cli/1.46.3 Python/3.11.7 Linux/6.1 botocore/1.43.62", "1.46.3"),
    ("SyntaxWarning: invalid escape sequence\naws-cli/1.18.69 Python/2.7.18 Linux/5.4.0 botocore/1.16.19", "1.18.69"),
    ("aws-cli/2.22 Python/3.12.6", None),
    ("AWS CLI 2.22.0", None),
    ("version: aws-cli/2.22.0", None),
    ("", None),
])
def test_parse_version(output, version):
    assert cli_version.parse_version(output) == (Version(version) if version else None)


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), POSIX mode bits')
def test_v1_printing_to_stderr_crash_garbage_and_missing_interpreter_are_facts(tmp_path):
    dirs = {
        "v1": prints("aws-cli/1.18.69 Python/2.7.18 Linux/5.4.0 botocore/1.16.19").replace("\n", " >&2\n"),
        "crash": "echo 'Traceback (most recent call last):' >&2\necho 'ImportError: No module named awscli' >&2\n"
                 "exit 3\n",
        "garbage": "printf 'hello\\0\\377\\n'\n",
        "killed": "kill -SEGV $$\n",
    }
    for name, body in dirs.items():
        make_aws(tmp_path / name, body)
    (tmp_path / "shebang").mkdir()
    (tmp_path / "shebang" / "aws").write_text("#!/opt/gone/python3.8\n")
    (tmp_path / "no-shebang").mkdir()
    (tmp_path / "no-shebang" / "aws").write_bytes(b"\x7fELF\x02\x01\x01garbage")
    for d in ("shebang", "no-shebang"):
        (tmp_path / d / "aws").chmod(0o755)
    order = [*dirs, "shebang", "no-shebang"]

    cli = cli_version.load({"PATH": os.pathsep.join(str(tmp_path / d) for d in order)})
    got = {Path(e.path).parent.name: e for e in cli.executables}

    assert got["v1"].state == "ok" and got["v1"].version == Version("1.18.69")
    assert (got["crash"].state, got["crash"].exit_code, got["crash"].problem) == ("failed", 3, "it exited with code 3")
    assert got["crash"].shown_line == "ImportError: No module named awscli"
    assert (got["garbage"].state, got["garbage"].exit_code) == ("unrecognised", 0)
    assert got["garbage"].shown_line == "hello??"
    assert (got["killed"].state, got["killed"].problem) == ("failed", "it was killed by signal 11")
    assert (got["shebang"].state, got["shebang"].problem) == ("failed", "its interpreter /opt/gone/python3.8 does not exist")
    assert got["no-shebang"].state == "failed" and "exec format error" in got["no-shebang"].problem


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), programs at /bin or /usr/bin')
def test_output_is_capped_and_a_flood_does_not_block(tmp_path):
    make_aws(tmp_path, "/usr/bin/yes garbage | /usr/bin/head -c 5000000\n")
    (exe,) = cli_version.load({"PATH": str(tmp_path)}, timeout=10).executables
    assert exe.state == "unrecognised"
    assert len(exe.output) == cli_version.MAX_OUTPUT


# --- hung executables: time-boxed, concurrent, the whole process group killed -------------------------


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie waiting for its (re)parent is dead


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), programs at /bin or /usr/bin, Linux's /proc")
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="process states are read from /proc")
def test_hung_aws_is_killed_with_its_children_and_the_others_run_concurrently(tmp_path):
    pids = tmp_path / "pids"
    for name in ("hung1", "hung2"):
        # a wrapper whose child holds the output open: killing only the wrapper would not be enough
        make_aws(tmp_path / name, f"/bin/sleep 300 &\necho $! >> {pids}\necho $$ >> {pids}\nwait\n")
    make_aws(tmp_path / "closes-output", f"exec >&- 2>&-\necho $$ >> {pids}\nexec /bin/sleep 300\n")
    make_aws(tmp_path / "ok", prints(V2_LINE))
    path = os.pathsep.join(str(tmp_path / d) for d in ("hung1", "hung2", "closes-output", "ok"))

    start = time.monotonic()
    cli = cli_version.load({"PATH": path}, timeout=1.5)
    elapsed = time.monotonic() - start

    assert [e.state for e in cli.executables] == ["hung", "hung", "hung", "ok"]
    assert cli.executables[0].problem == "it did not finish within 1.5 s and was stopped"
    # one shared deadline: three hung executables cost one timeout (1.5 s), not three (4.5 s)
    assert elapsed >= 1.5 and elapsed < 4.0, elapsed
    started = [int(x) for x in pids.read_text().split()]
    assert len(started) == 5
    deadline = time.monotonic() + 2
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p for p in started if _alive(p)] == []


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), programs at /bin or /usr/bin')
def test_aws_that_exits_but_leaves_a_child_holding_the_output_is_not_hung(tmp_path):
    make_aws(tmp_path, "/bin/sleep 300 &\n" + prints(V2_LINE))
    (exe,) = cli_version.load({"PATH": str(tmp_path)}, timeout=0.5).executables
    assert (exe.state, exe.version) == ("ok", Version("2.36.7"))


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_a_hung_aws_costs_the_whole_check_about_the_timeout(tmp_path, capsys):
    """Benchmark-style: the full SSO4 check with one hung aws first on PATH (default timeout)."""
    make_aws(tmp_path / "bin", "exec /bin/sleep 300\n")
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path / "bin"), "SSO_DOCTOR_ROOT": str(tmp_path / "root")}
    start = time.monotonic()
    doc = check(env)
    elapsed = time.monotonic() - start
    with capsys.disabled():
        print(f"\n[benchmark] sso-doctor check --select SSO4 with a hung aws: {elapsed:.2f} s "
              f"(timeout {cli_version.VERSION_TIMEOUT} s)")
    assert [f["rule_id"] for f in doc["findings"]] == ["SSO409"]
    assert elapsed < cli_version.VERSION_TIMEOUT + 2.5  # generous: shared CI cores


# --- the real AWS CLI v1 from PyPI (its own cached virtualenv: conftest.awscli_v1) --------------------


def _v1_version(aws: Path) -> str:
    """The awscli version in the v1 venv, from its metadata (never `import awscli` here)."""
    site = next((aws.parent.parent / "lib").glob("python3.*/site-packages"))
    (dist,) = site.glob("awscli-*.dist-info")
    return dist.name.removeprefix("awscli-").removesuffix(".dist-info")


def test_the_test_extra_puts_no_aws_cli_on_the_developers_path():
    """#13.10: `pip install -e '.[test]'` installs no awscli, so this venv has no `aws` to shadow the user's."""
    assert importlib.util.find_spec("awscli") is None
    assert not (Path(sysconfig.get_path("scripts")) / "aws").exists()
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    every = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    assert not [r for r in every if r.lower().replace("_", "-").startswith("awscli")]


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_real_aws_cli_v1_version_read_statically_equals_what_it_prints(tmp_path, awscli_v1):
    """The dist-info next to the script's interpreter says what `aws --version` prints: proven by running
    the real v1 once the slow way (static=False) and once the fast way."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "aws").symlink_to(awscli_v1)
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path / "bin"), "LANG": "C.UTF-8"}

    ran = cli_version.load(env, static=False, timeout=20).active
    start = time.perf_counter()
    read = cli_version.load(env).active
    elapsed = time.perf_counter() - start

    assert ran is not None and ran.state == "ok" and ran.version_file is None
    assert read is not None and read.state == "ok" and read.output == ""  # nothing was run
    assert read.version == ran.version == Version(_v1_version(awscli_v1))
    assert ran.shown_line.startswith(f"aws-cli/{read.version} Python/")
    assert read.version_file == str(next(awscli_v1.parent.parent.glob(
        "lib/python3.*/site-packages/awscli-*.dist-info")) / "METADATA")
    assert (read.install, read.installer, read.interpreter) == ("pip", "pip", str(awscli_v1.parent / "python"))
    assert elapsed < 0.2, elapsed  # a few small files; running it takes ~0.4 s of CPU


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_real_aws_cli_v1_first_on_path_gives_sso402_with_its_version(tmp_path, awscli_v1):
    version = _v1_version(awscli_v1)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "aws").symlink_to(awscli_v1)
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path / "bin"), "LANG": "C.UTF-8"}

    doc = check(env)
    assert [(f["rule_id"], f["severity"], f["location"]["path"]) for f in doc["findings"]] == [
        ("SSO402", "error", str(tmp_path / "bin" / "aws"))]
    (finding,) = doc["findings"]
    assert f"is AWS CLI {version} (v1)" in finding["message"]
    evidence = dict(finding["evidence"])
    assert evidence["version"] == version and evidence["read from"].endswith("/METADATA")
    # the pip of the very interpreter that runs this aws removes exactly this copy
    commands = [c["command"] for c in finding["fix"]["commands"]]
    assert commands[0] == f"{awscli_v1.parent / 'python'} -m pip uninstall awscli"
    assert finding["fix"]["commands"][0]["safe"] is True


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_real_v1_uninstall_command_targets_that_very_copy(tmp_path, awscli_v1):
    """The printed `<python> -m pip uninstall awscli` is right as printed: that interpreter's pip knows
    awscli at the very site-packages the version was read from (asked read-only, with `pip show`)."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "aws").symlink_to(awscli_v1)
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path / "bin"), "LANG": "C.UTF-8"}
    (finding,) = check(env, "SSO402")["findings"]
    argv = finding["fix"]["commands"][0]["args"]
    assert argv[1:] == ["-m", "pip", "uninstall", "awscli"]
    shown = subprocess.run([argv[0], "-m", "pip", "show", "awscli"], capture_output=True, text=True, check=True,
                           env={"PATH": os.defpath, "HOME": str(tmp_path)}).stdout
    location = next(line.split(":", 1)[1].strip() for line in shown.splitlines() if line.startswith("Location:"))
    assert Path(dict(finding["evidence"])["read from"].replace("~", str(tmp_path), 1)).parent.parent == Path(location)


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_awscli_import_hook_is_real_and_sso_doctor_never_triggers_it(tmp_path, awscli_v1):
    """awscli swaps `botocore` for its vendored copy when `awscli` is imported (a meta-path finder set
    up by awscli/__init__.py; no .pth file, so nothing happens at interpreter start). Prove the hazard
    is real in the v1 venv, then that a full sso-doctor run with that real v1 `aws` on PATH leaves
    sso-doctor's botocore untouched."""
    v1_python = str(awscli_v1.parent / "python")
    hazard = subprocess.run([v1_python, "-c", "import awscli, botocore; print(botocore.__file__)"],
                            capture_output=True, text=True, check=True)
    assert f"{os.sep}awscli{os.sep}botocore{os.sep}" in hazard.stdout
    site = next((awscli_v1.parent.parent / "lib").glob("python3.*/site-packages"))
    assert not [p.name for p in site.glob("*.pth") if "awscli" in p.read_text(errors="replace")]

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "aws").symlink_to(awscli_v1)
    probe = textwrap.dedent(f"""
        import json, sys
        from sso_doctor import runner
        env = {{"HOME": {str(tmp_path)!r}, "PATH": {str(tmp_path / "bin")!r}}}
        doc = json.loads(runner.check(runner.CheckRequest(output_format="json", env=env, offline=True)).render())
        import botocore
        print(json.dumps({{
            "awscli_imported": any(m == "awscli" or m.startswith("awscli.") for m in sys.modules),
            "hooks": [type(f).__name__ for f in sys.meta_path],
            "botocore": botocore.__file__,
            "rules": [f["rule_id"] for f in doc["findings"] if f["rule_id"].startswith("SSO4")],
        }}))
    """)
    out = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                    check=True).stdout)
    assert out["rules"] == ["SSO402"]
    assert out["awscli_imported"] is False
    assert "TopLevelImportAliasFinder" not in out["hooks"]
    assert f"{os.sep}awscli{os.sep}" not in out["botocore"]
    import botocore

    assert "awscli" not in sys.modules and f"{os.sep}awscli{os.sep}" not in botocore.__file__


# --- rules on top of the loader ------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_only_non_executable_aws_gives_sso401_with_chmod(tmp_path):
    make_aws(tmp_path / "bin", prints(V2_LINE), mode=0o644)
    doc = check({"HOME": str(tmp_path), "PATH": str(tmp_path / "bin")})
    (finding,) = doc["findings"]
    assert finding["rule_id"] == "SSO401"
    assert "is not executable" in finding["message"]
    step = finding["fix"]["commands"][0]
    assert (step["command"], step["safe"]) == (f"chmod +x {tmp_path / 'bin' / 'aws'}", True)


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_sso405_lists_every_aws_with_its_version_or_problem(tmp_path):
    make_aws(tmp_path / "a", prints(V2_LINE))
    make_aws(tmp_path / "b", "exit 2\n")
    make_aws(tmp_path / "c", prints("aws-cli/1.46.3 Python/3.11.7 Linux/6.1 botocore/1.43.62"))
    env = {"HOME": str(tmp_path), "PATH": os.pathsep.join(str(tmp_path / d) for d in "abc")}
    (finding,) = check(env, "SSO405")["findings"]
    assert finding["message"] == (
        "PATH holds 3 aws executables and the first one wins: ~/a/aws (2.36.7), then ~/b/aws (it exited with "
        "code 2), then ~/c/aws (1.46.3).")


ZIP_GET = 'curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o awscliv2.zip && unzip -q -o awscliv2.zip && '


@pytest.mark.parametrize("real_path, path, platform, shell, command", [
    ("/opt/homebrew/Cellar/awscli/2.15.0/libexec/bin/aws", "/opt/homebrew/bin/aws", "darwin", "zsh",
     "brew upgrade awscli"),
    ("/usr/local/Cellar/awscli/2.15.0_1/bin/aws", "/usr/local/bin/aws", "darwin", "fish", "brew upgrade awscli"),
    ("/usr/bin/snap", "/snap/bin/aws", "linux", "bash", "sudo snap refresh aws-cli"),
    ("/usr/local/aws-cli/aws", "/usr/local/bin/aws", "darwin", "zsh",
     ('curl -fsSL "https://awscli.amazonaws.com/AWSCLIV2.pkg" -o AWSCLIV2.pkg && sudo installer -pkg AWSCLIV2.pkg '
      "-target /")),
    ("C:/Program Files/Amazon/AWSCLIV2/aws.exe", "C:/Program Files/Amazon/AWSCLIV2/aws.exe", "win32", "powershell",
     "msiexec.exe /i https://awscli.amazonaws.com/AWSCLIV2.msi"),
    ("C:/Program Files/Amazon/AWSCLIV2/aws.exe", "C:/Program Files/Amazon/AWSCLIV2/aws.exe", "win32", "cmd",
     "msiexec.exe /i https://awscli.amazonaws.com/AWSCLIV2.msi"),
    ("/usr/local/aws-cli/v2/2.15.0/dist/aws", "/usr/local/bin/aws", "linux", "bash",
     ZIP_GET + "sudo ./aws/install --update"),
    # the installer's -i/-b folders of this very install, and no sudo inside the user's home
    ("/home/me/.local/aws-cli/v2/2.15.0/dist/aws", "/home/me/.local/bin/aws", "linux", "bash",
     ZIP_GET + "./aws/install -i /home/me/.local/aws-cli -b /home/me/.local/bin --update"),
    ("/opt/aws-cli/v2/2.15.0/dist/aws", "/opt/bin/aws", "linux", "bash",
     ZIP_GET + "sudo ./aws/install -i /opt/aws-cli -b /opt/bin --update"),
])
def test_upgrade_command_follows_how_the_cli_was_installed(real_path, path, platform, shell, command):
    from sso_doctor.context import Context, RunSettings
    from sso_doctor.rules.tooling import install_v2_commands

    ctx = Context(RunSettings(extra={"platform": platform}), env={"HOME": "/home/me"})
    install = cli_version.install_method(path, real_path, platform)
    exe = cli_version.AwsExecutable(path, real_path, "ok", version=Version("2.15.0"), install=install)
    (step,) = install_v2_commands(ctx, exe)
    assert step.render(shell) == command
    # a POSIX line is `$` only in a POSIX shell; msiexec and brew are plain programs, `$` everywhere
    assert step.safe_in(shell) is (step.op == "run" or shell in ("bash", "zsh"))


# --- the login environment -----------------------------------------------------------------------------


def fake_root(tmp_path: Path, files: dict[str, str]) -> str:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
    return str(root)


@pytest.mark.parametrize("files, env, expected", [
    ({".dockerenv": ""}, {}, "/.dockerenv exists"),
    ({"run/.containerenv": "engine=\"podman-4.9.3\"\n"}, {}, "/run/.containerenv exists"),
    ({"proc/1/cgroup": "12:pids:/docker/3f2a9c0e1b\n11:memory:/docker/3f2a9c0e1b\n"}, {}, "/proc/1/cgroup shows"),
    ({"proc/1/cgroup": "0::/kubepods/besteffort/pod1234/abcd\n"}, {}, "/proc/1/cgroup shows"),
    ({}, {"container": "podman"}, "container=podman is set"),
    ({}, {"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, "KUBERNETES_SERVICE_HOST is set"),
    ({"proc/1/cgroup": "0::/\n"}, {}, None),
    ({"proc/1/cgroup": "0::/user.slice/user-1000.slice/session-2.scope\n"}, {"container": " "}, None),
])
def test_container_markers(tmp_path, files, env, expected):
    got = login_env.load(env, root=fake_root(tmp_path, files), platform="linux").container
    assert (got.text if got else None) == expected or (got and expected and got.text.startswith(expected))


@pytest.mark.parametrize("proc_version, env, platform, expected", [
    ("Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0) #1237-Microsoft", {},
     "linux", "/proc/version names a Microsoft WSL kernel"),
    ("Linux version 5.15.167.4-microsoft-standard-WSL2 (root@f9c826d3017f) (gcc (GCC) 11.2.0)", {}, "linux",
     "/proc/version names a Microsoft WSL kernel"),
    ("Linux version 6.8.0-1031-aws (buildd@lcy02-amd64-010) (x86_64-linux-gnu-gcc-13)", {"WSL_DISTRO_NAME": "Ubuntu"},
     "linux", "WSL_DISTRO_NAME=Ubuntu is set (WSL)"),
    ("Linux version 6.8.0-1031-aws (buildd@lcy02-amd64-010) (x86_64-linux-gnu-gcc-13)", {}, "linux", None),
    ("Linux version 5.15.167.4-microsoft-standard-WSL2", {"WSL_DISTRO_NAME": "Ubuntu"}, "darwin", None),
])
def test_wsl_markers(tmp_path, proc_version, env, platform, expected):
    got = login_env.load(env, root=fake_root(tmp_path, {"proc/version": proc_version}), platform=platform).wsl
    assert (got.text if got else None) == expected


@pytest.mark.parametrize("env, platform, ssh, display", [
    ({}, "linux", None, None),
    ({"DISPLAY": ":0"}, "linux", None, "DISPLAY"),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": " "}, "linux", None, "WAYLAND_DISPLAY"),
    ({"SSH_TTY": "/dev/pts/0", "DISPLAY": "localhost:10.0"}, "linux", "SSH_TTY", "DISPLAY"),
    ({"SSH_CLIENT": "203.0.113.7 50022 22"}, "darwin", "SSH_CLIENT", "macOS desktop"),
    ({}, "darwin", None, "macOS desktop"),
    ({}, "win32", None, "Windows desktop"),
    ({"SSH_CONNECTION": ""}, "freebsd14", None, None),
])
def test_ssh_and_display(tmp_path, env, platform, ssh, display):
    got = login_env.load(env, root=str(tmp_path), platform=platform)
    assert (got.ssh.env_var if got.ssh else None) == ssh
    assert (got.display.env_var or got.display.text if got.display else None) == display


@pytest.mark.parametrize("files, env, display", [
    (["explorer.exe"], {}, "Windows desktop"),
    (["explorer.exe"], {"SESSIONNAME": "Console"}, "Windows desktop"),
    (["explorer.exe"], {"sessionname": "RDP-Tcp#12"}, "SESSIONNAME=RDP-Tcp#12 is set (a Remote Desktop session"),
    (["System32/cmd.exe"], {}, None),                   # Server Core: no explorer.exe
    (["System32/cmd.exe"], {"SESSIONNAME": "RDP-Tcp#1"}, None),  # RDP into Server Core: still no browser
])
def test_windows_desktop_remote_desktop_and_server_core(tmp_path, files, env, display):
    system_root = tmp_path / "Windows"
    for f in files:
        (system_root / f).parent.mkdir(parents=True, exist_ok=True)
        (system_root / f).write_text("")
    got = login_env.load({"SystemRoot": str(system_root), **env}, root=str(tmp_path), platform="win32")
    assert (got.display.text[:len(display)] if got.display else None) == display
    # no SystemRoot (or an unreadable one): a desktop, as almost every Windows is
    assert login_env.load(env, root=str(tmp_path), platform="win32").display is not None


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), POSIX mode bits')
def test_wslview_is_looked_up_on_wsl_only(tmp_path):
    make_aws(tmp_path / "bin", "exit 0\n", name="wslview")
    env = {"PATH": str(tmp_path / "bin"), "WSL_DISTRO_NAME": "Ubuntu"}
    assert login_env.load(env, root=str(tmp_path), platform="linux").wslview == str(tmp_path / "bin" / "wslview")
    assert login_env.load({**env, "WSL_DISTRO_NAME": ""}, root=str(tmp_path), platform="linux").wslview is None
    (tmp_path / "bin" / "wslview").chmod(0o644)  # not executable: the shell would not run it either
    assert login_env.load(env, root=str(tmp_path), platform="linux").wslview is None


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: symbolic links (need admin or Developer Mode on Windows)')
def test_login_env_never_raises_on_odd_files(tmp_path):
    root = tmp_path / "root"
    (root / "proc" / "version").mkdir(parents=True)  # a directory where a file should be
    (root / "proc" / "1").mkdir()
    (root / "proc" / "1" / "cgroup").write_bytes(b"\xff\xfe\x00" * 100_000)  # binary and large
    (root / ".dockerenv").symlink_to(root / "nowhere")  # a dangling marker still marks
    got = login_env.load({"BROWSER": "  "}, root=str(root), platform="linux")
    assert (got.wsl, got.browser) == (None, None)
    assert got.container is not None and got.container.text == "/.dockerenv exists (a container)"


def test_context_root_and_platform_overrides_are_test_only_knobs(tmp_path):
    from sso_doctor.context import Context, RunSettings

    root = fake_root(tmp_path, {".dockerenv": ""})
    by_env = Context(env={"SSO_DOCTOR_ROOT": root, "SSO_DOCTOR_PLATFORM": "darwin"})
    assert by_env.platform == "darwin" and by_env.login_env.container is not None
    by_settings = Context(RunSettings(extra={"root": str(tmp_path / "empty"), "platform": "linux"}),
                          env={"SSO_DOCTOR_ROOT": root})
    assert by_settings.platform == "linux" and by_settings.login_env.container is None
    assert Context(env={}).platform == sys.platform


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_sso406_location_and_fix_per_blocker(tmp_path):
    """SSH beats container beats WSL beats no display; every fix is the run's device-code login."""
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(
        "[profile a]\nsso_session = s\nsso_account_id = 111122223333\nsso_role_name = R\n\n"
        "[profile b]\nsso_session = s\nsso_account_id = 111122223333\nsso_role_name = R\n\n"
        "[sso-session s]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\n")
    make_aws(tmp_path / "bin", prints(V2_LINE))
    root = fake_root(tmp_path, {".dockerenv": ""})
    base = {"HOME": str(tmp_path), "PATH": str(tmp_path / "bin"), "SSO_DOCTOR_ROOT": root,
            "WSL_DISTRO_NAME": "Ubuntu"}

    def sso406(env: dict[str, str]) -> dict:
        outcome = runner.check(runner.CheckRequest(output_format="json", select=("SSO406",), env=env,
                                                   profiles=("a", "b")))
        (finding,) = json.loads(outcome.render())["findings"]
        return finding

    ssh = sso406({**base, "SSH_TTY": "/dev/pts/1"})
    assert (ssh["subject"], ssh["location"].get("env_var")) == ("a", "SSH_TTY")
    assert ssh["message"].startswith('Profiles "a" and "b" log in through a browser (PKCE, sso-session "s")')
    container = sso406(base)
    assert container["location"]["path"] == os.path.join(root, ".dockerenv")
    (Path(root) / ".dockerenv").unlink()
    wsl = sso406(base)
    assert wsl["location"]["env_var"] == "WSL_DISTRO_NAME"
    # one fix plan: the device-code login every rule of the run prints first; the way back to the
    # Windows browser after it (no wslview on PATH: install wslu first, a manual step)
    assert [(c["command"].split("   #")[0], c["safe"]) for c in wsl["fix"]["commands"]] == [
        ("aws sso login --use-device-code --sso-session s", True), ("sudo apt install wslu", False),
        ("export BROWSER=wslview", True)]
    assert "neither BROWSER is set nor wslview installed" in wsl["message"]
    make_aws(tmp_path / "bin", "exit 0\n", name="wslview")
    wsl = sso406(base)
    assert [c["command"].split("   #")[0] for c in wsl["fix"]["commands"]] == [
        "aws sso login --use-device-code --sso-session s", "export BROWSER=wslview"]
    assert "wslview is installed, but Python's browser lookup never tries it" in wsl["message"]


@pytest.mark.parametrize("url, region, partition", [
    ("https://start.home.awsapps.cn/directory/d-9067642ac7", "cn-north-1", "aws-cn"),
    ("https://start.us-gov-home.awsapps.com/directory/d-98676d1a2b", "us-gov-west-1", "aws-us-gov"),
    ("https://identitycenter.amazonaws.eu/ssoins-1234567890abcdef", None, "aws-eusc"),
    ("https://ssoins-1234567890abcdef.portal.cn-northwest-1.app.aws", "us-east-1", "aws-cn"),  # the host says
    ("https://sso.example.eu/start", "eu-central-1", "aws"),  # a vanity .eu host is not the EUSC partition
    ("https://sso.example.com/start", "eusc-de-east-1", "aws-eusc"),
    ("https://d-1234567890.awsapps.com/start", None, None),
])
def test_start_url_partition(tmp_path, url, region, partition):
    from sso_doctor.loaders import aws_config
    from sso_doctor.rules.tooling import start_url_partition

    text = f"[profile p]\nsso_start_url = {url}\nsso_account_id = 111122223333\nsso_role_name = R\n"
    text += f"sso_region = {region}\n" if region else ""
    parsed = aws_config.parse_bytes("config", tmp_path / "config", None, text.encode())
    cfg = aws_config.build(parsed, aws_config.ParsedFile("credentials", tmp_path / "c", None, "missing"))
    assert start_url_partition(aws_config.resolve_sso(cfg.profiles["p"], cfg.sso_sessions)) == partition


def test_rule_docs_have_the_four_parts_and_a_real_example():
    from sso_doctor.rules import tooling

    for r in tooling.RULES:
        doc = r.doc
        assert [h for h in ("## What it checks", "## Why it matters", "## How to fix", "## Example") if h in doc] == [
            "## What it checks", "## Why it matters", "## How to fix", "## Example"], r.id
        example = doc.split("## Example", 1)[1].strip()
        assert example.split(":", 1)[0].split()[1:] == [r.id, r.slug], r.id
