"""`aws` per OS and install method: versions read from the install layout (nothing run), the fallback
to `aws --version`, Windows PATHEXT and cmd's current directory, official locations off PATH, and the
early start of what must run. Every layout is built as the installer builds it, under a fake root."""

from __future__ import annotations

import os
import plistlib
import textwrap
import time
from pathlib import Path

import shutil

import pytest
from packaging.version import Version

from sso_doctor.loaders import cli_version

# Installs are built as on POSIX systems: #! scripts, symbolic links, execute bits (Windows runs the
# emulated-Windows cases of this file only through them, so the whole file needs a POSIX host).
pytestmark = pytest.mark.skipif(os.name != "posix", reason="builds installs from #! scripts and symbolic links")

V2_LINE = "aws-cli/2.36.7 Python/3.13.7 Linux/6.8.0-1031-aws exe/x86_64.ubuntu.24"
TOUCH, SLEEP = shutil.which("touch"), shutil.which("sleep")  # the PATH under test holds only aws


def script(path: Path, body: str, *, shebang: str = "#!/bin/sh") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(shebang + "\n" + textwrap.dedent(body).lstrip("\n"))
    path.chmod(0o755)
    return path


def runs_marker(marker: Path, line: str = V2_LINE) -> str:
    """A body that leaves a trace when executed: the static reads must never run anything."""
    return f"{TOUCH} {marker}\necho '{line}'\n"


# --- the Linux zip installer --------------------------------------------------------------------------


def zip_install(root: Path, version: str, marker: Path, install_dir: str = "usr/local/aws-cli",
                bin_dir: str = "usr/local/bin") -> Path:
    """What aws/install does: <i>/v2/<ver>/dist/aws, <i>/v2/<ver>/bin/aws -> ../dist/aws,
    <i>/v2/current -> <i>/v2/<ver> (absolute), <b>/aws -> <i>/v2/current/bin/aws (absolute)."""
    inst = root / install_dir / "v2"
    script(inst / version / "dist" / "aws", runs_marker(marker, f"aws-cli/{version} Python/3.13.7 Linux/6.8 exe/x86_64"))
    (inst / version / "bin").mkdir(parents=True)
    (inst / version / "bin" / "aws").symlink_to("../dist/aws")
    (inst / "current").symlink_to(inst / version)
    (root / bin_dir).mkdir(parents=True, exist_ok=True)
    (root / bin_dir / "aws").symlink_to(inst / "current" / "bin" / "aws")
    return root / bin_dir / "aws"


def test_zip_installer_version_comes_from_its_folder_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    link = zip_install(tmp_path / "root", "2.22.35", marker)
    cli = cli_version.load({"PATH": str(link.parent)}, platform="linux", root=str(tmp_path / "root"))
    (exe,) = cli.executables
    assert (exe.state, exe.version, exe.install) == ("ok", Version("2.22.35"), "zip")
    assert exe.version_file == str(tmp_path / "root/usr/local/aws-cli/v2/2.22.35")
    assert not marker.exists()
    # the same install run for real says the same
    ran = cli_version.load({"PATH": str(link.parent)}, platform="linux", static=False).active
    assert ran is not None and ran.version == exe.version and marker.exists()


def test_zip_installer_in_a_home_folder_with_its_own_install_and_bin_dirs(tmp_path):
    link = zip_install(tmp_path, "2.15.30", tmp_path / "ran", install_dir="home/me/.local/aws-cli",
                       bin_dir="home/me/.local/bin")
    (exe,) = cli_version.load({"PATH": str(link.parent)}, platform="linux").executables
    assert (exe.version, exe.install) == (Version("2.15.30"), "zip")


# --- Homebrew, snap, the macOS pkg ----------------------------------------------------------------------


