"""The one module that knows which OS and shell a run is about: home, paths, shell and OS facts.

Everything here is decided from a Context's env and platform name (sys.platform style: `win32`,
`darwin`, `linux`), never from `sys.platform` or `os.environ` directly, so the whole scenario corpus
can run under an emulated Windows or macOS on any machine.

Paths follow botocore exactly. botocore resolves `AWS_CONFIG_FILE` (default `~/.aws/config`) and
`AWS_SHARED_CREDENTIALS_FILE` with `os.path.expandvars` then `os.path.expanduser`, and the token cache
with `os.path.expanduser(os.path.join("~", ".aws", "sso", "cache"))`. We run the *real* functions of
`ntpath` (Windows) or `posixpath` (everything else), rebound to read the run's env instead of
`os.environ`: no hand-made `~` expansion. So on Windows `~` is `%USERPROFILE%`, else
`%HOMEDRIVE%%HOMEPATH%`, and `HOME` is ignored (Python >= 3.8), exactly as botocore sees it.

Emulation (tests): when the emulated OS is Windows but the host is POSIX, a path such as
`/tmp/h\\.aws\\sso\\cache` (USERPROFILE=/tmp/h joined by ntpath) cannot be opened as meant. `host_path`
maps it to what the host can open by turning `\\` into `/`; on a real Windows host it is the path
itself. Reports carry the host path (the file actually read); `show` gives the user's own form.
"""

from __future__ import annotations

import functools
import ntpath
import os
import posixpath
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sso_doctor import fixes

SHELLS = fixes.SHELLS  # bash, zsh, fish, powershell, cmd


def is_windows(name: str) -> bool:
    return name.startswith("win")


def _family(name: str) -> str:
    return "win32" if is_windows(name) else "linux" if name.startswith("linux") else name


class _WindowsEnviron(dict):
    """os.environ as Windows has it: variable names are case-insensitive (stored upper-case)."""

    def __init__(self, env: Mapping[str, str]):
        super().__init__((k.upper(), v) for k, v in env.items())

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.upper())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.upper())

    def get(self, key: str, default=None):  # type: ignore[override]
        return super().get(key.upper(), default)


class _OsWithEnviron(types.ModuleType):
    """The `os` module as ntpath/posixpath use it, with `environ` replaced by the run's env."""

    def __init__(self, environ: Mapping[str, str]):
        super().__init__("os")
        self.environ = environ

    def __getattr__(self, name: str):
        return getattr(os, name)


