"""Turn a Report into text. Each format is a function (report, options) -> str, listed in FORMATS."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from sso_doctor.fixes import Command
from sso_doctor.model import Finding, Report, RuleResult, Severity, Status


class RenderOptions(NamedTuple):
    verbose: bool = False
    quiet: bool = False
    color: bool = False
    home: str | None = None
    cwd: str | None = None
    # the CI workspace ($GITHUB_WORKSPACE, else the working directory): `github` annotates files in it only
    workspace: str | None = None
    # the shell fix commands are rendered for (sso_doctor.fixes.SHELLS)
    shell: str = "bash"
    # the run's sso_doctor.platform.Platform: shows paths in the user's own form (%USERPROFILE%\\…)
    platform: Any = None


Renderer = Callable[[Report, RenderOptions], str]

# Skip reasons that mean "left out of this run by the user's choice" (--select, --ignore, the
# command), as opposed to "could not run" (a dependency that did not hold, --offline, the budget).
DESELECTED = ("not selected", "ignored", "only run by", "not part of")


def could_not_run(r: RuleResult) -> bool:
    """Skipped for a cause (a dependency that did not hold, --offline), not left out by choice."""
    return r.status == Status.SKIPPED and not (r.reason or "").startswith(DESELECTED)


def fails(f: Finding, fail_on: Severity | None) -> bool:
    """Whether this finding makes the exit code 1: at or above --fail-on (never, with `never`)."""
    return fail_on is not None and f.severity >= fail_on


def fail_on_of(report: Report) -> Severity | None:
    """The run's --fail-on threshold as the report's inputs record it (default: error)."""
    value = str(report.inputs.get("fail_on") or "error")
    if value == "never":
        return None
    try:
        return Severity.parse(value)
    except ValueError:
        return Severity.ERROR


# format name -> the module that renders it; a module is imported only when its format is used
_FORMATS = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "github": "github",
    "junit": "junit",
    "markdown": "markdown",
}


def get(name: str) -> Renderer:
    import importlib

    return importlib.import_module(f"sso_doctor.reporters.{_FORMATS[name]}").render


def names() -> list[str]:
    return list(_FORMATS)


# Formats read on a terminal or a web page: control characters in values are shown escaped there.
_ESCAPING = frozenset({"text", "markdown", "github"})


def escapes_controls(name: str) -> bool:
    return name in _ESCAPING


def command_text(c: Command, shell: str = "bash") -> tuple[str, bool]:
    """(the command as printed, safe to run as printed). The shell quoting is kept as it is; a command
    holding a control character is shown escaped (`\\x1b`), which is no longer what to type, so it
    needs an edit."""
    from sso_doctor.safe_text import escape_controls, has_controls

    text = c.render(shell)
    if c.op == "sh":  # a here-document spans lines on purpose
        shown = escape_controls(text, keep_newlines=True)
    else:
        shown = escape_controls(text) if has_controls(text) else text
    return shown, c.safe_in(shell) and shown == text


def command_lines(f: Finding, shell: str = "bash") -> list[str]:
    """`$ command` (safe to run as printed in `shell`) or `✎ step` (needs a person) for each command."""
    out = []
    for c in f.fix.commands:
        text, safe = command_text(c, shell)
        out.append(f"{'$' if safe else '✎'} {text}")
    return out


def fix_lines(f: Finding, shell: str = "bash", *, home: str | None = None, verbose: bool = False) -> list[str]:
    """A fix's steps in order: `$ command` (safe to run as printed in `shell`), `✎ step` (needs a
    person), and for config edits `✎ edit FILE:` followed by the INI snippet (indented two spaces) or,
    with `verbose`, a unified diff of the file as it is now."""
    from sso_doctor.fixes import Command

    lines: list[str] = []
    steps = list(f.fix.steps)
    i = 0
    while i < len(steps):
        step = steps[i]
        if isinstance(step, Command):
            text, safe = command_text(step, shell)
            lines.append(f"{'$' if safe else '✎'} {text}")
            i += 1
            continue
        j = i
        while j < len(steps) and not isinstance(steps[j], Command) and steps[j].path == step.path:
            j += 1
        lines.extend(edit_block(steps[i:j], home=home, verbose=verbose))
        i = j
    return lines


def edit_block(edits: list, *, home: str | None = None, verbose: bool = False) -> list[str]:
    """`✎ edit ~/.aws/config:` and the edits of that one file (snippet, or diff with `verbose`)."""
    from sso_doctor import edits as editing
    from sso_doctor.text import tilde

    path = edits[0].path
    shown = tilde(path, home)
    body = None
    if verbose:
        body = file_diff(path, edits, shown)
    head = f"✎ edit {shown}:"
    if body is None:
        body = editing.snippet(edits, max_sections=None if verbose else 5)
    else:  # a diff has no room for the snippet's "# check this value" lines: the header says it
        guesses = list(dict.fromkeys(e.key or e.section for e in edits if not e.safe))
        if guesses:
            head = f"✎ edit {shown} (check {', '.join(guesses)}: a guess or a placeholder):"
    from sso_doctor.safe_text import escape_controls

    # section names and values come from the file: control characters are shown escaped
    return [escape_controls(head)] + [f"  {escape_controls(line)}" for line in body]


def file_diff(path: str, edits: list, shown: str) -> list[str] | None:
    """The unified diff of `path` before and after `edits`, or None when the file cannot be read or the
    edits no longer fit it (it changed since the check)."""
    from sso_doctor import edits as editing

    try:
        with open(path, encoding=None, newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return editing.diff(text, edits, shown).splitlines()
    except editing.EditError:
        return None


def finding_text(f: Finding, shell: str = "bash") -> str:
    """A finding's message followed by its fix: `Fix: summary`, then `$ command` (safe) or `✎ edit` lines."""
    lines = [f.message]
    if f.fix.summary:
        lines.append(f"Fix: {f.fix.summary}")
    lines.extend(fix_lines(f, shell))
    return "\n".join(lines)


def path_under(path: str, base: str | None) -> str | None:
    """`path` relative to `base` (POSIX separators) when it lies inside it, else None.

    A relative path is relative to the working directory, like the paths `check --config` reports.
    """
    if not base:
        return None
    root = os.path.normpath(os.path.abspath(base))
    full = os.path.normpath(os.path.abspath(path))
    if full != root and not full.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return Path(os.path.relpath(full, root)).as_posix()


def show_path(path: str, home: str | None, platform: Any = None) -> str:
    """A path for people: the platform's own form when known (`%USERPROFILE%\\.aws\\config`), else ~/…"""
    if platform is not None:
        return platform.show(path)
    from sso_doctor.text import tilde

    return tilde(path, home)


def where_text(f: Finding, home: str | None, platform: Any = None) -> str:
    """`~/.aws/config:14 [profile dev] sso_region $AWS_PROFILE` — a finding's location for people."""
    loc = f.location
    parts = []
    if loc.path:
        path = show_path(loc.path, home, platform)
        parts.append(f"{path}:{loc.line}" if loc.line else path)
    if loc.section:
        parts.append(f"[{loc.section}]")
    if loc.key:
        parts.append(loc.key)
    if loc.env_var:
        parts.append(f"${loc.env_var}")
    if loc.endpoint:
        parts.append(loc.endpoint)
    return " ".join(parts)
