"""Every `aws` executable on PATH and the version each one reports, as facts.

The AWS CLI is never imported (awscli >= 1.46 installs a meta-path hook on import that swaps `botocore`
for its vendored copy, which would change what the rest of sso-doctor sees): its version is read
from files, or it is run as a subprocess, `aws --version`.

"Distinct" executables: two PATH hits are the same executable when they are the same file after
following symbolic links (same device and inode). A duplicate PATH entry, `/bin` symlinked to
`/usr/bin`, `/usr/local/bin/aws -> /usr/local/aws-cli/v2/current/bin/aws` next to that target's own
directory, or a hard link: all count once, under the first PATH spelling. Two separate copies of the
same release are two executables (upgrading one does not upgrade the other).

Like the shell, the PATH search takes regular files only; a file called `aws` without execute
permission is recorded (state "not-executable") but never run, and the shell would skip it too.

Versions are read STATICALLY first, from the install layout, where that layout says for sure what
`aws --version` would print (see `static_version`): a pip/pipx/Homebrew/Debian Python install (the
`awscli-*.dist-info` next to the script's own interpreter), the Linux zip installer
(`<install-dir>/v2/<version>/dist/aws`), Homebrew's Cellar folder, the snap's `meta/snap.yaml` and the
macOS pkg's receipt. Only the rest is run. Starting a Python-based CLI v1 costs ~0.4 s of CPU; reading
one small file costs well under a millisecond.

Those that must be run are asked at once, under one deadline (VERSION_TIMEOUT): a hung `aws` costs at
most that long, then its whole process group is killed. Each subprocess gets its own session, so
children it started (a wrapper script's `python`, a `sleep`) die with it. The context starts this
loader on a thread as soon as the engine knows a selected rule needs it, so a run that must execute
`aws --version` overlaps it with reading the config.

Windows: the names tried in each PATH directory are `aws` plus each PATHEXT extension, in PATHEXT
order (`aws.exe`, then `aws.cmd`, ...), as cmd.exe and `where aws` do. The current directory is
searched first only for cmd.exe (`search_cwd`), as cmd does unless NoDefaultCurrentDirectoryInExePath
is set; PowerShell and the other shells never run a program from the current directory by name.
"""

from __future__ import annotations

import errno
import os
import re
import selectors
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from packaging.version import Version

# Long enough for a working CLI on a busy machine (the Python-based v1 needs ~0.4 s idle, ~1.3 s with
# six started at once on two cores; a first v2 start under a virus scanner is slower), short enough
# that a hung `aws` costs the user three seconds.
VERSION_TIMEOUT = 3.0
# What we keep of an executable's output; the rest is read and dropped so it cannot block on a full pipe.
MAX_OUTPUT = 64 * 1024

VERSION_LINE = re.compile(r"^aws-cli/(\d+\.\d+\.\d+)", re.MULTILINE)


class AwsExecutable(NamedTuple):
    """One distinct `aws` found on PATH and what `aws --version` said.

    state: ok (a version line was printed), hung (still running at the deadline; its process group
    was killed), failed (exit code not 0 without a version line, or it could not be started),
    unrecognised (exit code 0 but no `aws-cli/X.Y.Z` line), not-executable (never run).
    """

    path: str  # as the PATH search found it
    real_path: str  # after following symbolic links
    state: str
    version: Version | None = None
    output: str = ""  # stdout and stderr together, decoded, at most MAX_OUTPUT bytes
    exit_code: int | None = None
    problem: str | None = None  # why there is no version, for people: "it exited with code 1", ...
    # How it was installed, from its layout: pip (a Python install: pip, pipx, a distribution's
    # package), zip (the Linux installer), pkg (the macOS installer), brew, snap, msi; None: unknown.
    install: str | None = None
    # The file or folder the version was read from without running anything; None when it was run.
    version_file: str | None = None
    # Python installs: the script's interpreter (from its #! line), and what installed the package
    # (the dist-info's INSTALLER file: "pip", "uv", ...; None when unknown or a distribution's package).
    interpreter: str | None = None
    installer: str | None = None

    @property
    def runnable(self) -> bool:
        return self.state not in ("not-executable", "not-run")

    @property
    def shown_line(self) -> str:
        """The telling line of the output for a message: the first non-empty one, or the last one of a
        Python traceback (the error itself); printable characters only, at most 120 of them."""
        lines = [shown for line in self.output.splitlines()
                 if (shown := "".join(c if c.isprintable() and c != "\ufffd" else "?" for c in line.strip()))]
        if not lines:
            return ""
        line = lines[-1] if lines[0].startswith("Traceback") else lines[0]
        return line if len(line) <= 120 else line[:117] + "..."


