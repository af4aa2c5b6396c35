"""SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, Azure DevOps, IDE viewers).

Plain dicts and the standard library. The tests validate every scenario's output against the official
OASIS schema (tests/data/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sso_doctor.model import Finding, Report, Rule, Severity, Status
from sso_doctor.reporters import RenderOptions, could_not_run, fail_on_of, fails, finding_text, path_under

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# partialFingerprints key: our fingerprint (rule + subject + location without the line), versioned.
FINGERPRINT_KEY = "ssoDoctorFingerprint/v1"
SRCROOT = "%SRCROOT%"

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def level(f: Finding, fail_on: Severity | None) -> str:
    """A result's level follows --fail-on, like the exit code: "error" exactly for the findings that
    fail the run; below the threshold an error or warning is "warning" and an info is "note"."""
    if fails(f, fail_on):
        return "error"
    return "note" if f.severity == Severity.INFO else "warning"


def _section(doc: str, title: str) -> str | None:
    """The body of `## title` in a rule docstring, or None."""
    m = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", doc, flags=re.M | re.S)
    body = m.group(1).strip() if m else ""
    return body or None


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    doc = rule.doc or rule.summary or rule.id
    summary = rule.summary or rule.slug
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _section(doc, "What it checks") or summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": ["sso-doctor", rule.area], "needs": sorted(rule.needs)},
    }


def _artifact(path: str, cwd: str | None) -> dict[str, Any]:
    rel = path_under(path, cwd)
    if rel is not None:
        return {"uri": quote(rel), "uriBaseId": SRCROOT}
    full = path if os.path.isabs(path) else os.path.join(cwd or os.getcwd(), path)
    return {"uri": Path(os.path.normpath(full)).as_uri()}


def _locations(f: Finding, cwd: str | None) -> list[dict[str, Any]]:
    """The file line as a physical location; section/key, a variable or an endpoint as logical ones."""
    loc = f.location
    logical = []
    if loc.section or loc.key:
        name = loc.key or loc.section
        qualified = f"[{loc.section}].{loc.key}" if loc.section and loc.key else f"[{loc.section}]" if loc.section else loc.key
        logical.append({"name": name, "fullyQualifiedName": qualified, "kind": "property" if loc.key else "object"})
    if loc.env_var:
        logical.append({"name": loc.env_var, "kind": "variable"})
    if loc.endpoint:
        logical.append({"name": loc.endpoint, "kind": "resource"})
    if not loc.path:
        return [{"logicalLocations": logical}] if logical else []
    # A file-level finding (no line) points at line 1: code-scanning services need a start line.
    physical = {"artifactLocation": _artifact(loc.path, cwd), "region": {"startLine": loc.line or 1}}
    location: dict[str, Any] = {"physicalLocation": physical}
    if logical:
        location["logicalLocations"] = logical
    return [location]


def _fix(f: Finding, cwd: str | None) -> dict[str, Any] | None:
    """SARIF `fixes`: the finding's config edits as replacements of line/column regions of each file.

    Only a fix whose edits are all exact (no guess, no placeholder) is offered: a viewer may apply it
    with one click. Regions are computed against the file as it is now; a file that cannot be read,
    or that the edits no longer fit, gives no fix (the edits stay in properties.fix.edits).
    """
    from sso_doctor import edits as editing

    if not f.fix.edits or not all(e.safe for e in f.fix.edits):
        return None
    changes = []
    for path, edits in editing.by_path(f.fix.edits).items():
        try:
            with open(path, newline="") as fh:
                text = fh.read()
        except FileNotFoundError:
            text = ""
        except (OSError, UnicodeDecodeError):
            return None
        try:
            found = editing.replacements(text, edits)
        except editing.EditError:
            return None
        replacements = []
        for r in found:
            rep: dict[str, Any] = {"deletedRegion": {"startLine": r.start_line, "startColumn": r.start_column,
                                                      "endLine": r.end_line, "endColumn": r.end_column}}
            if r.text:
                rep["insertedContent"] = {"text": r.text}
            replacements.append(rep)
        changes.append({"artifactLocation": _artifact(path, cwd), "replacements": replacements})
    return {"description": {"text": f.fix.summary or "Apply the config edits."}, "artifactChanges": changes}


def _result(f: Finding, rule_index: dict[str, int], cwd: str | None,
            fail_on: Severity | None = Severity.ERROR, shell: str = "bash") -> dict[str, Any]:
    locations = _locations(f, cwd)
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "level": level(f, fail_on),
        "message": {"text": finding_text(f, shell)},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "severity": f.severity.label,
            "subject": f.subject,
            "fix": {"summary": f.fix.summary,
                    "commands": [{"command": c.render(shell), "safe": c.safe_in(shell)} for c in f.fix.commands],
                    "edits": [e.as_dict() for e in f.fix.edits],
                    "shell": shell},
        },
    }
    sarif_fix = _fix(f, cwd)
    if sarif_fix is not None:
        result["fixes"] = [sarif_fix]
    if f.rule_id in rule_index:
        result["ruleIndex"] = rule_index[f.rule_id]
    if locations:
        result["locations"] = locations
    return result


def to_dict(report: Report, options: RenderOptions) -> dict[str, Any]:
    rules = [r.rule for r in report.results]
    rule_index = {r.id: i for i, r in enumerate(rules)}
    errored = [r for r in report.results if r.status == Status.ERRORED]
    invocation: dict[str, Any] = {"executionSuccessful": not errored}
    notes = [
        {"level": "error", "message": {"text": f"Rule {r.rule.id} ({r.rule.slug}) crashed with {r.reason}."},
         "associatedRule": {"id": r.rule.id, "index": rule_index[r.rule.id]}}
        for r in errored
    ]
    # a check that could not run is said so, with its reason: no result is not a pass
    notes += [
        {"level": "note", "message": {"text": f"Rule {r.rule.id} ({r.rule.slug}) skipped: {r.reason}."},
         "associatedRule": {"id": r.rule.id, "index": rule_index[r.rule.id]}}
        for r in report.results if could_not_run(r)
    ]
    if notes:
        invocation["toolExecutionNotifications"] = notes
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "sso-doctor",
            "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "rules": [rule_descriptor(r) for r in rules],
        }},
        "invocations": [invocation],
        # fix regions count columns in code points, as Python strings do
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, rule_index, options.cwd, fail_on_of(report), options.shell) for f in report.findings],
        "properties": {"inputs": report.inputs},
    }
    if options.cwd:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(os.path.abspath(options.cwd)).as_uri().rstrip("/") + "/"}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(report: Report, options: RenderOptions) -> str:
    from sso_doctor.safe_text import json_escape_c1

    return json_escape_c1(json.dumps(to_dict(report, options), indent=2, ensure_ascii=False)) + "\n"