@pytest.mark.parametrize("prefix, folder, version", [
    ("opt/homebrew", "awscli/2.15.0", "2.15.0"),       # Apple silicon
    ("usr/local", "awscli/2.22.8_1", "2.22.8"),        # Intel, a formula revision
    ("home/linuxbrew/.linuxbrew", "awscli/2.36.7", "2.36.7"),
])
def test_homebrew_cellar_folder_names_the_version(tmp_path, prefix, folder, version):
    root = tmp_path / "root"
    marker = tmp_path / "ran"
    # brew links bin/aws to the Cellar, whose bin/aws links into the formula's virtualenv
    real = script(root / prefix / "Cellar" / folder / "libexec" / "bin" / "aws", runs_marker(marker))
    (root / prefix / "Cellar" / folder / "bin").mkdir(parents=True)
    (root / prefix / "Cellar" / folder / "bin" / "aws").symlink_to(real)
    (root / prefix / "bin").mkdir(parents=True)
    (root / prefix / "bin" / "aws").symlink_to(root / prefix / "Cellar" / folder / "bin" / "aws")
    (exe,) = cli_version.load({"PATH": str(root / prefix / "bin")}, platform="darwin", root=str(root)).executables
    assert (exe.state, exe.version, exe.install) == ("ok", Version(version), "brew")
    assert exe.version_file == str(root / prefix / "Cellar" / folder)
    assert not marker.exists()


def snap_install(root: Path, marker: Path, yaml: str) -> Path:
    # /snap/bin/aws is a link to /usr/bin/snap, which runs /snap/aws-cli/current/...
    snap = script(root / "usr/bin/snap", runs_marker(marker))
    (root / "snap/bin").mkdir(parents=True)
    (root / "snap/bin/aws").symlink_to(snap)
    (root / "snap/aws-cli/1140/meta").mkdir(parents=True)
    (root / "snap/aws-cli/1140/meta/snap.yaml").write_text(yaml)
    (root / "snap/aws-cli/current").symlink_to("1140")
    return root / "snap/bin/aws"


def test_snap_version_comes_from_its_meta_and_nothing_runs(tmp_path):
    marker = tmp_path / "ran"
    root = tmp_path / "root"
    link = snap_install(root, marker, "name: aws-cli\nversion: 2.15.30\nsummary: Universal Command Line Interface\n")
    (exe,) = cli_version.load({"PATH": str(link.parent)}, platform="linux", root=str(root)).executables
    assert (exe.state, exe.version, exe.install) == ("ok", Version("2.15.30"), "snap")
    assert not marker.exists()


def test_snap_without_a_readable_version_is_run(tmp_path):
    marker = tmp_path / "ran"
    root = tmp_path / "root"
    link = snap_install(root, marker, "name: aws-cli\nversion: latest\n")
    (exe,) = cli_version.load({"PATH": str(link.parent)}, platform="linux", root=str(root)).executables
    assert (exe.state, exe.version, exe.install, exe.version_file) == ("ok", Version("2.36.7"), "snap", None)
    assert marker.exists()


def pkg_install(root: Path, marker: Path, receipt: dict | None) -> Path:
    """What AWSCLIV2.pkg leaves: /usr/local/aws-cli/aws, /usr/local/bin/aws -> it, and macOS's receipt."""
    real = script(root / "usr/local/aws-cli/aws", runs_marker(marker))
    (root / "usr/local/bin").mkdir(parents=True)
    (root / "usr/local/bin/aws").symlink_to(real)
    if receipt is not None:
        (root / "var/db/receipts").mkdir(parents=True)
        with open(root / "var/db/receipts" / f"{cli_version.PKG_ID}.plist", "wb") as f:
            plistlib.dump(receipt, f, fmt=plistlib.FMT_BINARY)
    return root / "usr/local/bin/aws"


def test_macos_pkg_version_comes_from_its_receipt(tmp_path):
    marker = tmp_path / "ran"
    root = tmp_path / "root"
    link = pkg_install(root, marker, {"PackageIdentifier": cli_version.PKG_ID, "PackageVersion": "2.22.0",
                                      "InstallPrefixPath": "usr/local", "InstallDate": "2026-11-01T10:00:00Z"})
    (exe,) = cli_version.load({"PATH": str(link.parent)}, platform="darwin", root=str(root)).executables
    assert (exe.state, exe.version, exe.install) == ("ok", Version("2.22.0"), "pkg")
    assert not marker.exists()


@pytest.mark.parametrize("receipt", [
    None,                                                                   # no receipt: installed otherwise
    {"PackageVersion": "2.22.0", "InstallPrefixPath": "Users/me"},         # the receipt is another install's
    {"PackageVersion": "2.22", "InstallPrefixPath": "usr/local"},          # not a CLI version
])
def test_macos_pkg_without_a_matching_receipt_is_run(tmp_path, receipt):
    marker = tmp_path / "ran"
    root = tmp_path / "root"
    link = pkg_install(root, marker, receipt)
    (exe,) = cli_version.load({"PATH": str(link.parent)}, platform="darwin", root=str(root)).executables
    assert (exe.version, exe.install, exe.version_file) == (Version("2.36.7"), "pkg", None)
    assert marker.exists()