class AwsCli(NamedTuple):
    """The `aws` executables on PATH, in PATH order, and official installs that are not on PATH."""

    executables: tuple[AwsExecutable, ...]
    # At an installer's own location (the MSI's folder, /usr/local/aws-cli, /snap/bin, Homebrew's bin)
    # but not on PATH: never run; versions read statically where the layout allows (state "not-run").
    elsewhere: tuple[AwsExecutable, ...] = ()

    @property
    def runnable(self) -> tuple[AwsExecutable, ...]:
        return tuple(e for e in self.executables if e.runnable)

    @property
    def active(self) -> AwsExecutable | None:
        """The `aws` a shell runs: the first executable one on PATH."""
        return next(iter(self.runnable), None)


def path_dirs(env: Mapping[str, str]) -> list[str]:
    """PATH entries as the shell searches them (an unset PATH means the system default)."""
    path = env.get("PATH")
    if path is None:
        path = os.defpath
    if not path:
        return []
    # An empty entry means the current directory, as for the shell and execvp.
    return [os.path.abspath(d or os.curdir) for d in path.split(os.pathsep)]


DEFAULT_PATHEXT = ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC"


def _names(env: Mapping[str, str], platform: str) -> list[str]:
    if platform != "win32":
        return ["aws"]
    exts = _env(env, "PATHEXT", platform) or DEFAULT_PATHEXT
    return list(dict.fromkeys("aws" + e.strip().lower() for e in exts.split(";") if e.strip()))


def _env(env: Mapping[str, str], name: str, platform: str) -> str | None:
    """A variable as the platform looks it up: Windows variable names ignore case."""
    if platform != "win32":
        return env.get(name)
    if name in env:
        return env[name]
    folded = name.upper()
    return next((v for k, v in env.items() if k.upper() == folded), None)


def find(env: Mapping[str, str], platform: str = sys.platform,
         search_cwd: str | None = None) -> list[tuple[str, str, bool]]:
    """(path, real path, executable) of every distinct regular file called `aws` on PATH, in order.

    `search_cwd`: a directory searched before PATH (cmd.exe's current directory; see the module doc).
    On Windows a file counts when its extension is in PATHEXT: there is no execute bit to ask.
    """
    found: list[tuple[str, str, bool]] = []
    seen: set[tuple[int, int]] = set()
    dirs = path_dirs(env) if platform != "win32" else _win_path_dirs(env)
    if search_cwd is not None:
        dirs = [os.path.abspath(search_cwd), *dirs]
    for directory in dirs:
        for name in _names(env, platform):
            candidate = os.path.join(directory, name)
            try:
                st = os.stat(candidate)  # follows symlinks: a dangling link or a loop is not a command
            except (OSError, ValueError):
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            identity = (st.st_dev, st.st_ino)
            if identity in seen:
                continue
            seen.add(identity)
            executable = True if platform == "win32" else os.access(candidate, os.X_OK)
            found.append((candidate, os.path.realpath(candidate), executable))
    return found


def _win_path_dirs(env: Mapping[str, str]) -> list[str]:
    """Windows PATH entries: empty entries are skipped (not the current directory), quotes removed."""
    path = _env(env, "PATH", "win32")
    if path is None:
        return path_dirs(env)
    return [os.path.abspath(d.strip().strip('"')) for d in path.split(os.pathsep) if d.strip().strip('"')]


def parse_version(output: str) -> Version | None:
    """The version in an `aws --version` line (v1 and v2 shapes), or None."""
    m = VERSION_LINE.search(output)
    return Version(m.group(1)) if m else None  # the pattern only admits valid versions


