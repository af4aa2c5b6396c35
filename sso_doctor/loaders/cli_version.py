"""Every `aws` executable on PATH and the version each one reports, as facts.

Each one is run as a subprocess, `aws --version`, never imported: awscli >= 1.46 installs a meta-path
hook on import that swaps `botocore` for its vendored copy, which would change what the rest of
sso-doctor (and botocore-differential tests) see.

"Distinct" executables: two PATH hits are the same executable when they are the same file after
following symbolic links (same device and inode). A duplicate PATH entry, `/bin` symlinked to
`/usr/bin`, `/usr/local/bin/aws -> /usr/local/aws-cli/v2/current/bin/aws` next to that target's own
directory, or a hard link: all count once, under the first PATH spelling. Two separate copies of the
same release are two executables (upgrading one does not upgrade the other).

Like the shell, the PATH search takes regular files only; a file called `aws` without execute
permission is recorded (state "not-executable") but never run, and the shell would skip it too.

All versions are asked for at once, under one deadline (VERSION_TIMEOUT): a hung `aws` costs at most
that long, then its whole process group is killed. Each subprocess gets its own session, so children
it started (a wrapper script's `python`, a `sleep`) die with it.
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

    @property
    def runnable(self) -> bool:
        return self.state != "not-executable"

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
    """The `aws` executables on PATH, in PATH order."""

    executables: tuple[AwsExecutable, ...]

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


def _names(env: Mapping[str, str], platform: str) -> list[str]:
    if platform != "win32":
        return ["aws"]
    exts = env.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(";")
    return ["aws" + e.lower() for e in exts if e]


def find(env: Mapping[str, str], platform: str = sys.platform) -> list[tuple[str, str, bool]]:
    """(path, real path, executable) of every distinct regular file called `aws` on PATH, in order."""
    found: list[tuple[str, str, bool]] = []
    seen: set[tuple[int, int]] = set()
    for directory in path_dirs(env):
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
            found.append((candidate, os.path.realpath(candidate), os.access(candidate, os.X_OK)))
    return found


def parse_version(output: str) -> Version | None:
    """The version in an `aws --version` line (v1 and v2 shapes), or None."""
    m = VERSION_LINE.search(output)
    return Version(m.group(1)) if m else None  # the pattern only admits valid versions


def load(env: Mapping[str, str], platform: str = sys.platform, timeout: float = VERSION_TIMEOUT) -> AwsCli:
    """Find every `aws` on env's PATH and ask each for its version, concurrently, within `timeout`."""
    hits = find(env, platform)
    runs = _run_all([p for p, _, executable in hits if executable], env, timeout)
    executables = []
    for path, real, executable in hits:
        if not executable:
            executables.append(AwsExecutable(path, real, "not-executable", problem="it is not executable"))
        else:
            executables.append(_fact(path, real, runs[path], timeout))
    return AwsCli(tuple(executables))


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
            _kill_group(proc)
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


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover
            proc.kill()
    except (ProcessLookupError, PermissionError):
        proc.kill()

