"""SSO4xx: the AWS CLI on PATH and the login environment (offline)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from functools import cache
from urllib.parse import urlsplit

from packaging.version import Version

from sso_doctor import aws_values, fixes
from sso_doctor.context import Context
from sso_doctor.fixes import Edit
from sso_doctor.loaders.aws_config import SsoSettings
from sso_doctor.loaders.cli_version import AwsExecutable
from sso_doctor.loaders.login_env import PKCE_SINCE_TEXT, LoginEnv
from sso_doctor.loaders.login_env import browser_blocker as _browser_blocker
from sso_doctor.loaders.login_env import wsl_why as _wsl_why
from sso_doctor.model import Command, Finding, Location, Rule, Severity, SkipRule, fix, manual, rule
from sso_doctor.text import name_list, shell_quote

SSO_SESSION_SINCE = Version("2.9.0")
PKCE_SINCE = Version(PKCE_SINCE_TEXT)
VANITY_URL_SINCE = Version("2.35.13")
PARTITION_REGRESSION = (Version("2.35.13"), Version("2.36.4"))  # from 2.35.13 up to, not including, 2.36.4

PARTITION_NAMES = {"aws-cn": "China", "aws-us-gov": "GovCloud (US)", "aws-eusc": "European Sovereign Cloud"}


# --- facts the rules share ---------------------------------------------------------------------------


def _active(ctx: Context) -> AwsExecutable:
    exe = ctx.aws_cli.active
    if exe is None:
        raise SkipRule("no aws on PATH (see SSO401)")
    return exe


def _active_v2(ctx: Context) -> tuple[AwsExecutable, Version]:
    """The aws a shell runs, when it is v2 with a known version; otherwise the rule does not apply."""
    exe = _active(ctx)
    if exe.version is None:
        raise SkipRule(f"the version of {ctx.show_path(exe.path)} is unknown (see SSO409)")
    if exe.version.major != 2:
        raise SkipRule(f"{ctx.show_path(exe.path)} is AWS CLI {exe.version}, not v2 (see SSO402)")
    return exe, exe.version


def _cli(ctx: Context, exe: AwsExecutable) -> str:
    return f"AWS CLI {exe.version} ({ctx.show_path(exe.path)})" if exe.version else ctx.show_path(exe.path)


ZIP_URL = "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip"
PKG_URL = "https://awscli.amazonaws.com/AWSCLIV2.pkg"
MSI_URL = "https://awscli.amazonaws.com/AWSCLIV2.msi"


def _sudo_for(path: str, home: str | None) -> str:
    """`sudo ` unless the path is in the user's own home (an installer run with -i ~/... -b ~/...)."""
    return "" if home and (path == home or path.startswith(home.rstrip("/") + "/")) else "sudo "


def install_v2_commands(ctx: Context, exe: AwsExecutable | None = None) -> tuple[Command, ...]:
    """The official way to install or update AWS CLI v2 here, following how `exe` was installed.

    Homebrew: `brew upgrade awscli`; snap: `sudo snap refresh aws-cli`; the Linux zip installer: run
    again with `--update` and the same install and bin folders; the macOS pkg and the Windows MSI: the
    latest installer. Anything else (no aws, a pip install, unknown): the OS's official installer.
    """
    how = exe.install if exe is not None else None
    if how == "brew":
        return (fixes.run("brew", "upgrade", "awscli"),)
    if how == "snap":
        return (fixes.run("sudo", "snap", "refresh", "aws-cli"),)
    if how == "zip" and exe is not None and ctx.platform not in ("win32", "darwin"):
        # <install-dir>/v2/<version>/dist/aws, linked from <bin-dir>/aws: update that same install
        install_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(exe.real_path))))
        bin_dir = os.path.dirname(exe.path)
        options = "--update"
        if (install_dir, bin_dir) != ("/usr/local/aws-cli", "/usr/local/bin"):
            options = f"-i {shell_quote(install_dir)} -b {shell_quote(bin_dir)} --update"
        sudo = _sudo_for(install_dir, ctx.home) if options != "--update" else "sudo "
        return (fixes.sh(f'curl -fsSL "{ZIP_URL}" -o awscliv2.zip && unzip -q -o awscliv2.zip && '
                         f"{sudo}./aws/install {options}"),)
    if ctx.platform == "darwin":
        return (fixes.sh(f'curl -fsSL "{PKG_URL}" -o AWSCLIV2.pkg && sudo installer -pkg AWSCLIV2.pkg -target /'),)
    if ctx.platform == "win32":
        return (fixes.run("msiexec.exe", "/i", MSI_URL),)
    return (fixes.sh(f'curl -fsSL "{ZIP_URL}" -o awscliv2.zip && unzip -q -o awscliv2.zip && '
                     "sudo ./aws/install --update"),)