def load(env: Mapping[str, str], platform: str = sys.platform, timeout: float = VERSION_TIMEOUT, *,
         root: str = "/", search_cwd: str | None = None, static: bool = True) -> AwsCli:
    """Find every `aws` on env's PATH and learn each one's version: statically from its install layout
    where that is certain, else by running `aws --version`, all concurrently, within `timeout`.

    `root`: where the installers' own folders are looked for (tests point it at a fake root).
    `static=False` runs every one (tests compare both ways).
    """
    hits = find(env, platform, search_cwd)
    known: dict[str, AwsExecutable] = {}
    for path, real, executable in hits:
        if executable and static:
            fact = static_version(path, real, env, platform, root)
            if fact is not None:
                known[path] = fact
    runs = _run_all([p for p, _, executable in hits if executable and p not in known], env, timeout)
    executables = []
    for path, real, executable in hits:
        install = install_method(path, real, platform, root)
        if not executable:
            executables.append(AwsExecutable(path, real, "not-executable", problem="it is not executable",
                                             install=install))
        elif path in known:
            executables.append(known[path])
        else:
            fact = _fact(path, real, runs[path], timeout)._replace(install=install)
            if install == "pip":
                script = _python_script(real) or _python_script(real[:-4])
                fact = fact._replace(interpreter=script[0] if script else None)
            executables.append(fact)
    on_path = {os.path.normcase(real) for _, real, _ in hits}
    elsewhere = tuple(
        static_version(p, real, env, platform, root)
        or AwsExecutable(p, real, "not-run", problem="not on PATH, so not run",
                         install=install_method(p, real, platform, root))
        for p, real in official_locations(env, platform, root) if os.path.normcase(real) not in on_path)
    return AwsCli(tuple(executables), elsewhere)


# --- where the official installers put `aws`, and what their layouts say -----------------------------------

# <install-dir>/v2/<version>/dist/aws: the Linux zip installer names the folder after `dist/aws --version`
# (aws/install: AWS_EXE_VERSION=$($INSTALLER_EXE --version | cut ...); INSTALL_DIR=<install-dir>/v2/$AWS_EXE_VERSION).
_ZIP_LAYOUT = re.compile(r"[/\\]v2[/\\](\d+\.\d+\.\d+)[/\\]dist[/\\]aws(?:\.exe)?\Z")
# Homebrew: <prefix>/Cellar/<formula>/<version>[_<revision>]/...; the formula version is the CLI's.
_CELLAR = re.compile(r"[/\\]Cellar[/\\]awscli(?:@(\d+))?[/\\](\d+\.\d+\.\d+)(?:_\d+)?[/\\]")
# The macOS pkg (aws-cli's scripts/installers/make-macpkg: `pkgbuild --identifier com.amazon.aws.cli2
# --version <what aws --version said>`) installs <prefix>/aws-cli/aws; the receipt macOS keeps in
# /var/db/receipts holds PackageVersion and InstallPrefixPath.
PKG_ID = "com.amazon.aws.cli2"
_SNAP_VERSION = re.compile(r"^version:\s*['\"]?(\d+\.\d+\.\d+)['\"]?\s*$", re.MULTILINE)
_MSI_LAYOUT = re.compile(r"[/\\]amazon[/\\]awscliv2[/\\]aws\.exe\Z", re.IGNORECASE)


def _logical(path: str, root: str) -> str:
    """A path as the machine sees it when tests put the filesystem under `root`."""
    if root in ("", "/"):
        return path
    r = os.path.abspath(root)
    if path == r:
        return "/"
    return path[len(r):] if path.startswith(r + os.sep) else path


def _under(root: str, path: str) -> str:
    return path if root in ("", "/") else os.path.join(root, path.lstrip("/"))