@functools.cache
def _pristine(name: str) -> types.ModuleType:
    """A private copy of the stdlib `ntpath` or `posixpath`, executed from its own source: test doubles
    that patch the shared module (pyfakefs) never reach it. These functions touch no file anyway."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rebound(name: str, func_name: str, environ: Mapping[str, str]) -> types.FunctionType:
    """`ntpath.expanduser` (or another function of name) with `os.environ` = environ."""
    func = getattr(_pristine(name), func_name)
    glob = dict(func.__globals__)
    glob["os"] = _OsWithEnviron(environ)
    f = types.FunctionType(func.__code__, glob, func.__name__, func.__defaults__, func.__closure__)
    f.__kwdefaults__ = func.__kwdefaults__
    return f


@dataclass(frozen=True)
class Platform:
    """OS facts for one run: `name` is the OS the run is about, `host` the one Python runs on."""

    name: str
    env: Mapping[str, str]
    host: str = sys.platform

    def with_env(self, env: Mapping[str, str]) -> Platform:
        """The same OS with another env (e.g. --config set as AWS_CONFIG_FILE)."""
        return self if env == self.env else Platform(self.name, env, self.host)

    # --- the OS ------------------------------------------------------------------------------------

    @property
    def windows(self) -> bool:
        return is_windows(self.name)

    @property
    def macos(self) -> bool:
        return self.name == "darwin"

    @property
    def label(self) -> str:
        return "Windows" if self.windows else "macOS" if self.macos else "Linux" if self.name.startswith("linux") \
            else self.name

    @property
    def emulated(self) -> bool:
        """True when the run is about another OS than the one Python runs on (tests)."""
        return _family(self.name) != _family(self.host)

    @cached_property
    def path(self) -> types.ModuleType:
        """`os.path` of that OS: ntpath on Windows, posixpath elsewhere."""
        return ntpath if self.windows else posixpath

    @cached_property
    def environ(self) -> Mapping[str, str]:
        """The env as that OS's `os.environ` presents it (case-insensitive names on Windows)."""
        return _WindowsEnviron(self.env) if self.windows else dict(self.env)

    # --- botocore's path functions, on the run's env -----------------------------------------------

    @cached_property
    def _expanduser(self):
        return _rebound(self.path.__name__, "expanduser", self.environ)

    @cached_property
    def _expandvars(self):
        return _rebound(self.path.__name__, "expandvars", self.environ)

    def expanduser(self, p: str) -> str:
        return self._expanduser(p)

    def expandvars(self, p: str) -> str:
        return self._expandvars(p)

    def expand(self, p: str) -> str:
        """What botocore's configloader does to a config path: expandvars, then expanduser."""
        return self.expanduser(self.expandvars(p))

    @cached_property
    def home(self) -> str | None:
        """`~` as that OS's expanduser finds it (Windows: USERPROFILE, else HOMEDRIVE+HOMEPATH;
        POSIX: HOME, else the password database); None when it cannot be found."""
        found = self.expanduser("~")
        return None if found == "~" else found

    @property
    def home_source(self) -> str:
        """The variable `~` came from, for people: `%USERPROFILE%`, `%HOMEDRIVE%%HOMEPATH%`, `$HOME`…"""
        if self.windows:
            if "USERPROFILE" in self.environ:
                return "%USERPROFILE%"
            return "%HOMEDRIVE%%HOMEPATH%" if "HOMEPATH" in self.environ else "nothing (no USERPROFILE)"
        return "$HOME" if "HOME" in self.env else "the password database"

    def aws_file(self, var: str, default: str) -> tuple[str, str | None]:
        """The file botocore reads for `var` (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE) and the
        variable that chose it (None for the default): the value (set, even empty, wins; botocore's
        config provider) through configloader's expandvars + expanduser."""
        if var in self.environ:
            return self.expand(self.environ[var]), var
        return self.expand(default), None

    def config_file(self) -> tuple[str, str | None]:
        return self.aws_file("AWS_CONFIG_FILE", "~/.aws/config")

    def credentials_file(self) -> tuple[str, str | None]:
        return self.aws_file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")

    def under_home(self, *parts: str) -> str:
        """botocore's `os.path.expanduser(os.path.join("~", *parts))` (the token and CLI caches)."""
        return self.expanduser(self.path.join("~", *parts))

    def token_cache_dirs(self) -> tuple[str, str, str]:
        """~/.aws/sso, ~/.aws/sso/cache (botocore's SSOTokenProvider) and ~/.aws/cli/cache (the CLI)."""
        return self.under_home(".aws", "sso"), self.under_home(".aws", "sso", "cache"), \
            self.under_home(".aws", "cli", "cache")

    def user_settings_file(self) -> str | None:
        """sso-doctor's own per-user settings file: $XDG_CONFIG_HOME, else the OS's usual place."""
        env = self.environ
        if env.get("XDG_CONFIG_HOME"):
            return self.path.join(env["XDG_CONFIG_HOME"], "sso-doctor", "config.toml")
        if self.windows:
            base = env.get("APPDATA")
            return self.path.join(base, "sso-doctor", "config.toml") if base else None
        home = env.get("HOME")
        if not home:
            return None
        if self.macos:
            return self.path.join(home, "Library", "Application Support", "sso-doctor", "config.toml")
        return self.path.join(home, ".config", "sso-doctor", "config.toml")

    # --- from that OS's paths to the host's, and to the user's own form -----------------------------

    def host_path(self, p: str) -> Path:
        """A path of the emulated OS as the host opens it (identity unless Windows is emulated on POSIX,
        where `\\` becomes `/`: the tests' USERPROFILE is a POSIX folder)."""
        if self.windows and not is_windows(self.host):
            p = p.replace("\\", "/")
        return Path(p)

    def show(self, p: object) -> str:
        """A path as the user writes it: `~/.aws/config` on POSIX; `%USERPROFILE%\\.aws\\config` on
        Windows (`~\\.aws\\config` when `~` came from HOMEDRIVE+HOMEPATH)."""
        text = str(p)
        home = self.home
        if not home:
            return text
        if self.windows:
            norm = text.replace("/", "\\")
            h = home.replace("/", "\\").rstrip("\\")
            prefix = "%USERPROFILE%" if "USERPROFILE" in self.environ else "~"
            if norm.lower() == h.lower():
                return prefix
            if h and norm.lower().startswith(h.lower() + "\\"):
                return prefix + norm[len(h):]
            return text
        h = home.rstrip("/")
        if text == home or (h and text.startswith(h + "/")):
            return "~" + text[len(h):]
        return text

    # --- the shell ------------------------------------------------------------------------------------

    @cached_property
    def shell(self) -> str:
        return detect_shell(self)[0]

    @cached_property
    def shell_reason(self) -> str:
        return detect_shell(self)[1]