def uninstall_v1_commands(ctx: Context, exe: AwsExecutable) -> tuple[Command, ...]:
    """How to remove this AWS CLI v1, by the tool that installed it; a manual step when unknown."""
    if exe.install == "brew":
        return (fixes.run("brew", "uninstall", "awscli@1" if "/Cellar/awscli@1/" in exe.real_path.replace("\\", "/")
                          else "awscli"),)
    real = exe.real_path.replace("\\", "/")
    if "/pipx/venvs/awscli/" in real:
        return (fixes.run("pipx", "uninstall", "awscli"),)
    if "/uv/tools/awscli/" in real:
        return (fixes.run("uv", "tool", "uninstall", "awscli"),)
    if exe.install == "pip" and exe.interpreter and exe.installer == "pip":
        # the very interpreter the script runs: its pip removes exactly this copy
        return (fixes.run(exe.interpreter, "-m", "pip", "uninstall", "awscli"),)
    if exe.version_file and "/dist-packages/" in exe.version_file.replace("\\", "/") \
            and "/local/" not in exe.version_file.replace("\\", "/"):
        return (manual("sudo apt remove awscli   # installed by the system package manager (or dnf/yum/zypper)"),)
    return (manual("pip uninstall awscli   # with the pip of the Python that installed it"),)


def _path_first_command(ctx: Context, directory: str) -> Command:
    """Put `directory` first on PATH for this shell session (POSIX shells; a manual step elsewhere)."""
    if ctx.platform == "win32":
        return manual(f'put {directory} before the other aws folders in PATH (System Properties > '
                      'Environment Variables), then open a new terminal')
    return fixes.sh(f'export PATH={shell_quote(directory)}:"$PATH"',
                    comment="this shell only: add the line to your shell's startup file to keep it")


def _list_aws(ctx: Context) -> Command:
    """Every `aws` the shell would find, in order: `type -a` in POSIX shells and fish; on Windows
    where.exe, which cmd and PowerShell both run (in PowerShell plain `where` is Where-Object)."""
    if ctx.platform in ("win32", "cygwin"):
        return fixes.run("where.exe", "aws")
    return fixes.run("type", "-a", "aws")


def _newest_v2(found: Sequence[AwsExecutable]) -> AwsExecutable | None:
    v2 = [e for e in found if e.version is not None and e.version.major == 2]
    return max(v2, key=lambda e: e.version) if v2 else None  # type: ignore[arg-type,return-value]


def _version_evidence(ctx: Context, exe: AwsExecutable) -> dict[str, str]:
    if exe.version_file:
        return {"version": str(exe.version), "read from": ctx.show_path(exe.version_file)}
    return {"aws --version": exe.shown_line}


@cache  # asked for every SSO profile; a config has a handful of distinct start URLs
def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def start_url_partition(sso: SsoSettings) -> str | None:
    """The partition a profile logs in to: from an AWS start-URL host where it says, else from sso_region."""
    host = _host(sso.start_url)
    region = sso.region
    if host and aws_values.is_aws_portal_host(host):
        if host.endswith(".cn"):
            return "aws-cn"
        if host.endswith(".eu"):
            return "aws-eusc"
        if "us-gov" in host:
            return "aws-us-gov"
        if host.endswith(".app.aws") and ".portal." in host:
            region = host.split(".portal.", 1)[1].removesuffix(".app.aws")
    return _partition_of(region.strip()) if region else None


@cache
def _partition_of(region: str) -> str:
    """botocore's own region -> partition lookup (explicit region lists, then each partition's regex)."""
    from botocore.endpoint_provider import RuleSetStandardLibrary
    from botocore.loaders import create_loader

    return RuleSetStandardLibrary(create_loader().load_data("partitions")).aws_partition(region)["name"]


def _sso_profiles(ctx: Context) -> list[SsoSettings]:
    ctx.parsed_config()  # SkipRule when botocore cannot read the config at all (SSO102)
    return ctx.selected_sso()


def _names(items: Sequence[SsoSettings]) -> str:
    return name_list([s.profile.name for s in items])


# --- the rules --------------------------------------------------------------------------------------


