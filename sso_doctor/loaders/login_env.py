"""Where a browser login would happen: SSH session, display, container, WSL and $BROWSER, as facts.

`aws sso login` with PKCE opens a browser on this machine and waits for it to call back to
http://127.0.0.1:<port>/oauth/callback here. That fails when the person is not sitting at this
machine's screen (SSH), when there is no screen (Linux without a display server), inside a container
(its 127.0.0.1 is not the host's) and on WSL without a BROWSER that hands the URL to Windows.

Per OS:
- Linux: SSH variables, DISPLAY/WAYLAND_DISPLAY, container markers, WSL (and whether `wslview`, which
  hands a URL to the Windows browser, is on PATH).
- macOS: a desktop, unless the session came in over SSH (the same SSH variables; macOS's sshd sets them).
- Windows: SSH into Windows (Win32-OpenSSH sets SSH_CONNECTION and SSH_CLIENT), Remote Desktop
  (SESSIONNAME=RDP-Tcp#N: a full desktop, the browser opens in the session the person sees, so it is
  not headless), and Windows Server Core, which has no desktop and no browser: the registry's
  InstallationType says "Server Core" (read on Windows), or, where the registry cannot be read,
  %SystemRoot% has no explorer.exe.

Files are read under `root` (default "/") so tests can point the loader at a fake root; the platform
is a parameter too. Nothing here raises: an unreadable or missing marker simply is not evidence.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import NamedTuple

SSH_VARS = ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT")
DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY")
CONTAINER_FILES = ("/.dockerenv", "/run/.containerenv")
# Path fragments in /proc/1/cgroup that only container runtimes create (cgroup v1 and hybrid setups;
# under cgroup v2 a container usually sees "0::/" and the marker files above are the evidence).
CGROUP_MARKERS = ("docker", "kubepods", "containerd", "libpod", "lxc", "/ecs/")
# Enough to find a marker; /proc files report size 0, so read a fixed amount.
_READ_LIMIT = 64 * 1024


# `aws sso login` uses the PKCE browser flow for sso-session profiles, and knows --use-device-code, from
# this AWS CLI v2 version on (older CLIs have the device flow only and reject the flag: SSO404).
PKCE_SINCE_TEXT = "2.22.0"


class Evidence(NamedTuple):
    """Why we believe something: an environment variable that is set, or a file (under the root)."""

    text: str  # "SSH_CONNECTION is set", "/.dockerenv exists"
    env_var: str | None = None
    path: str | None = None  # the real path read (root-prefixed), for locations


class LoginEnv(NamedTuple):
    platform: str  # sys.platform style: linux, darwin, win32, ...
    ssh: Evidence | None
    display: Evidence | None  # None: no graphical session a browser could open in
    container: Evidence | None
    wsl: Evidence | None
    browser: str | None  # $BROWSER, when set and not blank
    wslview: str | None = None  # the `wslview` on PATH (wslu: opens a URL in the Windows browser), on WSL only

    @property
    def has_display(self) -> bool:
        return self.display is not None


def _set(env: Mapping[str, str], name: str) -> bool:
    return bool(env.get(name, "").strip())


def _under(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def _read(root: str, path: str) -> str | None:
    try:
        with open(_under(root, path), "rb") as f:
            return f.read(_READ_LIMIT).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def _ssh(env: Mapping[str, str]) -> Evidence | None:
    for name in SSH_VARS:
        if _set(env, name):
            return Evidence(f"{name} is set (an SSH session)", env_var=name)
    return None


def _display(env: Mapping[str, str], platform: str) -> Evidence | None:
    if platform == "darwin":
        return Evidence("macOS desktop")
    if platform in ("win32", "cygwin"):
        if _server_core(env):
            return None
        session = _win_env(env, "SESSIONNAME") or ""
        if session.upper().startswith("RDP-"):
            return Evidence(f"SESSIONNAME={session} is set (a Remote Desktop session: the browser opens on the "
                            "remote desktop you see)", env_var="SESSIONNAME")
        return Evidence("Windows desktop")
    for name in DISPLAY_VARS:
        if _set(env, name):
            return Evidence(f"{name} is set", env_var=name)
    return None


def _win_env(env: Mapping[str, str], name: str) -> str | None:
    """A variable as Windows looks it up: names ignore case."""
    if name in env:
        return env[name]
    return next((v for k, v in env.items() if k.upper() == name.upper()), None)


def _server_core(env: Mapping[str, str]) -> bool:
    """Windows Server Core: no desktop shell and no browser."""
    if os.name == "nt":  # pragma: no cover - the registry exists on Windows only
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Windows NT\CurrentVersion") as key:
                return str(winreg.QueryValueEx(key, "InstallationType")[0]).lower() == "server core"
        except (OSError, ImportError):
            pass
    system_root = _win_env(env, "SystemRoot")
    if not system_root or not os.path.isdir(system_root):
        return False  # unknown: a desktop, as almost every Windows is
    return not os.path.exists(os.path.join(system_root, "explorer.exe"))


def _which(env: Mapping[str, str], name: str) -> str | None:
    for d in (env.get("PATH") or "").split(os.pathsep):
        candidate = os.path.join(d or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _container(env: Mapping[str, str], root: str) -> Evidence | None:
    for marker in CONTAINER_FILES:
        if os.path.lexists(_under(root, marker)):
            return Evidence(f"{marker} exists (a container)", path=_under(root, marker))
    if _set(env, "container"):
        # systemd-nspawn, podman and LXC set it for the container's init and its children.
        return Evidence(f"container={env['container'].strip()} is set (a container)", env_var="container")
    cgroup = _read(root, "/proc/1/cgroup")
    if cgroup:
        for line in cgroup.splitlines():
            hierarchy = line.split(":", 2)[-1]
            if any(m in hierarchy for m in CGROUP_MARKERS):
                return Evidence(f"/proc/1/cgroup shows a container ({hierarchy.strip()})",
                                path=_under(root, "/proc/1/cgroup"))
    if _set(env, "KUBERNETES_SERVICE_HOST"):
        return Evidence("KUBERNETES_SERVICE_HOST is set (a Kubernetes pod)", env_var="KUBERNETES_SERVICE_HOST")
    return None


def _wsl(env: Mapping[str, str], root: str, platform: str) -> Evidence | None:
    if not platform.startswith("linux"):
        return None
    if _set(env, "WSL_DISTRO_NAME"):
        return Evidence(f"WSL_DISTRO_NAME={env['WSL_DISTRO_NAME'].strip()} is set (WSL)", env_var="WSL_DISTRO_NAME")
    version = _read(root, "/proc/version")
    # WSL 1 kernels say "Microsoft", WSL 2 kernels "microsoft-standard-WSL2".
    if version and ("microsoft" in version.lower() or "wsl" in version.lower()):
        return Evidence("/proc/version names a Microsoft WSL kernel", path=_under(root, "/proc/version"))
    return None


def load(env: Mapping[str, str], root: str = "/", platform: str = sys.platform) -> LoginEnv:
    """Facts about the login environment from `env` and files under `root`, for `platform`."""
    browser = env.get("BROWSER", "").strip() or None
    wsl = _wsl(env, root, platform)
    return LoginEnv(
        platform=platform,
        ssh=_ssh(env),
        display=_display(env, platform),
        container=_container(env, root),
        wsl=wsl,
        browser=browser,
        wslview=_which(env, "wslview") if wsl is not None else None,
    )


def browser_blocker(env: LoginEnv) -> tuple[Evidence, str] | None:
    """Why a browser on this machine cannot complete a PKCE login, or None when it can."""
    if env.ssh is not None:
        return env.ssh, ("your browser is not on this machine, and it cannot reach the login callback on this "
                         "machine's 127.0.0.1")
    if env.container is not None:
        return env.container, "a browser outside the container cannot reach the login callback on its 127.0.0.1"
    if env.wsl is not None:
        if env.browser:
            return None
        return env.wsl, wsl_why(env)
    if not env.has_display:
        if env.platform in ("win32", "cygwin"):
            return (Evidence("this is Windows Server Core", env_var=None),
                    "it has no desktop and no browser to open the login page in")
        return (Evidence("neither DISPLAY nor WAYLAND_DISPLAY is set", env_var="DISPLAY"),
                "there is no graphical display to open a browser on")
    return None


def wsl_why(env: LoginEnv) -> str:
    """Why the CLI on WSL cannot hand a login page to the Windows browser."""
    if env.wslview:
        return ("BROWSER is not set, so the CLI cannot hand the login page to the Windows browser (wslview is "
                "installed, but Python's browser lookup never tries it)")
    return ("neither BROWSER is set nor wslview installed, so nothing can hand the login page to the Windows "
            "browser")