def for_run(env: Mapping[str, str], name: str | None = None) -> Platform:
    """The platform of a run: `name`, else SSO_DOCTOR_PLATFORM (tests only), else sys.platform."""
    return Platform(name or env.get("SSO_DOCTOR_PLATFORM") or sys.platform, env)


# --- shell detection --------------------------------------------------------------------------------

_SHELL_NAMES = {
    "bash": "bash", "zsh": "zsh", "fish": "fish", "sh": "bash", "dash": "bash", "ksh": "bash",
    "powershell": "powershell", "pwsh": "powershell", "cmd": "cmd",
}


def shell_name(program: str) -> str | None:
    """`/usr/bin/zsh`, `pwsh.exe`, `C:\\Windows\\System32\\cmd.exe` → the fixes shell, None if unknown."""
    base = program.replace("\\", "/").rsplit("/", 1)[-1].lower()
    base = base.removesuffix(".exe").lstrip("-")  # `-zsh` is a login shell
    return _SHELL_NAMES.get(base)


def _windows_parent_shell() -> str | None:
    """The shell that started this process on a real Windows host: the nearest parent process whose
    image is powershell, pwsh, cmd or bash (Toolhelp snapshot; no extra packages). None elsewhere."""
    if sys.platform != "win32":
        return None
    try:
        import ctypes
        from ctypes import wintypes

        class PROCESSENTRY32W(ctypes.Structure):
            _fields_ = [("dwSize", wintypes.DWORD), ("cntUsage", wintypes.DWORD),
                        ("th32ProcessID", wintypes.DWORD), ("th32DefaultHeapID", ctypes.c_void_p),
                        ("th32ModuleID", wintypes.DWORD), ("cntThreads", wintypes.DWORD),
                        ("th32ParentProcessID", wintypes.DWORD), ("pcPriClassBase", ctypes.c_long),
                        ("dwFlags", wintypes.DWORD), ("szExeFile", ctypes.c_wchar * 260)]

        k32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        k32.CreateToolhelp32Snapshot.restype = wintypes.HANDLE
        snap = k32.CreateToolhelp32Snapshot(0x2, 0)  # TH32CS_SNAPPROCESS
        if not snap or snap == wintypes.HANDLE(-1).value:
            return None
        parents: dict[int, tuple[int, str]] = {}
        try:
            entry = PROCESSENTRY32W()
            entry.dwSize = ctypes.sizeof(PROCESSENTRY32W)
            ok = k32.Process32FirstW(snap, ctypes.byref(entry))
            while ok:
                parents[entry.th32ProcessID] = (entry.th32ParentProcessID, entry.szExeFile)
                ok = k32.Process32NextW(snap, ctypes.byref(entry))
        finally:
            k32.CloseHandle(snap)
        pid = os.getpid()
        for _ in range(8):  # python.exe ← sso-doctor.exe launcher ← py.exe ← the shell
            ppid, _exe = parents.get(pid, (0, ""))
            if not ppid or ppid not in parents:
                return None
            found = shell_name(parents[ppid][1])
            if found:
                return found
            pid = ppid
    except Exception:  # noqa: BLE001 - detection is best effort; the env rules below still apply
        return None
    return None


def detect_shell(p: Platform, parent: str | None = None) -> tuple[str, str]:
    """(shell, how it was found). Order:

    1. Windows, real host: the parent process (powershell/pwsh, cmd, bash);
    2. Windows: MSYSTEM or SHELL (Git Bash, MSYS2, Cygwin) → that POSIX shell;
       PSModulePath holding a per-user module folder (PowerShell adds `Documents\\…\\Modules` for the
       processes it starts; cmd started from Explorer sees only the system entries) → powershell;
       ComSpec → cmd; otherwise powershell (the default terminal of Windows 10/11);
    3. elsewhere: $SHELL's name (bash, zsh, fish; sh, dash and ksh render like bash), else bash.
    """
    env = p.environ
    if p.windows:
        if parent is None and not p.emulated:
            parent = _windows_parent_shell()
        if parent:
            return parent, "the parent process"
        if env.get("MSYSTEM") or env.get("SHELL"):
            return shell_name(env.get("SHELL") or "bash") or "bash", "MSYSTEM/SHELL (Git Bash or MSYS2)"
        modules = env.get("PSModulePath") or ""
        if any("\\documents\\" in part.lower() or part.lower().startswith((env.get("USERPROFILE") or "\0").lower())
               for part in modules.split(";") if part):
            return "powershell", "PSModulePath (a per-user PowerShell module folder)"
        if env.get("ComSpec"):
            return "cmd", "ComSpec"
        return "powershell", "the Windows default"
    found = shell_name(env.get("SHELL") or "")
    if found:
        return found, "$SHELL"
    return fixes.DEFAULT_SHELL, "the default (no recognised $SHELL)"