def official_locations(env: Mapping[str, str], platform: str, root: str = "/") -> list[tuple[str, str]]:
    """(path, real path) of `aws` at each official installer's default location that exists."""
    if platform == "win32":
        candidates = []
        for var in ("ProgramFiles", "ProgramW6432"):
            base = _env(env, var, platform)
            if base:
                candidates.append(os.path.join(base, "Amazon", "AWSCLIV2", "aws.exe"))
    elif platform == "darwin":
        candidates = [_under(root, p) for p in ("/usr/local/aws-cli/aws", "/opt/homebrew/bin/aws", "/usr/local/bin/aws")]
    else:
        candidates = [_under(root, p) for p in ("/usr/local/bin/aws", "/usr/local/aws-cli/v2/current/bin/aws",
                                                 "/snap/bin/aws", "/home/linuxbrew/.linuxbrew/bin/aws")]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for c in dict.fromkeys(candidates):
        try:
            if not stat.S_ISREG(os.stat(c).st_mode):
                continue
        except (OSError, ValueError):
            continue
        real = os.path.realpath(c)
        if real not in seen:
            seen.add(real)
            out.append((c, real))
    return out


def install_method(path: str, real: str, platform: str, root: str = "/") -> str | None:
    """How this `aws` was installed, from where it lives: brew, snap, zip, pkg, msi, pip; None: unknown."""
    lp, lr = _logical(path, root), _logical(real, root)
    if _CELLAR.search(lr):
        return "brew"
    if lp.startswith("/snap/") or lr.startswith("/snap/"):
        return "snap"
    if _ZIP_LAYOUT.search(lr):
        return "zip"
    if platform == "darwin" and lr.endswith("/aws-cli/aws"):
        return "pkg"
    if platform == "win32" and _MSI_LAYOUT.search(lr):
        return "msi"
    if _python_script(real) is not None or (
            platform == "win32" and real.lower().endswith(".cmd") and _python_script(real[:-4]) is not None):
        return "pip"
    return None


def static_version(path: str, real: str, env: Mapping[str, str], platform: str,
                   root: str = "/") -> AwsExecutable | None:
    """The version this `aws` would print, read from its install layout without running it; None when
    the layout does not say for sure (then it is run)."""
    lr = _logical(real, root)
    found: tuple[Version, str] | None
    if (m := _ZIP_LAYOUT.search(lr)) is not None:
        found = Version(m.group(1)), os.path.dirname(os.path.dirname(real))
    elif (m := _CELLAR.search(lr)) is not None:
        found = Version(m.group(2)), real[: real.find(m.group(0)) + len(m.group(0)) - 1]
    elif _logical(path, root).startswith("/snap/") or lr.startswith("/snap/"):
        found = _snap_version(root)
    elif platform == "darwin" and lr.endswith("/aws-cli/aws"):
        found = _pkg_version(lr, root)
    else:
        python = _python_version(real, env, platform)
        if python is None:
            return None
        version, source, interpreter = python
        return AwsExecutable(path, real, "ok", version=version, install="pip", version_file=source,
                             interpreter=interpreter, installer=_installer(source))
    if found is None:
        return None
    version, source = found
    return AwsExecutable(path, real, "ok", version=version, install=install_method(path, real, platform, root),
                         version_file=source)


def _installer(metadata: str) -> str | None:
    """The tool that installed a distribution (PEP 376 INSTALLER file beside METADATA), or None."""
    text = _read_text(os.path.join(os.path.dirname(metadata), "INSTALLER"), 256)
    word = (text or "").strip().split("\n")[0].strip()
    return word or None


def _read_text(path: str, limit: int = 256 * 1024) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def _snap_version(root: str) -> tuple[Version, str] | None:
    # /snap/bin/aws runs the snap's current revision; its meta/snap.yaml names the packaged CLI version.
    meta = _under(root, "/snap/aws-cli/current/meta/snap.yaml")
    m = _SNAP_VERSION.search(_read_text(meta) or "")
    return (Version(m.group(1)), meta) if m else None


def _pkg_version(logical_real: str, root: str) -> tuple[Version, str] | None:
    import plistlib

    receipt = _under(root, f"/var/db/receipts/{PKG_ID}.plist")
    try:
        with open(receipt, "rb") as f:
            data = plistlib.load(f)
    except Exception:  # noqa: BLE001 - missing, unreadable or not a plist: not evidence
        return None
    if not isinstance(data, dict):
        return None
    version, prefix = str(data.get("PackageVersion", "")), data.get("InstallPrefixPath")
    if not isinstance(prefix, str) or not re.fullmatch(r"\d+\.\d+\.\d+", version):
        return None
    # the receipt speaks for this file only when the package went to this file's folder
    if ("/" + prefix.strip("/") + "/aws-cli/aws").replace("//", "/") != logical_real:
        return None
    return Version(version), receipt