# --- Python installs: pip, pipx, distribution packages --------------------------------------------------


def fake_python(path: Path, line: str = "aws-cli/1.44.0 Python/3.11.7 Linux/6.8 botocore/1.36.0") -> Path:
    """An interpreter that, when the aws script is really run, prints what that awscli would print."""
    return script(path, f"echo '{line}'\n")


def dist_info(site: Path, version: str, installer: str | None = "pip") -> Path:
    d = site / f"awscli-{version}.dist-info"
    d.mkdir(parents=True)
    (d / "METADATA").write_text(f"Metadata-Version: 2.1\nName: awscli\nVersion: {version}\nSummary: x\n")
    if installer:
        (d / "INSTALLER").write_text(installer + "\n")
    return d / "METADATA"


AWS_SCRIPT = """
import sys
import awscli.clidriver


def main():
    return awscli.clidriver.main()


if __name__ == '__main__':
    sys.exit(main())
"""


def venv_with_v1(tmp_path: Path, version: str = "1.44.0") -> tuple[Path, Path]:
    venv = tmp_path / "venv"
    venv.mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    python = fake_python(venv / "bin" / "python3.11")
    (venv / "bin" / "python3").symlink_to("python3.11")
    meta = dist_info(venv / "lib" / "python3.11" / "site-packages", version)
    aws = script(venv / "bin" / "aws", AWS_SCRIPT, shebang=f"#!{venv / 'bin' / 'python3'}")
    assert python.exists()
    return aws, meta


def test_pip_install_in_a_virtualenv_is_read_from_its_dist_info(tmp_path):
    aws, meta = venv_with_v1(tmp_path)
    (exe,) = cli_version.load({"PATH": str(aws.parent), "HOME": str(tmp_path)}, platform="linux").executables
    assert (exe.state, exe.version, exe.install, exe.installer) == ("ok", Version("1.44.0"), "pip", "pip")
    assert (exe.version_file, exe.interpreter, exe.output) == (str(meta), str(aws.parent / "python3"), "")


def test_pip_launcher_for_an_interpreter_path_with_spaces(tmp_path):
    """pip writes `#!/bin/sh` + `'''exec' "<python>" "$0" "$@"` when the #! line cannot hold the path."""
    base = tmp_path / "with space"
    aws, meta = venv_with_v1(base)
    python = aws.parent / "python3"
    aws.write_text(f"#!/bin/sh\n'''exec' \"{python}\" \"$0\" \"$@\"\n' '''\n" + AWS_SCRIPT)
    (exe,) = cli_version.load({"PATH": str(aws.parent)}, platform="linux").executables
    assert (exe.version, exe.version_file, exe.interpreter) == (Version("1.44.0"), str(meta), str(python))


@pytest.mark.parametrize("env_extra", [{"PYTHONPATH": "/somewhere"}, {"PYTHONHOME": "/opt/py"}])
def test_variables_that_change_imports_make_it_run(tmp_path, env_extra):
    aws, _ = venv_with_v1(tmp_path)
    (exe,) = cli_version.load({"PATH": str(aws.parent), **env_extra}, platform="linux").executables
    # the fake interpreter, really run, prints its line: the version came from running, not the files
    assert (exe.state, exe.version, exe.version_file) == ("ok", Version("1.44.0"), None)
    assert exe.interpreter == str(aws.parent / "python3")