@rule("SSO401", "aws-cli-not-found", Severity.ERROR, needs=("cli", "env"))
def aws_cli_not_found(ctx: Context) -> Iterator[Finding]:
    """There is no `aws` command on PATH.

    ## What it checks
    Searches every directory of `PATH`, in order, for an executable file called `aws` (on Windows
    `aws.exe`, `aws.cmd` and the other `PATHEXT` extensions), as your shell does. A file called `aws`
    without execute permission does not count, just as the shell skips it; the finding names it.

    ## Why it matters
    `aws sso login` is how an IAM Identity Center login starts: it opens the browser, stores the
    token in `~/.aws/sso/cache`, and every SDK on the machine then reads that token. Without the AWS
    CLI there is no supported way to log in.

    ## How to fix
    Install AWS CLI v2 with the official installer (Linux shown; macOS uses `AWSCLIV2.pkg`,
    Windows `AWSCLIV2.msi`):

        curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o awscliv2.zip && unzip -q -o awscliv2.zip && sudo ./aws/install --update

    When no `aws` is on `PATH` but an official installer's own location holds one (the MSI's
    `%ProgramFiles%\\Amazon\\AWSCLIV2\\aws.exe`, the macOS pkg's `/usr/local/aws-cli/aws`, Homebrew's
    `/opt/homebrew/bin/aws`, the Linux installer's `/usr/local/bin/aws`, the snap's `/snap/bin/aws`),
    the finding says so, with the version read from the install folder, and the fix adds that folder
    to `PATH` (`eval "$(/opt/homebrew/bin/brew shellenv)"` for Homebrew) instead of reinstalling.

    ## Example
        ✗ SSO401 aws-cli-not-found: No aws command on PATH, so `aws sso login` cannot be run here.
    """
    cli = ctx.aws_cli
    if cli.active is not None:
        return
    installed = [e for e in cli.elsewhere if e.version is None or e.version.major == 2]
    if installed:
        # installed by an official installer, just not reachable: say so instead of "install it"
        exe = max(installed, key=lambda e: e.version or Version("0"))
        where = ctx.show_path(exe.path)
        what = f"AWS CLI {exe.version}" if exe.version else "an AWS CLI"
        folder = os.path.dirname(exe.path)
        steps: list[Command] = []
        if exe.install == "brew" and ctx.platform == "darwin":
            steps.append(fixes.sh(f'eval "$({shell_quote(os.path.join(folder, "brew"))} shellenv)"',
                                  comment="Homebrew's own PATH setup; add it to ~/.zprofile to keep it"))
        else:
            steps.append(_path_first_command(ctx, folder))
        steps.append(fixes.run("aws", "--version"))
        yield aws_cli_not_found.finding(
            f"No aws command on PATH, but {what} is installed at {where} ({_HOW.get(exe.install or '', 'installed')}): "
            f"its folder {ctx.show_path(folder)} is not on PATH, so `aws sso login` cannot be run by name.",
            fix(f"Add {ctx.show_path(folder)} to PATH.", *steps),
            location=Location(env_var="PATH"),
            evidence={ctx.show_path(e.path): str(e.version or "version not read") for e in cli.elsewhere},
        )
        return
    commands: list[str | Command] = list(install_v2_commands(ctx))
    message = "No aws command on PATH, so `aws sso login` cannot be run here."
    blocked = [e for e in cli.executables if not e.runnable]
    if blocked:
        shown = name_list([ctx.show_path(e.path) for e in blocked], quote=False)
        message = (f"No executable aws command on PATH: {shown} is not executable, so the shell skips it and "
                   "`aws sso login` cannot be run here.")
        commands = [f"chmod +x {shell_quote(e.path)}" for e in blocked] + commands
    yield aws_cli_not_found.finding(
        message,
        fix("Install AWS CLI v2 (or make the one you have executable).", *commands),
        location=Location(env_var="PATH"),
    )