# --- Python installs: pip, pipx, Homebrew's virtualenv, a distribution's package ---------------------------

# Variables that change what the script's interpreter imports: then only running it tells.
_IMPORT_VARS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONPLATLIBDIR")
_PIP_LAUNCHER = re.compile(r"""'''exec' "?([^"\n]+?)"? "\$0" "\$@"$""", re.MULTILINE)


def _python_script(path: str) -> tuple[str, list[str], str] | None:
    """(interpreter, its flags, script text) when `path` is a Python script that runs the AWS CLI."""
    text = _read_text(path, 8192)
    if not text or not text.startswith("#!"):
        return None
    first = text.split("\n", 1)[0].rstrip("\r")
    words = first[2:].split()
    if not words:
        return None
    if os.path.basename(words[0]) in ("sh", "bash") and (m := _PIP_LAUNCHER.search(text)):
        words = [m.group(1)]  # pip's launcher for interpreter paths too long or with spaces for a #! line
    elif os.path.basename(words[0]) == "env" or not re.search(r"python", os.path.basename(words[0]), re.IGNORECASE):
        return None  # `env python3`: whichever python is first on PATH when it runs; or not Python at all
    if not re.search(r"^\s*(?:from awscli[.\s]|import awscli)", text, re.MULTILINE):
        return None
    return words[0], words[1:], text


def _python_version(real: str, env: Mapping[str, str], platform: str) -> tuple[Version, str, str] | None:
    script = _python_script(real)
    if script is None and platform == "win32" and real.lower().endswith(".cmd"):
        script = _python_script(real[:-4])  # awscli v1's aws.cmd runs the `aws` script beside it
    if script is None:
        return None
    interpreter, flags, _ = script
    if any(_env(env, v, platform) for v in _IMPORT_VARS):
        return None
    if not (os.path.isfile(interpreter) and (platform == "win32" or os.access(interpreter, os.X_OK))):
        return None  # running it gives the real failure (SSO409)
    versions: dict[Version, str] = {}
    for site in dict.fromkeys(_site_dirs(interpreter, flags, env, platform)):
        for version, source in _awscli_dists(site):
            versions.setdefault(version, source)
    if len(versions) != 1:
        return None  # none found, or two different ones: which one imports first is for Python to say
    ((version, source),) = versions.items()
    return version, source, interpreter


def _site_dirs(interpreter: str, flags: list[str], env: Mapping[str, str], platform: str) -> list[str]:
    """Every folder the interpreter may import awscli from (its venv's, its prefix's, the user site)."""
    no_user = any(f.startswith("-") and not f.startswith("--") and ("s" in f or "I" in f) for f in flags) or bool(
        _env(env, "PYTHONNOUSERSITE", platform))
    venv = os.path.dirname(os.path.dirname(interpreter))
    cfg = _read_text(os.path.join(venv, "pyvenv.cfg"), 4096)
    xy = _python_xy(interpreter, cfg)
    dirs: list[str] = []
    if cfg is not None:
        dirs += _lib_dirs(venv, xy, platform)
        if not re.search(r"^include-system-site-packages\s*=\s*true\s*$", cfg, re.MULTILINE | re.IGNORECASE):
            return dirs  # a venv sees only its own site-packages (no user site either)
        home = re.search(r"^home\s*=\s*(.+?)\s*$", cfg, re.MULTILINE)
        base_prefix = os.path.dirname(home.group(1)) if home else None
    else:
        base_prefix = os.path.dirname(os.path.dirname(os.path.realpath(interpreter)))
    if base_prefix:
        dirs += _lib_dirs(base_prefix, xy, platform)
        if platform != "win32":
            local = os.path.join(base_prefix, "local")
            dirs += [os.path.join(local, "lib", f"python{v}", "dist-packages") for v in _xy_list(local, xy)]
            dirs.append(os.path.join(base_prefix, "lib", "python3", "dist-packages"))  # Debian's packages
    if not no_user:
        dirs += _user_site_dirs(env, xy, platform)
    return dirs


