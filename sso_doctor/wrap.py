"""`sso-doctor run -- CMD [ARGS...]`: run a command unchanged and, when it fails with an SSO error, say why.

The command gets this process's stdin, stdout, environment and terminal as they are: only its stderr goes
through a pipe, copied to our stderr byte for byte as it arrives (never buffered until the end), while the
last `TAIL_BYTES` of it are kept to recognise the error. On success nothing is added. On failure, when the
stderr tail holds a known SSO message, the rules that explain it run for the profile the command used
(`--profile` in its arguments, else the environment, as the command itself resolves it), offline unless
`--online`, and a short diagnosis follows the command's own output on stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Enough for the last error of any tool (a Python traceback, a Terraform diagnostic block); the rest of a
# huge stderr streams through without being kept.
TAIL_BYTES = 64 * 1024
_CHUNK = 64 * 1024
# exit codes of a shell for a command it cannot run
NOT_FOUND = 127
NOT_EXECUTABLE = 126


@dataclass(frozen=True)
class Ran:
    returncode: int  # as subprocess reports it: negative for "killed by signal N"
    stderr_tail: bytes


def stream(argv: Sequence[str], *, err_fd: int = 2, env: Mapping[str, str] | None = None,
           tail_bytes: int = TAIL_BYTES) -> Ran:
    """Run argv with stdin/stdout inherited and stderr teed to `err_fd` as it arrives. Raises OSError when
    the command can't be started (not found, not executable)."""
    # Ctrl-C and Ctrl-\ reach the whole foreground process group, the command included: let it decide, and
    # stay alive to copy what it writes while it shuts down. A TERM/HUP sent to us alone is passed on.
    # Installed before the command starts (no window where Ctrl-C kills us first), as Python handlers, not
    # SIG_IGN: an ignored signal would stay ignored in the command after exec, a handler is reset to default.
    started: list[subprocess.Popen] = []
    early: list[int] = []
    previous = _install_handlers(started, early)
    try:
        proc = subprocess.Popen(list(argv), stdin=None, stdout=None, stderr=subprocess.PIPE, bufsize=0,
                                env=None if env is None else dict(env))
        started.append(proc)
        for signum in early:  # a TERM/HUP that came while the command was being started
            _send(proc, signum)
        tail = bytearray()
        assert proc.stderr is not None
        fd = proc.stderr.fileno()
        while True:
            chunk = os.read(fd, _CHUNK)  # PEP 475: retried after a signal handler runs
            if not chunk:
                break
            _write_all(err_fd, chunk)
            tail += chunk
            if len(tail) > tail_bytes:
                del tail[: len(tail) - tail_bytes]
        proc.stderr.close()
        returncode = proc.wait()
    finally:
        _restore(previous)
    return Ran(returncode, bytes(tail))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BrokenPipeError:
            return  # our stderr went away: keep draining the command's so it is not blocked
        view = view[n:]


def _send(proc: subprocess.Popen, signum: int) -> None:
    try:
        proc.send_signal(signum)
    except (ProcessLookupError, OSError):
        pass


def _install_handlers(started: list[subprocess.Popen], early: list[int]) -> dict[int, object]:
    def swallow(_signum: int, _frame: object) -> None:
        pass

    def forward(signum: int, _frame: object) -> None:
        if started:
            _send(started[0], signum)
        else:
            early.append(signum)

    previous: dict[int, object] = {}
    for name, handler in (("SIGINT", swallow), ("SIGQUIT", swallow), ("SIGTERM", forward), ("SIGHUP", forward)):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread
            pass
    return previous


def _restore(previous: dict[int, object]) -> None:
    for sig, handler in previous.items():
        try:
            signal.signal(sig, handler)  # type: ignore[arg-type]
        except (ValueError, OSError, TypeError):
            pass


def profile_of(argv: Sequence[str]) -> str | None:
    """The profile a command names with --profile (AWS CLI, SAM, CDK, awslogs...), or None."""
    for i, word in enumerate(argv):
        if word == "--profile" and i + 1 < len(argv):
            return argv[i + 1] or None
        if word.startswith("--profile="):
            return word.split("=", 1)[1] or None
    return None


