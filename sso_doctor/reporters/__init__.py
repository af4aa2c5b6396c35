"""Turn a Report into text. Each format is a function (report, options) -> str, listed in FORMATS."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

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


def command_lines(f: Finding, shell: str = "bash") -> list[str]:
    """`$ command` (safe to run as printed in `shell`) or `✎ step` (needs a person) for each command."""
    return [f"{'$' if c.safe_in(shell) else '✎'} {c.render(shell)}" for c in f.fix.commands]


def finding_text(f: Finding, shell: str = "bash") -> str:
    """A finding's message followed by its fix: `Fix: summary`, then `$ command` (safe) or `✎ edit` lines."""
    lines = [f.message]
    if f.fix.summary:
        lines.append(f"Fix: {f.fix.summary}")
    lines.extend(command_lines(f, shell))
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