def _python_xy(interpreter: str, cfg: str | None) -> str | None:
    for name in (os.path.basename(interpreter), os.path.basename(os.path.realpath(interpreter))):
        m = re.fullmatch(r"python(\d+\.\d+)(?:\.exe)?", name)
        if m:
            return m.group(1)
    if cfg:
        m = re.search(r"^version(?:_info)?\s*=\s*(\d+\.\d+)", cfg, re.MULTILINE)
        if m:
            return m.group(1)
    return None


def _xy_list(prefix: str, xy: str | None) -> list[str]:
    """X.Y of the pythonX.Y folders to look in: the interpreter's, or every one there when unknown."""
    if xy:
        return [xy]
    try:
        names = os.listdir(os.path.join(prefix, "lib"))
    except (OSError, ValueError):
        return []
    return sorted(n[len("python"):] for n in names if re.fullmatch(r"python\d+\.\d+", n))


def _lib_dirs(prefix: str, xy: str | None, platform: str) -> list[str]:
    if platform == "win32":
        return [os.path.join(prefix, "Lib", "site-packages")]
    return [os.path.join(prefix, "lib", f"python{v}", d) for v in _xy_list(prefix, xy)
            for d in ("site-packages", "dist-packages")]


def _user_site_dirs(env: Mapping[str, str], xy: str | None, platform: str) -> list[str]:
    base = _env(env, "PYTHONUSERBASE", platform)
    if platform == "win32":
        appdata = _env(env, "APPDATA", platform)
        if not (base or appdata) or not xy:
            return []
        base = base or os.path.join(appdata, "Python")  # type: ignore[arg-type]
        return [os.path.join(base, f"Python{xy.replace('.', '')}", "site-packages")]
    home = _env(env, "HOME", platform)
    dirs: list[str] = []
    if not base and platform == "darwin" and home:
        # macOS framework builds (python.org, Xcode) use ~/Library/Python/X.Y
        mac = os.path.join(home, "Library", "Python")
        dirs += [os.path.join(mac, v, "lib", "python", "site-packages") for v in ([xy] if xy else [])]
    base = base or (os.path.join(home, ".local") if home else None)
    if base:
        dirs += [os.path.join(base, "lib", f"python{v}", "site-packages") for v in _xy_list(base, xy)]
    return dirs


_DIST_DIR = re.compile(r"awscli-(\d[^-]*?)(?:-py\d[\w.]*)?\.(dist-info|egg-info)", re.IGNORECASE)


def _awscli_dists(site: str) -> list[tuple[Version, str]]:
    """awscli versions installed in one site folder, from *.dist-info/METADATA or *.egg-info/PKG-INFO."""
    try:
        names = os.listdir(site)
    except (OSError, ValueError):
        return []
    out = []
    for name in names:
        m = _DIST_DIR.fullmatch(name)
        if not m:
            continue
        meta = os.path.join(site, name, "METADATA" if m.group(2).lower() == "dist-info" else "PKG-INFO")
        text = _read_text(meta, 16384)
        if text is None and os.path.isfile(os.path.join(site, name)):
            meta = os.path.join(site, name)  # an egg-info file, not a folder (old distutils installs)
            text = _read_text(meta, 16384)
        v = re.search(r"^Version:\s*(\S+)\s*$", text or "", re.MULTILINE)
        n = re.search(r"^Name:\s*(\S+)\s*$", text or "", re.MULTILINE)
        if not v or not n or n.group(1).lower() != "awscli":
            continue
        try:
            out.append((Version(v.group(1)), meta))
        except ValueError:
            continue
    return out


class _Run:
    """What one `aws --version` did, filled in while it runs."""

    __slots__ = ("exit_code", "hung", "output", "start_error")

    def __init__(self) -> None:
        self.output = b""
        self.exit_code: int | None = None
        self.hung = False
        self.start_error: OSError | None = None