def diagnose(argv: Sequence[str], stderr_tail: bytes, *, online: bool = False,
             env: Mapping[str, str] | None = None) -> str | None:
    """The diagnosis to print after a failed command, or None when its stderr holds no known SSO error."""
    from sso_doctor import error_match

    text = stderr_tail.decode("utf-8", errors="replace")
    result = error_match.explain(text)
    if not result.recognised:
        return None
    from sso_doctor.rules import by_id

    rules = by_id()
    profile = profile_of(argv)
    rule_ids = [c.rule for c in result.candidates if c.rule in rules]
    if not rule_ids:
        return None
    top = result.candidates[0]
    headline = (f"sso-doctor: this looks like {top.rule} {rules[top.rule].slug} "
                f"(confidence {top.confidence:.2f}): {top.cause}")
    lines = [headline]
    findings, note, who = _run_rules(rule_ids, profile, online, env)
    from sso_doctor.reporters import finding_text

    if findings:
        lines.append(f"sso-doctor: checked {who} on this machine ({'online' if online else 'offline'}):")
        for f in findings:
            lines.append(f"  {f.rule_id} {f.slug}: " + finding_text(f).replace("\n", "\n    "))
    else:
        lines.append(f"sso-doctor: {note}")
        others = ", ".join(f"{r} {rules[r].slug}" for r in rule_ids)
        lines.append(f"sso-doctor: the message points to {others}; details: sso-doctor explain {top.rule}")
    return error_match.redact_pasted("\n".join(lines)) + "\n"


def _run_rules(rule_ids: list[str], profile: str | None, online: bool,
               env: Mapping[str, str] | None) -> tuple[list, str, str]:
    """(findings of those rules, a note when there are none, which profile was checked and why)."""
    from sso_doctor import runner
    from sso_doctor.model import Status

    request = runner.CheckRequest(
        profiles=(profile,) if profile else (), offline=not online, select=tuple(rule_ids), fail_on="never",
        env=env, output_format="text",
    )
    try:
        outcome = runner.check(request)
    except Exception as e:  # noqa: BLE001 - a diagnosis must never hide the command's own result
        return [], f"could not check this machine ({type(e).__name__}: {e}).", ""
    inputs = outcome.report.inputs
    checked = ", ".join(f'"{p}"' for p in inputs.get("profiles") or ()) or '"default"'
    source = "its --profile" if profile else inputs.get("profile_source") or "the environment"
    who = f"profile {checked} (from {source})"
    findings = [f for f in outcome.report.findings if f.rule_id in rule_ids]
    findings.sort(key=lambda f: rule_ids.index(f.rule_id))
    if findings:
        # second line of defence, as `check` does: no secret the loaders saw leaves the process
        return [_redacted(f, outcome) for f in findings], "", who
    skipped = [r for r in outcome.report.results if r.rule.id in rule_ids and r.status == Status.SKIPPED]
    ran = [r for r in rule_ids if r not in {s.rule.id for s in skipped}]
    notes = []
    if ran:
        notes.append(f"`sso-doctor check` finds no {', '.join(ran)} problem on this machine now")
    if skipped:
        notes.append("; ".join(f"{r.rule.id} could not run here ({r.reason})" for r in skipped))
        if not online:
            notes.append("`sso-doctor run --online -- CMD` lets the network checks run")
    return [], ". ".join(notes) + ".", who


def _redacted(finding, outcome):
    from dataclasses import replace

    return replace(finding, message=outcome.redact(finding.message))


@dataclass(frozen=True)
class Exit:
    code: int  # what a shell would report: the command's exit code, 128+N when signal N killed it
    signal: int | None = None  # the signal that killed the command, to end the same way


def run(argv: Sequence[str], *, online: bool = False, err_fd: int = 2) -> Exit:
    """Run the command, then diagnose its failure on stderr if it is a known SSO error."""
    if not argv:
        raise ValueError("no command")
    try:
        ran = stream(argv, err_fd=err_fd)
    except FileNotFoundError:
        where = "" if os.sep in argv[0] else " (not on PATH)"
        _write_all(err_fd, f"sso-doctor run: {argv[0]}: command not found{where}\n".encode())
        return Exit(NOT_FOUND)
    except PermissionError:
        _write_all(err_fd, f"sso-doctor run: {argv[0]}: permission denied\n".encode())
        return Exit(NOT_EXECUTABLE)
    except OSError as e:
        _write_all(err_fd, f"sso-doctor run: {argv[0]}: {e.strerror or e}\n".encode())
        return Exit(NOT_EXECUTABLE)
    code = ran.returncode
    if code == 0:
        return Exit(0)
    try:
        text = diagnose(argv, ran.stderr_tail, online=online)
    except Exception as e:  # noqa: BLE001 - never let the diagnosis change what the command did
        text = f"sso-doctor: could not diagnose this failure ({type(e).__name__}).\n"
    if text:
        _write_all(err_fd, text.encode("utf-8", errors="replace"))
    if code < 0:
        return Exit(128 - code, -code)
    return Exit(code)
