"""The report for people: grouped by area like `flutter doctor`, each finding with its fix commands."""

from __future__ import annotations

from collections import defaultdict

from sso_doctor.model import AREAS, Finding, Report, RuleResult, Severity, Status
from sso_doctor.reporters import RenderOptions, could_not_run, fix_lines, where_text
from sso_doctor.text import plural, tilde

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}
_COLOR = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}
_OK = "✓"
# skips asked for by a flag of this run: the summary does not call them "could not run"
_BY_FLAG = ("not run with --offline",)


def _paint(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


def _where(f: Finding, opts: RenderOptions) -> str:
    return where_text(f, opts.home, opts.platform)


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
            shown = ", ".join(str(x) for x in v) if isinstance(v, tuple) else ("-" if v is None else v)
            lines.append(f"      · {k}: {shown}")
        if f.detail:
            lines.extend("      | " + ln for ln in f.detail.rstrip().splitlines())
    return lines


def _area_mark(findings: list[Finding], results: list[RuleResult], color: bool) -> str:
    """✗/! by the worst finding; i for info findings only; ✓ only when something passed and nothing
    failed; - when nothing in the area ran."""
    if findings:
        worst = max(f.severity for f in findings)
        return _paint(_MARK[worst], _COLOR[worst], color)
    if any(r.status == Status.PASSED for r in results):
        return _paint(_OK, "32", color)
    return "-"


_SOURCE = {
    "default": "the fallback: no --profile, AWS_PROFILE or AWS_DEFAULT_PROFILE is set",
    "--all-profiles": "--all-profiles",
}


def _header(report: Report, opts: RenderOptions) -> str:
    inp = report.inputs
    profiles = inp.get("profiles") or []
    bits = [f"sso-doctor {report.tool_version}"]
    if inp.get("files"):
        bits.append("linting " + ", ".join(dict.fromkeys(p for p in inp["files"] if p)))
    if profiles:
        shown = ", ".join(f'"{p}"' for p in profiles[:5]) + (f" and {len(profiles) - 5} more" if len(profiles) > 5 else "")
        source = inp.get("profile_source") or "default"
        word = "profile" if len(profiles) == 1 else "profiles"
        bits.append(f"{word} {shown} ({_SOURCE.get(source, 'from ' + source)})")
    bits.append("offline" if inp.get("offline") else "online")
    lines = [" · ".join(bits)]
    settings_files = inp.get("settings_files") or []
    if settings_files:
        lines.append("settings from " + ", ".join(tilde(str(f), opts.home) for f in settings_files))
    return "\n".join(lines)


def _quiet_line(f: Finding) -> str:
    """`path:line:col: SSO123 message` (clickable in editors, greppable); `$VAR: ...` for a variable."""
    loc = f.location
    message = " ".join(f.message.split())
    if loc.path:
        return f"{loc.path}:{loc.line or 1}:1: {f.rule_id} {message}"
    if loc.env_var:
        return f"${loc.env_var}: {f.rule_id} {message}"
    return f"{f.rule_id} {message}"


def render(report: Report, opts: RenderOptions) -> str:
    findings = report.findings
    if opts.quiet:
        out = [_quiet_line(f) for f in findings]
        return "\n".join(out) + ("\n" if out else "")

    by_area: dict[str, list[Finding]] = defaultdict(list)
    results_by_area: dict[str, list[RuleResult]] = defaultdict(list)
    for f in findings:
        by_area[f.area].append(f)
    for r in report.results:
        results_by_area[r.rule.area].append(r)

    lines = [_header(report, opts), ""]
    areas = [a for a, _title in AREAS.values()] + sorted(set(results_by_area) - {a for a, _ in AREAS.values()})
    titles = dict(AREAS.values())
    for area in areas:
        title = titles.get(area, area.capitalize())
        results = results_by_area.get(area, [])
        area_findings = by_area.get(area, [])
        if not results and not area_findings:
            continue
        if area == "engine" and not area_findings:
            continue  # the engine group speaks only when a check crashed (or there is nothing to check)
        if not area_findings and all(r.status == Status.SKIPPED for r in results) and not opts.verbose:
            if not any(could_not_run(r) for r in results):
                continue  # deselected areas are noise
        mark = _area_mark(area_findings, results, opts.color)
        blocked = [r for r in results if could_not_run(r)]
        note = ""
        if blocked and len(blocked) == len([r for r in results if r.status != Status.SKIPPED or could_not_run(r)]):
            note = f" (skipped: {blocked[0].reason})"
        elif blocked:
            counted = len([r for r in results if r.status != Status.SKIPPED or could_not_run(r)])
            note = f" ({len(blocked)} of {counted} checks skipped: {blocked[0].reason})"
        lines.append(f"[{mark}] {title}{note}")
        for f in sorted(area_findings, key=lambda f: (-f.severity, f.rule_id)):
            lines.extend(_finding_lines(f, opts))
        if opts.verbose:
            for r in results:
                if r.status == Status.PASSED:
                    lines.append(f"    {_paint(_OK, '32', opts.color)} {r.rule.id} {r.rule.slug}? no")
                elif r.status == Status.SKIPPED:
                    lines.append(f"    - {r.rule.id} {r.rule.slug}? not checked: {r.reason}")
    s = report.summary
    lines.append("")
    summary = (f"{plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, {plural(s.infos, 'info')}"
               f" · {plural(s.rules_run, 'check')} run, {s.rules_skipped} skipped")
    if s.rules_errored:
        summary += f", {s.rules_errored} crashed"
    blocked_all = [r for r in report.results if could_not_run(r) and not (r.reason or "").startswith(_BY_FLAG)]
    if not findings:
        if s.rules_run == 0:
            summary = "Nothing was checked · " + summary
        elif blocked_all:
            summary = (f"No problems found in the checks that ran, but {plural(len(blocked_all), 'check')} could "
                       f"not run ({blocked_all[0].reason}) · " + summary)
        else:
            summary = "No problems found · " + summary
    lines.append(summary)
    return "\n".join(lines) + "\n"
