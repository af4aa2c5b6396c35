"""The report for people: grouped by area like `flutter doctor`, each finding with its fix commands."""

from __future__ import annotations

from collections import defaultdict

from sso_doctor.model import AREAS, Finding, Report, RuleResult, Severity, Status
from sso_doctor.reporters import RenderOptions, fix_lines, where_text

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}
_COLOR = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}
_OK = "✓"
# skip reasons that mean "not part of this run" rather than "could not run": such areas stay quiet
_DESELECTED = ("not selected", "ignored", "only run by", "not part of")


def _paint(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


def _where(f: Finding, opts: RenderOptions) -> str:
    return where_text(f, opts.home)


def _finding_lines(f: Finding, opts: RenderOptions) -> list[str]:
    mark = _paint(_MARK[f.severity], _COLOR[f.severity], opts.color)
    where = _where(f, opts)
    head = f"    {mark} {f.rule_id} {f.slug}" + (f"  {where}" if where else "")
    lines = [head, f"      {f.message}"]
    if f.fix.summary:
        lines.append(f"      Fix: {f.fix.summary}")
    lines.extend(f"        {line}" for line in fix_lines(f, opts.shell, home=opts.home, verbose=opts.verbose))
    if opts.verbose:
        for k, v in f.evidence:
            lines.append(f"      · {k}: {v}")
        if f.detail:
            lines.extend("      | " + ln for ln in f.detail.rstrip().splitlines())
    return lines


def _area_mark(findings: list[Finding], results: list[RuleResult], color: bool) -> str:
    if findings:
        worst = max(f.severity for f in findings)
        if worst == Severity.INFO:
            return _paint(_OK, "32", color)
        return _paint(_MARK[worst], _COLOR[worst], color)
    if results and all(r.status == Status.SKIPPED for r in results):
        return "-"
    return _paint(_OK, "32", color)


def _header(report: Report, opts: RenderOptions) -> str:
    inp = report.inputs
    profiles = inp.get("profiles") or []
    bits = [f"sso-doctor {report.tool_version}"]
    if inp.get("files"):
        bits.append("linting " + ", ".join(dict.fromkeys(p for p in inp["files"] if p)))
    if profiles:
        shown = ", ".join(f'"{p}"' for p in profiles[:5]) + (f" and {len(profiles) - 5} more" if len(profiles) > 5 else "")
        bits.append(f"profile {shown} (from {inp.get('profile_source')})")
    bits.append("offline" if inp.get("offline") else "online")
    return " · ".join(bits)


def render(report: Report, opts: RenderOptions) -> str:
    findings = report.findings
    if opts.quiet:
        out = []
        for f in findings:
            where = _where(f, opts)
            out.append(f"{where + ': ' if where else ''}{f.rule_id} [{f.severity.label}] {f.message}")
        return "\n".join(out) + ("\n" if out else "")

    by_area: dict[str, list[Finding]] = defaultdict(list)
    results_by_area: dict[str, list[RuleResult]] = defaultdict(list)
    for f in findings:
        by_area[f.area].append(f)
    for r in report.results:
        results_by_area[r.rule.area].append(r)

    lines = [_header(report, opts), ""]
    for _digit, (area, title) in AREAS.items():
        results = results_by_area.get(area, [])
        area_findings = by_area.get(area, [])
        if not results and not area_findings:
            continue
        if not area_findings and all(r.status == Status.SKIPPED for r in results) and not opts.verbose:
            reasons = {r.reason for r in results}
            if all((r or "").startswith(_DESELECTED) for r in reasons):
                continue  # deselected areas are noise
        mark = _area_mark(area_findings, results, opts.color)
        skipped = [r for r in results if r.status == Status.SKIPPED]
        note = ""
        if results and len(skipped) == len(results):
            note = f" (skipped: {skipped[0].reason})"
        lines.append(f"[{mark}] {title}{note}")
        for f in sorted(area_findings, key=lambda f: (-f.severity, f.rule_id)):
            lines.extend(_finding_lines(f, opts))
        if opts.verbose:
            for r in results:
                if r.status == Status.PASSED:
                    lines.append(f"    {_paint(_OK, '32', opts.color)} {r.rule.id} {r.rule.slug}")
                elif r.status == Status.SKIPPED:
                    lines.append(f"    - {r.rule.id} {r.rule.slug}: skipped, {r.reason}")
    s = report.summary
    lines.append("")
    plural = lambda n, w: f"{n} {w}{'' if n == 1 else 's'}"  # noqa: E731
    summary = (f"{plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, {plural(s.infos, 'info')}"
               f" · {s.rules_run} rules run, {s.rules_skipped} skipped")
    if s.rules_errored:
        summary += f", {s.rules_errored} crashed"
    if not findings:
        summary = "No problems found · " + summary
    lines.append(summary)
    return "\n".join(lines) + "\n"
