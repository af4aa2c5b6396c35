"""GitHub Actions workflow-command annotations: `::error file=F,line=N,title=T::message`.

GitHub's escaping (actions/toolkit, command.ts): in the message (data) `%`, CR and LF become `%25`,
`%0D`, `%0A`; in a property value `:` and `,` become `%3A` and `%2C` as well. A message can therefore
never end the command early or start a new one on the next line. `file=` is given only for files inside
the workspace ($GITHUB_WORKSPACE, else the working directory), relative to it, as GitHub expects.
"""

from __future__ import annotations

import re

from sso_doctor.model import Finding, Report, Severity
from sso_doctor.reporters import (
    RenderOptions,
    could_not_run,
    fail_on_of,
    fails,
    finding_text,
    path_under,
    show_path,
)
from sso_doctor.text import plural

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def command(f: Finding, fail_on: Severity | None) -> str:
    """`error` exactly for the findings that fail the run (--fail-on, like the exit code); below it an
    error or warning is a `warning` and an info a `notice`."""
    if fails(f, fail_on):
        return "error"
    return "notice" if f.severity == Severity.INFO else "warning"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


_CODES = {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}


def unescape_data(text: str) -> str:
    """What the runner shows for an escaped message (one pass, so `%250A` stays a literal `%0A`)."""
    return re.sub(r"%(25|0D|0A)", lambda m: _CODES[m.group(1)], text)


def unescape_property(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: _CODES[m.group(1)], text)


def annotation(f: Finding, options: RenderOptions, fail_on: Severity | None = Severity.ERROR) -> str:
    props: list[tuple[str, str]] = []
    loc = f.location
    rel = path_under(loc.path, options.workspace or options.cwd) if loc.path else None
    if rel is not None:
        props.append(("file", rel))
        if loc.line:
            props.append(("line", str(loc.line)))
    props.append(("title", f"{f.rule_id} {f.slug}"))
    text = finding_text(f, options.shell)
    if rel is None and loc.path:
        # outside the workspace GitHub cannot place it on a file: say where in the message instead
        shown = show_path(loc.path, options.home, options.platform)
        text = f"{shown}{':' + str(loc.line) if loc.line else ''}: {text}"
    elif loc.env_var:
        text = f"${loc.env_var}: {text}"
    head = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{command(f, fail_on)} {head}::{escape_data(text)}"


def render(report: Report, options: RenderOptions) -> str:
    fail_on = fail_on_of(report)
    lines = [annotation(f, options, fail_on) for f in report.findings]
    s = report.summary
    # A plain closing line for the log (not a command).
    blocked = sum(1 for r in report.results if could_not_run(r) and not (r.reason or "").startswith("not run with --offline"))
    lines.append(f"sso-doctor: {plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, "
                 f"{plural(s.infos, 'info')}; {plural(s.rules_run, 'check')} run, {s.rules_skipped} skipped"
                 + (f" ({blocked} could not run)" if blocked else ""))
    return "\n".join(lines) + "\n"