@rule("SSO402", "aws-cli-v1", Severity.ERROR, needs=("cli", "env"))
def aws_cli_v1(ctx: Context) -> Iterator[Finding]:
    """The `aws` your shell runs is AWS CLI version 1, which cannot log in to IAM Identity Center.

    ## What it checks
    The version of the first `aws` on `PATH`: read from its install (the `awscli-*.dist-info` beside
    the Python its `#!` line names, for a pip install), else from `aws --version` run as a separate
    process with a time limit; major version 1 fires. When a v2 is also on `PATH`, further down, the
    finding names it and its folder: the problem is the order, not a missing install (and SSO405,
    which would say the same, is skipped).

    ## Why it matters
    AWS CLI v1 has no `aws sso login` and no `aws configure sso`: `aws sso login` fails with
    `argument operation: Invalid choice`. v1 can use a token that v2 wrote, but nothing on the
    machine can create or renew one.

    ## How to fix
    Remove v1 with the tool that installed it: for a pip install the finding names the very
    interpreter that owns it (`/path/to/python3 -m pip uninstall awscli`), `pipx uninstall awscli`,
    `brew uninstall awscli@1`, or the system package manager. Then install v2, or, when v2 is already
    further down `PATH`, put its folder first (`export PATH=/usr/local/bin:"$PATH"`):

        pip uninstall awscli
        curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o awscliv2.zip && unzip -q -o awscliv2.zip && sudo ./aws/install --update

    Check with `type -a aws` that no other v1 is left earlier on `PATH`.

    ## Example
        ✗ SSO402 aws-cli-v1: The first aws on PATH, /usr/bin/aws, is AWS CLI 1.46.3 (v1): it has no `aws sso login` or `aws configure sso`. AWS CLI 2.36.7 is installed too, at /usr/local/bin/aws, later on PATH: remove v1 or put v2's folder first.
    """
    exe = _active(ctx)
    if exe.version is None or exe.version.major != 1:
        return
    message = (f"The first aws on PATH, {ctx.show_path(exe.path)}, is AWS CLI {exe.version} (v1): it has no "
               "`aws sso login` or `aws configure sso`.")
    evidence = _version_evidence(ctx, exe)
    v2 = _newest_v2(ctx.aws_cli.runnable[1:])
    off_path = _newest_v2(ctx.aws_cli.elsewhere) if v2 is None else None
    if v2 is not None:
        # v2 is already here, later on PATH: one cause (the order), one finding, no "install v2"
        folder = os.path.dirname(v2.path)
        message += (f" AWS CLI {v2.version} is installed too, at {ctx.show_path(v2.path)}, later on PATH: "
                     "remove v1 or put v2's folder first.")
        the_fix = fix(f"Uninstall AWS CLI v1, or put {ctx.show_path(folder)} first on PATH.",
                      *uninstall_v1_commands(ctx, exe), _path_first_command(ctx, folder), _list_aws(ctx))
        evidence.update({f"on PATH #{i + 1}": f"{ctx.show_path(e.path)} ({e.version or e.problem})"
                         for i, e in enumerate(ctx.aws_cli.runnable)})
    elif off_path is not None:
        # installed by its official installer but its folder is not on PATH at all
        folder = os.path.dirname(off_path.path)
        message += (f" AWS CLI {off_path.version} is installed too, at {ctx.show_path(off_path.path)}, but its "
                    "folder is not on PATH.")
        the_fix = fix(f"Uninstall AWS CLI v1, and put {ctx.show_path(folder)} first on PATH.",
                      *uninstall_v1_commands(ctx, exe), _path_first_command(ctx, folder), _list_aws(ctx))
    else:
        the_fix = fix("Uninstall AWS CLI v1 with the tool that installed it, then install v2.",
                      *uninstall_v1_commands(ctx, exe), *install_v2_commands(ctx), _list_aws(ctx))
    yield aws_cli_v1.finding(message, the_fix, location=Location(path=exe.path), evidence=evidence)


@rule("SSO403", "cli-without-sso-session", Severity.ERROR, needs=("cli", "config", "env"), requires=("parsed_config",))
def cli_without_sso_session(ctx: Context) -> Iterator[Finding]:
    """The AWS CLI is older than 2.9.0 but the config uses `[sso-session]` sections.

    ## What it checks
    The `aws` your shell runs is v2 older than 2.9.0, and the config file has an `[sso-session]`
    section or a profile with `sso_session = ...`.

    ## Why it matters
    `[sso-session]` (with token refresh) arrived in AWS CLI 2.9.0. Older versions ignore
    `sso_session`, so `aws sso login` on such a profile fails with `Missing the following required SSO
    configuration values: sso_start_url, sso_region`.

    ## How to fix
    Upgrade the CLI (the official installer updates in place):

        curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o awscliv2.zip && unzip -q -o awscliv2.zip && sudo ./aws/install --update

    ## Example
        ✗ SSO403 cli-without-sso-session: AWS CLI 2.8.12 (/usr/local/bin/aws) predates [sso-session] support (2.9.0), but ~/.aws/config uses sso-session "corp": `aws sso login` fails for every profile that refers to it.
    """
    exe, version = _active_v2(ctx)
    if version >= SSO_SESSION_SINCE:
        return
    cfg = ctx.parsed_config()
    used = list(cfg.sso_sessions) + [
        p.sso_session for p in cfg.profiles.values() if p.sso_session and p.sso_session not in cfg.sso_sessions]
    if not used:
        return
    yield cli_without_sso_session.finding(
        f"{_cli(ctx, exe)} predates [sso-session] support (2.9.0), but {ctx.show_path(cfg.config.path)} uses "
        f"sso-session {name_list(used)}: `aws sso login` fails for every profile that refers to it.",
        fix("Upgrade AWS CLI v2 to 2.9.0 or later.", *install_v2_commands(ctx, exe)),
        location=Location(path=exe.path),
    )


