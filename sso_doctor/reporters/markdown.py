"""A report to paste into a ticket: environment summary, every finding with its fix, nothing secret.

Identifying values (account ids, start URLs, user and host names) are replaced by stable placeholders
in sso_doctor.runner when --redact is on (the default for this format).
"""

from __future__ import annotations

from sso_doctor.model import Report, Severity, Status
from sso_doctor.reporters import RenderOptions, show_path
from sso_doctor.text import plural

_ICON = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}


_FENCE = {"powershell": "powershell", "cmd": "bat", "fish": "fish"}  # code-fence languages; else sh


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


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
        if f.fix.commands:
            out.append("```" + _FENCE.get(opts.shell, "sh"))
            note = "REM" if opts.shell == "cmd" else "#"
            for c in f.fix.commands:
                text = c.render(opts.shell)
                out.append(text if c.safe_in(opts.shell) else f"{note} edit before running:\n{text}")
            out += ["```", ""]
    checked = [r for r in report.results if r.status in (Status.PASSED, Status.FAILED, Status.ERRORED)]
    skipped = [r for r in report.results if r.status == Status.SKIPPED
               and not (r.reason or "").startswith(("not selected", "ignored", "only run by", "not part of"))]
    out += ["<details><summary>Checks run</summary>", ""]
    out += [f"- {r.rule.id} `{r.rule.slug}`: {r.status.value}" for r in checked]
    out += [f"- {r.rule.id} `{r.rule.slug}`: skipped ({r.reason})" for r in skipped]
    out += ["", "</details>", ""]
    return "\n".join(out)
