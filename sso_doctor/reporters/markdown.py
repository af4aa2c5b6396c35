"""A report to paste into a ticket: environment summary, every finding with its fix, nothing secret.

Identifying values (account ids, start URLs, user and host names) are replaced by stable placeholders
in sso_doctor.runner when --redact is on (the default for this format).
"""

from __future__ import annotations

from sso_doctor.model import Finding, Report, Severity, Status
from sso_doctor.reporters import RenderOptions, command_text, show_path
from sso_doctor.text import plural

_ICON = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}


_FENCE = {"powershell": "powershell", "cmd": "bat", "fish": "fish"}  # code-fence languages; else sh


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _steps(f: Finding, opts: RenderOptions) -> list[str]:
    """The fix's steps in order: runs of commands as a ```sh block, each file's edits as an ```ini
    snippet."""
    from sso_doctor.fixes import Command
    from sso_doctor.reporters import edit_block

    out: list[str] = []
    steps = list(f.fix.steps)
    i = 0
    while i < len(steps):
        if isinstance(steps[i], Command):
            j = i
            block = ["```" + _FENCE.get(opts.shell, "sh")]
            note = "REM" if opts.shell == "cmd" else "#"
            while j < len(steps) and isinstance(steps[j], Command):
                text, safe = command_text(steps[j], opts.shell)
                block.append(text if safe else f"{note} edit before running:\n{text}")
                j += 1
            out += block + ["```", ""]
        else:
            j = i
            path = steps[i].path
            while j < len(steps) and not isinstance(steps[j], Command) and steps[j].path == path:
                j += 1
            # never the -v diff here: it quotes the file as it is, past the report's redaction
            _head, *body = edit_block(steps[i:j], home=opts.home)
            out += [f"In `{show_path(steps[i].path, opts.home, opts.platform)}`:", "", "```ini",
                    *(b[2:] for b in body), "```", ""]
        i = j
    return out


def render(report: Report, opts: RenderOptions) -> str:
    inp = report.inputs
    env = inp.get("environment", {}) or {}
    s = report.summary
    profiles = ", ".join(inp.get("profiles") or []) or "-"
    rows = [
        ("sso-doctor", report.tool_version),
        ("OS", env.get("os", "-")),
        ("AWS CLI", env.get("aws_cli", "-")),
        ("Profile", f"{profiles} (from {inp.get('profile_source', '-')})"),
        ("Region", env.get("region") or "-"),
        ("Proxy in use", env.get("proxy", "-")),
        ("Checked at", f"{inp.get('now', '-')} ({'offline' if inp.get('offline') else 'online'})"),
    ]
    out = ["## sso-doctor report", "", "| | |", "|---|---|"]
    out += [f"| {_cell(k)} | {_cell(v)} |" for k, v in rows]
    out += ["", f"**{plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, {plural(s.infos, 'info')}** "
            f"({plural(s.rules_run, 'check')} run, {s.rules_skipped} skipped)", ""]
    findings = sorted(report.findings, key=lambda f: (-f.severity, f.rule_id))
    if findings:
        out += ["### Findings", ""]
    for f in findings:
        out.append(f"#### {_ICON[f.severity]} {f.rule_id} `{f.slug}` ({f.severity.label})")
        out += ["", f.message, ""]
        loc = f.location
        where = []
        if loc.path:
            p = show_path(loc.path, opts.home, opts.platform)
            where.append(f"`{p}:{loc.line}`" if loc.line else f"`{p}`")
        if loc.env_var:
            where.append(f"`${loc.env_var}`")
        if loc.endpoint:
            where.append(f"`{loc.endpoint}`")
        if where:
            out += [f"Where: {', '.join(where)}", ""]
        out += [f"Fix: {f.fix.summary}", ""]
        out += _steps(f, opts)
    checked = [r for r in report.results if r.status in (Status.PASSED, Status.FAILED, Status.ERRORED)]
    skipped = [r for r in report.results if r.status == Status.SKIPPED
               and not (r.reason or "").startswith(("not selected", "ignored", "only run by", "not part of"))]
    out += ["<details><summary>Checks run</summary>", ""]
    out += [f"- {r.rule.id} `{r.rule.slug}`: {r.status.value}" for r in checked]
    out += [f"- {r.rule.id} `{r.rule.slug}`: skipped ({r.reason})" for r in skipped]
    out += ["", "</details>", ""]
    return "\n".join(out)