@rule("SSO404", "cli-without-pkce", Severity.WARNING, needs=("cli", "env"))
def cli_without_pkce(ctx: Context) -> Iterator[Finding]:
    """The AWS CLI is older than 2.22.0: device-code login only, no PKCE, no `--use-device-code`.

    ## What it checks
    The `aws` your shell runs is v2 older than 2.22.0.

    ## Why it matters
    Since 2.22.0 `aws sso login` signs in with the authorization-code flow with PKCE for
    `[sso-session]` profiles (the browser returns straight to the CLI, no code to compare), and
    `--use-device-code` selects the older device flow. Older CLIs only have the device flow and reject
    `--use-device-code` as an unknown option, so documented login commands and scripts fail.

    ## How to fix
        curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o awscliv2.zip && unzip -q -o awscliv2.zip && sudo ./aws/install --update

    ## Example
        ! SSO404 cli-without-pkce: AWS CLI 2.15.30 (/usr/local/bin/aws) is older than 2.22.0: `aws sso login` has only the device-code flow, no PKCE browser login, and `--use-device-code` is an unknown option.
    """
    exe, version = _active_v2(ctx)
    if version >= PKCE_SINCE:
        return
    yield cli_without_pkce.finding(
        f"{_cli(ctx, exe)} is older than 2.22.0: `aws sso login` has only the device-code flow, no PKCE "
        "browser login, and `--use-device-code` is an unknown option.",
        fix("Upgrade AWS CLI v2 to 2.22.0 or later.", *install_v2_commands(ctx, exe)),
        location=Location(path=exe.path),
    )


@rule("SSO405", "multiple-aws-on-path", Severity.WARNING, needs=("cli", "env"))
def multiple_aws_on_path(ctx: Context) -> Iterator[Finding]:
    """`PATH` holds more than one `aws` executable; the first one wins.

    ## What it checks
    Every executable called `aws` on `PATH`, with its version. The same file reached twice (a
    duplicate `PATH` entry, a symbolic link to another entry's `aws`, a hard link) counts once; two
    separate installations count twice, even of the same version.

    ## Why it matters
    Your shell runs the first; an IDE, cron or a script with another `PATH` may run another. An old
    v1 from `pip install awscli` early on `PATH` hides a v2 you installed later, and upgrading
    "the CLI" then changes nothing.

    ## How to fix
    List them, then uninstall the ones you do not use or put the right folder first. The finding names
    the folder of the newest v2 when it is not first:

        type -a aws
        export PATH=/usr/local/bin:"$PATH"

    A v1 first with a v2 further down is one cause reported by SSO402 (this rule is then skipped).

    ## Example
        ! SSO405 multiple-aws-on-path: PATH holds 2 aws executables and the first one wins: /home/me/.local/bin/aws (1.46.3), then /usr/local/bin/aws (2.22.0).
    """
    found = ctx.aws_cli.runnable
    if len(found) < 2:
        return
    first = found[0]
    if first.version is not None and first.version.major == 1 and _newest_v2(found[1:]) is not None:
        raise SkipRule("the v1 first on PATH hides a v2 further down: one cause, reported by SSO402 with every aws "
                       "on PATH")
    listed = ", then ".join(f"{ctx.show_path(e.path)} ({e.version or e.problem})" for e in found)
    wanted = _newest_v2(found)
    steps: list[str | Command] = [_list_aws(ctx)]
    if wanted is not None and wanted is not first and (first.version is None or wanted.version > first.version):
        folder = os.path.dirname(wanted.path)
        summary = (f"Put {ctx.show_path(folder)} (AWS CLI {wanted.version}, the newest here) first on PATH, or "
                   "uninstall the others.")
        steps.append(_path_first_command(ctx, folder))
    else:
        others = name_list([ctx.show_path(e.path) for e in found[1:]], quote=False)
        summary = f"The first one is the one to keep; uninstall the others ({others}) so no tool runs them."
    yield multiple_aws_on_path.finding(
        f"PATH holds {len(found)} aws executables and the first one wins: {listed}.",
        fix(summary, *steps),
        location=Location(env_var="PATH"),
        evidence={ctx.show_path(e.path): _shown_version(ctx, e) for e in found},
    )


_HOW = {"brew": "Homebrew", "snap": "snap", "zip": "the Linux installer", "pkg": "the macOS installer",
        "msi": "the Windows installer", "pip": "a Python install"}


def _shown_version(ctx: Context, exe: AwsExecutable) -> str:
    if exe.version_file:
        return f"{exe.version} (read from {ctx.show_path(exe.version_file)})"
    return exe.shown_line or (exe.problem or "")


def _wsl_browser_steps(env: LoginEnv) -> list[str | Command]:
    """Make the CLI open the Windows browser from WSL: wslview (from wslu) named in BROWSER."""
    steps: list[str | Command] = []
    if not env.wslview:
        steps.append(manual("sudo apt install wslu   # provides wslview; use your distribution's package manager"))
    steps.append(fixes.setenv("BROWSER", "wslview", comment="add it to ~/.bashrc or ~/.zshrc to keep it"))
    return steps


