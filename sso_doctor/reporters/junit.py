"""JUnit XML for CI test tabs (GitLab, Jenkins, Azure DevOps): one testcase per rule, like cfn-lint.

A rule whose findings reach `--fail-on` has ONE <failure> that lists each finding (location, message,
fix), so `failures` counts failing rules in every consumer (some count <failure> elements, some count
testcases). Findings below `--fail-on` (info findings by default, everything under `--fail-on never`)
do not fail the run, so they are not failures either: the testcase passes and lists them in
<system-out>. A skipped rule has <skipped> with the reason; a crashed rule has <error>. So
`failures + errors > 0` exactly when the exit code is 1.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sso_doctor.model import Finding, Report, RuleResult, Severity, Status
from sso_doctor.reporters import RenderOptions, fail_on_of, fails, finding_text, where_text

# XML 1.0 cannot carry most control characters, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _finding_block(f: Finding, options: RenderOptions) -> str:
    where = where_text(f, options.home, options.platform)
    head = f"{f.severity.label.upper()} {f.rule_id} {f.slug}" + (f" at {where}" if where else "")
    return head + "\n" + finding_text(f, options.shell)


def _failing(r: RuleResult, fail_on: Severity | None) -> bool:
    return r.status == Status.FAILED and any(fails(f, fail_on) for f in r.findings)


def _testcase(r: RuleResult, options: RenderOptions, fail_on: Severity | None) -> ET.Element:
    case = ET.Element("testcase", {
        "classname": f"sso-doctor.{r.rule.area}",
        "name": f"{r.rule.id} {r.rule.slug}",
        "time": f"{r.duration_ms / 1000:.3f}",
    })
    if r.status == Status.FAILED and not _failing(r, fail_on):
        # findings below --fail-on: reported, but the check did not fail the run
        out = ET.SubElement(case, "system-out")
        out.text = _clean("\n\n".join(_finding_block(f, options) for f in r.findings))
    elif r.status == Status.FAILED:
        n = len(r.findings)
        first = r.findings[0].message if r.findings else ""
        message = first if n == 1 else f"{n} findings; first: {first}"
        worst = max(f.severity for f in r.findings).label if r.findings else r.rule.severity.label
        el = ET.SubElement(case, "failure", {"message": _clean(message), "type": worst})
        el.text = _clean("\n\n".join(_finding_block(f, options) for f in r.findings))
    elif r.status == Status.ERRORED:
        el = ET.SubElement(case, "error", {"message": _clean(f"rule crashed with {r.reason}"),
                                           "type": r.reason or "error"})
        detail = [f.detail for f in r.findings if f.detail] if options.verbose else []
        el.text = _clean("\n".join([*(f.message for f in r.findings), *detail]))
    elif r.status == Status.SKIPPED:
        ET.SubElement(case, "skipped", {"message": _clean(r.reason or "skipped")})
    return case


def to_element(report: Report, options: RenderOptions) -> ET.Element:
    s = report.summary
    fail_on = fail_on_of(report)
    counts = {
        "tests": str(len(report.results)),
        "failures": str(sum(1 for r in report.results if _failing(r, fail_on))),
        "errors": str(s.rules_errored),
        "skipped": str(s.rules_skipped),
        "time": f"{report.duration_ms / 1000:.3f}",
    }
    root = ET.Element("testsuites", {"name": "sso-doctor", **counts})
    suite_attrs = {"name": "sso-doctor", **counts}
    now = report.inputs.get("now")
    if isinstance(now, str):
        suite_attrs["timestamp"] = now.removesuffix("Z")
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "sso-doctor.version", "value": report.tool_version})
    for key in ("config_file", "credentials_file", "profile_source", "offline", "fail_on"):
        if key in report.inputs:
            ET.SubElement(props, "property", {"name": key, "value": _clean(str(report.inputs[key]))})
    for r in report.results:
        suite.append(_testcase(r, options, fail_on))
    return root


def render(report: Report, options: RenderOptions) -> str:
    root = to_element(report, options)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