def test_two_copies_the_interpreter_could_import_make_it_run(tmp_path):
    """A system Python with awscli in its prefix and another in the user site: Python decides, so run it."""
    prefix = tmp_path / "usr"
    python = fake_python(prefix / "bin" / "python3.11", "aws-cli/1.40.0 Python/3.11.7 Linux/6.8 botocore/1.35")
    dist_info(prefix / "lib" / "python3.11" / "site-packages", "1.40.0")
    home = tmp_path / "home"
    dist_info(home / ".local" / "lib" / "python3.11" / "site-packages", "1.44.0")
    aws = script(prefix / "bin" / "aws", AWS_SCRIPT, shebang=f"#!{python}")
    env = {"PATH": str(aws.parent), "HOME": str(home)}
    (exe,) = cli_version.load(env, platform="linux").executables
    assert (exe.version, exe.version_file) == (Version("1.40.0"), None)
    # with the user site switched off there is one candidate left: read statically
    (exe,) = cli_version.load({**env, "PYTHONNOUSERSITE": "1"}, platform="linux").executables
    assert (exe.version, exe.version_file) == (Version("1.40.0"), str(prefix / "lib/python3.11/site-packages/awscli-1.40.0.dist-info/METADATA"))


def test_debian_package_in_dist_packages_is_read(tmp_path):
    prefix = tmp_path / "usr"
    python = fake_python(prefix / "bin" / "python3.11")
    (prefix / "bin" / "python3").symlink_to("python3.11")
    egg = prefix / "lib" / "python3" / "dist-packages" / "awscli-1.22.34.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: awscli\nVersion: 1.22.34\n")
    aws = script(prefix / "bin" / "aws", AWS_SCRIPT, shebang=f"#!{prefix / 'bin' / 'python3'}")
    (exe,) = cli_version.load({"PATH": str(aws.parent), "HOME": str(tmp_path / "nohome")}, platform="linux").executables
    assert (exe.version, exe.installer, exe.version_file) == (Version("1.22.34"), None, str(egg / "PKG-INFO"))
    assert python.exists()


@pytest.mark.parametrize("shebang", ["#!/usr/bin/env python3", "#!/opt/gone/python3.8", "#!/bin/sh"])
def test_scripts_without_a_fixed_existing_interpreter_are_run(tmp_path, shebang):
    aws = script(tmp_path / "bin" / "aws", "import awscli.clidriver\n", shebang=shebang)
    dist_info(tmp_path / "lib" / "python3.8" / "site-packages", "1.44.0")
    (exe,) = cli_version.load({"PATH": str(aws.parent)}, platform="linux").executables
    assert exe.version_file is None  # whatever running it gave (SSO409 for the missing interpreter)


# --- Windows ------------------------------------------------------------------------------------------


def test_windows_pathext_order_and_case_insensitive_variables(tmp_path):
    for name in ("aws.cmd", "aws.exe", "aws.ps1"):
        script(tmp_path / "a" / name, "echo\n")
    env = {"Path": str(tmp_path / "a"), "PathExt": ".EXE;.CMD"}  # Windows spells them as it likes
    found = cli_version.find(env, platform="win32")
    assert [Path(p).name for p, _, _ in found] == ["aws.exe", "aws.cmd"]
    assert all(executable for _, _, executable in found)  # no execute bit on Windows: the extension decides


def test_windows_cmd_searches_the_current_directory_first(tmp_path):
    script(tmp_path / "project" / "aws.bat", "echo\n")
    script(tmp_path / "bin" / "aws.exe", "echo\n")
    env = {"PATH": str(tmp_path / "bin"), "PATHEXT": ".EXE;.BAT"}
    assert [Path(p).name for p, _, _ in cli_version.find(env, "win32")] == ["aws.exe"]
    assert [Path(p).name for p, _, _ in cli_version.find(env, "win32", search_cwd=str(tmp_path / "project"))] == [
        "aws.bat", "aws.exe"]


def test_windows_msi_off_path_is_found_where_the_msi_puts_it(tmp_path):
    program_files = tmp_path / "Program Files"
    script(program_files / "Amazon" / "AWSCLIV2" / "aws.exe", "echo\n")
    cli = cli_version.load({"PATH": str(tmp_path / "empty"), "ProgramFiles": str(program_files)}, platform="win32")
    assert cli.executables == () and cli.active is None
    (msi,) = cli.elsewhere
    assert (msi.path, msi.install, msi.state, msi.runnable) == (
        str(program_files / "Amazon" / "AWSCLIV2" / "aws.exe"), "msi", "not-run", False)