@rule("SSO406", "headless-pkce-login", Severity.WARNING, needs=("cli", "login_env", "config", "env"),
      requires=("parsed_config", "sso_profile"))
def headless_pkce_login(ctx: Context) -> Iterator[Finding]:
    """A selected profile will log in through a browser (PKCE) where no usable browser is.

    ## What it checks
    The `aws` your shell runs is v2 2.22.0 or later and a selected profile uses an `[sso-session]`, so
    `aws sso login` uses the PKCE browser flow; and this session is remote or has no browser:
    an SSH session (`SSH_CONNECTION`, `SSH_TTY` or `SSH_CLIENT` set), a container (`/.dockerenv`,
    `/run/.containerenv`, a container runtime in `/proc/1/cgroup`, the `container` variable,
    `KUBERNETES_SERVICE_HOST`), WSL (`WSL_DISTRO_NAME`, or a Microsoft kernel in `/proc/version`)
    without `BROWSER`, Linux without `DISPLAY` and `WAYLAND_DISPLAY`, or Windows Server Core (no
    desktop, no browser). macOS and Windows have a browser unless you came in over SSH (macOS's sshd
    and Windows' OpenSSH both set `SSH_CONNECTION`); a Remote Desktop session (`SESSIONNAME=RDP-...`)
    is a full desktop where the browser opens in front of you, so it is not headless.

    On WSL the device-code flow (profiles without an sso-session, or a CLI older than 2.22.0) also
    opens a browser, for the verification page: with neither `BROWSER` set nor `wslview` installed,
    the finding says that page will not open and must be opened by hand.

    ## Why it matters
    The PKCE flow starts a small web server on `127.0.0.1` of this machine and opens the login page in
    a local browser, which must come back to that server. Over SSH or in a container the page opens
    nowhere (or where you cannot see it) and your own browser cannot reach the callback; the CLI
    waits ten minutes and gives up.

    ## How to fix
    Use the device-code flow, which works from any browser on any device:

        aws sso login --use-device-code --sso-session corp

    On WSL, let the CLI open the Windows browser instead (`wslview` comes with the `wslu` package):

        export BROWSER=wslview

    ## Example
        ! SSO406 headless-pkce-login: Profile "dev" logs in through a browser (PKCE, sso-session "corp") with AWS CLI 2.36.7 (/usr/local/bin/aws), but SSH_CONNECTION is set (an SSH session): your browser is not on this machine, and it cannot reach the login callback on this machine's 127.0.0.1.
    """
    exe, version = _active_v2(ctx)
    profiles = _sso_profiles(ctx)
    pkce = [s for s in profiles if s.session is not None] if version >= PKCE_SINCE else []
    env = ctx.login_env
    blocker = _browser_blocker(env) if pkce else None
    if blocker is None:
        # The device-code flow needs no callback, but it too opens the verification page with a browser:
        # on WSL with nothing to hand it to Windows, the page never opens and the person must copy the URL.
        device = [s for s in profiles if s not in pkce]
        if env.wsl is None or env.browser or not device or env.ssh is not None or env.container is not None:
            return
        who = f"Profile {_names(device)}" if len(device) == 1 else f"Profiles {_names(device)}"
        yield headless_pkce_login.finding(
            f"{who} log{'s' if len(device) == 1 else ''} in with a device code (the CLI's browser-less flow), "
            f"but on WSL ({env.wsl.text}) {_wsl_why(env)}: `aws sso login` cannot open the verification page, "
            "so open the URL it prints in your Windows browser by hand.",
            fix("Let WSL open the Windows browser with wslview, or open the printed URL yourself.",
                *_wsl_browser_steps(env), ctx.login_command(profile=device[0].profile.name)),
            subject=device[0].profile.name,
            location=Location(path=env.wsl.path, env_var=env.wsl.env_var),
        )
        return
    evidence, why = blocker
    session_names = list(dict.fromkeys(s.session_name for s in pkce if s.session_name))
    sessions = name_list(session_names)
    who = f"Profile {_names(pkce)}" if len(pkce) == 1 else f"Profiles {_names(pkce)}"
    message = (f"{who} log{'s' if len(pkce) == 1 else ''} in through a browser (PKCE, sso-session {sessions}) "
               f"with {_cli(ctx, exe)}, but {evidence.text}: {why}.")
    # the same login commands every other rule of this run prints (ctx.login_command: --use-device-code
    # here, one per sso-session)
    logins = [ctx.login_command(sso_session=n) for n in session_names]
    if evidence is env.wsl:
        # one fix plan: the device-code login every finding prints; wslview is the way back to the browser
        the_fix = fix("Log in with a device code, as every login command of this report does; or let WSL open "
                      "the Windows browser with wslview, after which `aws sso login` needs no --use-device-code.",
                      *logins, *_wsl_browser_steps(env))
    else:
        the_fix = fix("Log in with a device code, which works from a browser on any device.", *logins)
    yield headless_pkce_login.finding(
        message,
        the_fix,
        subject=pkce[0].profile.name,
        location=Location(path=evidence.path, env_var=evidence.env_var),
    )