def _fact(path: str, real: str, run: _Run, timeout: float) -> AwsExecutable:
    text = run.output.decode("utf-8", errors="replace")
    version = parse_version(text)
    common = {"output": text, "exit_code": run.exit_code}
    if run.start_error is not None:
        return AwsExecutable(path, real, "failed", problem=_start_problem(path, run.start_error), **common)
    if run.hung:
        return AwsExecutable(path, real, "hung", problem=f"it did not finish within {timeout:g} s and was stopped",
                             **common)
    if version is not None:
        return AwsExecutable(path, real, "ok", version=version, **common)
    if run.exit_code != 0:
        code = run.exit_code or 0
        how = f"it was killed by signal {-code}" if code < 0 else f"it exited with code {code}"
        return AwsExecutable(path, real, "failed", problem=how, **common)
    return AwsExecutable(path, real, "unrecognised", problem="its output has no aws-cli/X.Y.Z line", **common)


def _start_problem(path: str, e: OSError) -> str:
    if e.errno == errno.ENOENT:
        # The file is there (the PATH search saw it), so what is missing is its #! interpreter.
        interpreter = _shebang(path)
        return f"its interpreter {interpreter} does not exist" if interpreter else "it cannot be started"
    if e.errno == errno.ENOEXEC:
        return "it is not a program the system can run (exec format error)"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "it cannot be started: permission denied (a noexec mount?)"
    return f"it cannot be started ({e.strerror or type(e).__name__})"


def _shebang(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            first = f.readline(256)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].decode("utf-8", errors="replace").split()
    return parts[0] if parts else None


def _run_all(paths: Sequence[str], env: Mapping[str, str], timeout: float) -> dict[str, _Run]:
    """Start every `aws --version` at once; collect their output until each closes it or the deadline."""
    deadline = time.monotonic() + timeout
    runs = {p: _Run() for p in paths}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for p in paths:
        try:
            procs[p] = subprocess.Popen(
                [p, "--version"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                env=dict(env), start_new_session=True, close_fds=True,
            )
        except OSError as e:
            runs[p].start_error = e
    if os.name == "posix":
        still_open = _read_until(procs, runs, deadline)
    else:  # pragma: no cover - Windows: no select() on pipes; communicate() reads in threads
        still_open = set()
        for p, proc in procs.items():
            try:
                runs[p].output = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))[0][:MAX_OUTPUT]
            except subprocess.TimeoutExpired:
                still_open.add(p)
    for p, proc in procs.items():
        run = runs[p]
        if p not in still_open:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                still_open.add(p)  # closed its output but kept running
        if p in still_open:
            # Killed before it is reaped: until then its process group id cannot be reused.
            kill_group(proc)
            proc.wait()
            # Hung is the aws itself still running; one that exited while a child it left behind kept
            # the output open has told us what it had to say.
            run.hung = os.name != "posix" or proc.returncode == -signal.SIGKILL
        proc.stdout.close()  # type: ignore[union-attr]
        run.exit_code = proc.returncode
    return runs


def _read_until(procs: Mapping[str, subprocess.Popen[bytes]], runs: dict[str, _Run], deadline: float) -> set[str]:
    """Drain every process's output pipe until EOF or the deadline; return those still open."""
    chunks: dict[str, list[bytes]] = {p: [] for p in procs}
    kept: dict[str, int] = dict.fromkeys(procs, 0)
    with selectors.DefaultSelector() as sel:
        for p, proc in procs.items():
            assert proc.stdout is not None
            os.set_blocking(proc.stdout.fileno(), False)
            sel.register(proc.stdout, selectors.EVENT_READ, p)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for key, _ in sel.select(remaining):
                p = key.data
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                room = MAX_OUTPUT - kept[p]
                if room > 0:
                    chunks[p].append(chunk[:room])
                    kept[p] += min(room, len(chunk))
        still_open = {key.data for key in sel.get_map().values()}
    for p, parts in chunks.items():
        runs[p].output = b"".join(parts)
    return still_open


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill a child started in its own process group, and everything it started (POSIX), or the child."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        proc.kill()