def test_windows_pip_aws_cmd_is_read_from_the_script_beside_it(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = C:\\Python311\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    python = fake_python(venv / "Scripts" / "python.exe")
    meta = dist_info(venv / "Lib" / "site-packages", "1.44.0")
    script(venv / "Scripts" / "aws", AWS_SCRIPT, shebang=f"#!{python}")
    script(venv / "Scripts" / "aws.cmd", '@echo OFF\n"%~dp0python.exe" "%~dp0aws" %*\n')
    cli = cli_version.load({"PATH": str(venv / "Scripts"), "PATHEXT": ".EXE;.CMD"}, platform="win32")
    (exe,) = cli.executables
    assert (Path(exe.path).name, exe.version, exe.version_file, exe.install) == (
        "aws.cmd", Version("1.44.0"), str(meta), "pip")


# --- off PATH on Linux and macOS ------------------------------------------------------------------------


def test_official_locations_off_path_are_reported_never_run(tmp_path):
    marker = tmp_path / "ran"
    root = tmp_path / "root"
    zip_install(root, "2.36.7", marker)
    snap_install(root, marker, "version: 2.15.30\n")
    cli = cli_version.load({"PATH": str(tmp_path / "empty")}, platform="linux", root=str(root))
    assert cli.active is None
    assert [(e.install, str(e.version), e.state) for e in cli.elsewhere] == [("zip", "2.36.7", "ok"), ("snap", "2.15.30", "ok")]
    assert not marker.exists()
    # on PATH, the same install is not listed twice
    cli = cli_version.load({"PATH": str(root / "usr/local/bin")}, platform="linux", root=str(root))
    assert [e.install for e in cli.executables] == ["zip"] and [e.install for e in cli.elsewhere] == ["snap"]


# --- what must run starts early -----------------------------------------------------------------------


def test_prefetch_starts_aws_version_before_any_rule_asks(tmp_path):
    from sso_doctor.context import Context, RunSettings

    started = tmp_path / "started"
    script(tmp_path / "bin" / "aws", f"{TOUCH} {started}\n{SLEEP} 0.3\necho '{V2_LINE}'\n")
    ctx = Context(RunSettings(extra={"root": str(tmp_path / "root")}),
                  env={"PATH": str(tmp_path / "bin"), "HOME": str(tmp_path)})
    ctx.prefetch({"config"})  # nothing selected needs the CLI: nothing starts
    time.sleep(0.3)
    assert not started.exists()
    ctx.prefetch({"cli", "env"})
    deadline = time.monotonic() + 5
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started.exists(), "aws --version did not start on its own"
    assert ctx.aws_cli.active is not None and ctx.aws_cli.active.version == Version("2.36.7")
    assert ctx.aws_cli is ctx.aws_cli  # loaded once


def test_the_engine_starts_aws_version_before_the_first_rule(tmp_path):
    """engine.run prefetches for the selected rules: `aws --version` is already running while the first
    rule (which never asks for the CLI) reads the config."""
    from sso_doctor import engine
    from sso_doctor.context import Context, RunSettings
    from sso_doctor.model import Severity, rule

    started = tmp_path / "started"
    script(tmp_path / "bin" / "aws", f"{TOUCH} {started}\n{SLEEP} 0.2\necho '{V2_LINE}'\n")
    seen: dict[str, bool] = {}

    @rule("SSO991", "reads-config-first", Severity.INFO, needs=("config",))
    def reads_config_first(ctx):
        ctx.config  # noqa: B018 - the work a real first rule does
        deadline = time.monotonic() + 5
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["aws started without being asked"] = started.exists() and "aws_cli" not in ctx.__dict__
        return iter(())

    @rule("SSO992", "asks-for-the-cli", Severity.INFO, needs=("cli",))
    def asks_for_the_cli(ctx):
        seen["version"] = str(ctx.aws_cli.active.version)
        return iter(())

    ctx = Context(RunSettings(extra={"root": str(tmp_path / "root")}), env={"PATH": str(tmp_path / "bin"),
                                                                           "HOME": str(tmp_path)})
    engine.run([reads_config_first, asks_for_the_cli], ctx)
    assert seen == {"aws started without being asked": True, "version": "2.36.7"}


def test_windows_v1_before_the_msi_v2_is_one_finding_with_windows_commands(tmp_path):
    """SSO402 on Windows: pip's aws.cmd (v1, read from its dist-info) first, the MSI's aws.exe (v2) later.
    One finding, naming the v2; the listing command is where.exe, the PATH change a manual step."""
    import json

    from sso_doctor import runner

    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = C:\\Python311\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    python = fake_python(venv / "Scripts" / "python.exe")
    dist_info(venv / "Lib" / "site-packages", "1.44.0")
    script(venv / "Scripts" / "aws", AWS_SCRIPT, shebang=f"#!{python}")
    script(venv / "Scripts" / "aws.cmd", '@echo OFF\n"%~dp0python.exe" "%~dp0aws" %*\n')
    msi = script(tmp_path / "Program Files" / "Amazon" / "AWSCLIV2" / "aws.exe", f"echo '{V2_LINE}'\n")
    env = {"PATH": os.pathsep.join([str(venv / "Scripts"), str(msi.parent)]), "PATHEXT": ".EXE;.CMD",
           "SSO_DOCTOR_PLATFORM": "win32", "USERPROFILE": str(tmp_path), "HOME": str(tmp_path),
           "SSO_DOCTOR_ROOT": str(tmp_path / "root")}
    doc = json.loads(runner.check(runner.CheckRequest(output_format="json", select=("SSO402", "SSO405"), env=env,
                                                      offline=True)).render())
    (finding,) = doc["findings"]
    assert finding["rule_id"] == "SSO402"
    assert "AWS CLI 2.36.7 is installed too" in finding["message"]
    commands = [(c["command"], c["safe"]) for c in finding["fix"]["commands"]]
    assert commands[-1] == ("where.exe aws", True)
    assert any(not safe and str(msi.parent) in text for text, safe in commands)  # PATH: a manual step
    assert {r["id"]: r["status"] for r in doc["rules"]}["SSO405"] == "skipped"


def test_v1_on_path_with_the_official_v2_installed_off_path(tmp_path):
    """pip's v1 on PATH, the zip installer's v2 in /usr/local but /usr/local/bin not on PATH: SSO402 says
    v2 is installed and where, and puts its folder first; it does not say "install v2"."""
    import json

    from sso_doctor import runner

    aws, _ = venv_with_v1(tmp_path)
    root = tmp_path / "root"
    zip_install(root, "2.36.7", tmp_path / "ran")
    env = {"PATH": str(aws.parent), "HOME": str(tmp_path), "SSO_DOCTOR_ROOT": str(root)}
    doc = json.loads(runner.check(runner.CheckRequest(output_format="json", select=("SSO402",), env=env,
                                                      offline=True)).render())
    (finding,) = doc["findings"]
    assert "AWS CLI 2.36.7 is installed too, at ~/root/usr/local/bin/aws, but its folder is not on PATH" in \
        finding["message"]
    commands = [c["command"] for c in finding["fix"]["commands"]]
    assert commands[0] == f"{aws.parent / 'python3'} -m pip uninstall awscli"
    assert commands[1].startswith(f"export PATH={root}/usr/local/bin:\"$PATH\"")
    assert not any("install --update" in c for c in commands)


def test_context_searches_the_current_directory_only_for_cmd(tmp_path, monkeypatch):
    """cmd.exe runs .\\aws.exe before PATH (unless NoDefaultCurrentDirectoryInExePath is set); PowerShell
    and the POSIX shells never do. The shell comes from the platform module's `shell` when it has one."""
    from sso_doctor.context import Context, RunSettings

    script(tmp_path / "project" / "aws.exe", f"echo '{V2_LINE}'\n")
    script(tmp_path / "bin" / "aws.exe", f"echo '{V2_LINE}'\n")
    monkeypatch.chdir(tmp_path / "project")
    env = {"PATH": str(tmp_path / "bin"), "PATHEXT": ".EXE", "SSO_DOCTOR_PLATFORM": "win32",
           "SSO_DOCTOR_ROOT": str(tmp_path / "root")}

    class Cmd(Context):
        shell = "cmd"

    class PowerShell(Context):
        shell = "powershell"

    def first(ctx: Context) -> str:
        return ctx.aws_cli.active.path

    assert first(Cmd(RunSettings(), env=env)) == str(tmp_path / "project" / "aws.exe")
    assert first(Cmd(RunSettings(), env={**env, "NoDefaultCurrentDirectoryInExePath": "1"})) == str(
        tmp_path / "bin" / "aws.exe")
    assert first(PowerShell(RunSettings(), env=env)) == str(tmp_path / "bin" / "aws.exe")