@rule("SSO407", "cli-partition-regression", Severity.WARNING, needs=("cli", "config", "env"),
      requires=("parsed_config", "sso_profile"))
def cli_partition_regression(ctx: Context) -> Iterator[Finding]:
    """The AWS CLI version has known login bugs for China, GovCloud and EUSC start URLs.

    ## What it checks
    The `aws` your shell runs is v2 from 2.35.13 up to 2.36.3, and a selected profile logs in to the
    China (`aws-cn`), AWS GovCloud (US) (`aws-us-gov`) or European Sovereign Cloud (`aws-eusc`)
    partition. The partition comes from the start-URL host (`.awsapps.cn`, `.amazonaws.eu`,
    `us-gov`, `*.portal.<region>.app.aws`), else from `sso_region` via botocore's partition data.

    ## Why it matters
    2.35.13 started following vanity start URLs and deriving `sso_region`; it broke logins outside the
    commercial partition. 2.35.15, 2.36.1 and 2.36.4 fixed the China, EUSC and GovCloud cases.

    Source: the AWS CLI v2 changelog, https://github.com/aws/aws-cli/blob/v2/CHANGELOG.rst
    - 2.35.13: "enhancement:sso: Add support for vanity URLs as SSO start URLs. The CLI now follows
      redirects to discover the AWS-owned IAM Identity Center endpoint and derives the SSO region
      automatically."
    - 2.35.15: "bugfix:``sso``: Fix SSO login failure for non-commercial partition URLs (China and EUSC)"
    - 2.36.1: "bugfix:``sso``: Fix SSO login failure in the EUSC partition by adding the issuer domain
      ``identitycenter.amazonaws.eu`` to the SSO start URL resolver allowlist."
    - 2.36.4: "bugfix:``sso``: Fix SSO login failure in the GovCloud partition by adding the issuer
      domain ``identitycenter.us-gov.amazonaws.com`` to the SSO start URL resolver allowlist."

    ## How to fix
    Upgrade to 2.36.4 or later:

        curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o awscliv2.zip && unzip -q -o awscliv2.zip && sudo ./aws/install --update

    ## Example
        ! SSO407 cli-partition-regression: AWS CLI 2.35.14 (/usr/local/bin/aws) has known login regressions for China start URLs (2.35.13 to 2.36.3), used by profile "cn-dev".
    """
    exe, version = _active_v2(ctx)
    low, fixed = PARTITION_REGRESSION
    if not (low <= version < fixed):
        return
    hit = [(s, p) for s in _sso_profiles(ctx) if (p := start_url_partition(s)) in PARTITION_NAMES]
    if not hit:
        return
    kinds = name_list(list(dict.fromkeys(PARTITION_NAMES[p] for _, p in hit)), quote=False)
    profiles = [s for s, _ in hit]
    yield cli_partition_regression.finding(
        f"{_cli(ctx, exe)} has known login regressions for {kinds} start URLs (2.35.13 to 2.36.3), used by "
        f"profile{'s' if len(profiles) > 1 else ''} {_names(profiles)}.",
        fix("Upgrade AWS CLI v2 to 2.36.4 or later.", *install_v2_commands(ctx, exe)),
        subject=profiles[0].profile.name,
        location=Location(path=exe.path),
    )


@rule("SSO408", "vanity-url-needs-newer-cli", Severity.WARNING, needs=("cli", "config", "env"),
      requires=("parsed_config", "sso_profile"))
def vanity_url_needs_newer_cli(ctx: Context) -> Iterator[Finding]:
    """A start URL on your own domain needs AWS CLI 2.35.13 or later.

    ## What it checks
    The `aws` your shell runs is v2 older than 2.35.13, and a selected profile's `sso_start_url` (after
    its sso-session is applied) has a host AWS does not own: not `*.awsapps.com`, `*.awsapps.cn`,
    `*.app.aws`, `*.portal.amazonaws.com(.cn)`, `*.portal.amazonaws.eu` or an
    `identitycenter.*amazonaws.*` host.

    A start URL that SSO111 reports as an error (an identity provider's sign-in page such as
    `myapps.microsoft.com`, an AWS console URL, no `https://`) is left to SSO111: it is not a
    portal URL at all, and no CLI version makes it work.

    ## Why it matters
    Such a vanity URL only redirects to the real access portal. CLIs before 2.35.13 do not follow the
    redirect: they send the vanity URL to IAM Identity Center as is, and the login fails or the token
    is cached under a URL no SDK will look for.

    Source: the AWS CLI v2 changelog, https://github.com/aws/aws-cli/blob/v2/CHANGELOG.rst
    - 2.35.13: "enhancement:sso: Add support for vanity URLs as SSO start URLs. The CLI now follows
      redirects to discover the AWS-owned IAM Identity Center endpoint and derives the SSO region
      automatically."

    ## How to fix
    Put the portal URL from the IAM Identity Center console into the config, or upgrade the CLI:

        aws configure set sso_start_url https://d-xxxxxxxxxx.awsapps.com/start --profile dev

    (for a profile that uses an `[sso-session]`, edit `sso_start_url` in that section instead)

    ## Example
        ! SSO408 vanity-url-needs-newer-cli: Profile "dev" uses the start URL https://sso.example.com/start, whose host AWS does not own; AWS CLI 2.22.0 (/usr/local/bin/aws) does not follow such a vanity URL to the access portal (2.35.13 and later do).
    """
    exe, version = _active_v2(ctx)
    if version >= VANITY_URL_SINCE:
        return
    # a URL that is wrong for another reason (an identity provider's sign-in page, an AWS console URL,
    # no https) is not a vanity portal URL: SSO111 explains it, and no CLI version would help
    vanity = [s for s in _sso_profiles(ctx) if (h := _host(s.start_url)) and not aws_values.is_aws_portal_host(h)
              and not aws_values.judge_start_url(s.start_url).errors]
    if not vanity:
        return
    first = vanity[0]
    who = f"Profile {_names(vanity)} uses" if len(vanity) == 1 else f"Profiles {_names(vanity)} use"
    where = first.values["sso_start_url"]
    yield vanity_url_needs_newer_cli.finding(
        f"{who} the start URL {first.start_url}, whose host AWS does not own; {_cli(ctx, exe)} does not follow "
        "such a vanity URL to the access portal (2.35.13 and later do).",
        fix("Use the AWS access portal URL shown in the IAM Identity Center console, or upgrade AWS CLI v2.",
            Edit(str(where.path), "set", where.section, "sso_start_url", old=first.start_url,
                 new="https://<d-xxxxxxxxxx or alias>.awsapps.com/start", safe=False),
            *install_v2_commands(ctx, exe)),
        subject=first.profile.name,
        location=Location(path=str(where.path), line=where.line, section=where.section, key=where.key),
    )


@rule("SSO409", "unparseable-cli-version", Severity.WARNING, needs=("cli", "env"))
def unparseable_cli_version(ctx: Context) -> Iterator[Finding]:
    """`aws --version` fails, hangs or prints something that is not an AWS CLI version.

    ## What it checks
    Runs the first `aws` on `PATH` with `--version` in its own process group, with a time limit of a
    few seconds (then the whole group is killed), and expects a line starting `aws-cli/X.Y.Z`. It
    fires when the command cannot start (a missing `#!` interpreter after a Python upgrade, a binary
    for another system), exits with an error, is still running at the deadline, or prints anything
    else.

    ## Why it matters
    The same `aws` runs `aws sso login`: if it cannot even print its version it will not log you in.
    It is often a broken install (its Python removed), a wrapper or alias script in front of the real
    CLI, or an unrelated program called `aws`. sso-doctor cannot check the CLI's version rules either.

    ## How to fix
    See what `aws` is, try it yourself (a CLI that was only slow on a busy machine answers now), and
    reinstall AWS CLI v2:

        type -a aws
        aws --version
        curl -fsSL "https://awscli.amazonaws.com/awscli-exe-linux-$(uname -m).zip" -o awscliv2.zip && unzip -q -o awscliv2.zip && sudo ./aws/install --update

    ## Example
        ! SSO409 unparseable-cli-version: `/usr/local/bin/aws --version` did not report an AWS CLI version: it did not finish within 3 s and was stopped.
    """
    exe = _active(ctx)
    if exe.state == "ok":
        return
    message = f"`{ctx.show_path(exe.path)} --version` did not report an AWS CLI version: {exe.problem}."
    if exe.shown_line:
        message += f" It printed: {exe.shown_line}"
    yield unparseable_cli_version.finding(
        message,
        fix("See what this aws is and try it yourself, then reinstall AWS CLI v2.", _list_aws(ctx), "aws --version",
            *install_v2_commands(ctx, exe)),
        location=Location(path=exe.path),
        evidence={"exit code": exe.exit_code} if exe.exit_code is not None else {},
    )


RULES: tuple[Rule, ...] = (
    aws_cli_not_found,
    aws_cli_v1,
    cli_without_sso_session,
    cli_without_pkce,
    multiple_aws_on_path,
    headless_pkce_login,
    cli_partition_regression,
    vanity_url_needs_newer_cli,
    unparseable_cli_version,
)
