"""The JSON report: one envelope for CI and helpdesks. Field names are a contract (schema_version 1)."""

from __future__ import annotations

import json
from typing import Any

from sso_doctor.model import Finding, Report
from sso_doctor.reporters import RenderOptions

SCHEMA_VERSION = 1


def finding_dict(f: Finding, verbose: bool = False, shell: str = "bash") -> dict[str, Any]:
    loc = f.location
    d: dict[str, Any] = {
        "rule_id": f.rule_id,
        "slug": f.slug,
        "severity": f.severity.label,
        "area": f.area,
        "message": f.message,
        "subject": f.subject,
        "location": {
            "path": loc.path,
            "line": loc.line,
            "section": loc.section,
            "key": loc.key,
            "env_var": loc.env_var,
            "endpoint": loc.endpoint,
        },
        "fix": {
            "summary": f.fix.summary,
            "commands": [c.as_dict(shell) for c in f.fix.commands],
            "edits": [e.as_dict() for e in f.fix.edits],
        },
        "evidence": {k: v for k, v in f.evidence},
        "fingerprint": f.fingerprint,
    }
    if verbose and f.detail:
        d["detail"] = f.detail
    return d


def to_dict(report: Report, options: RenderOptions | None = None) -> dict[str, Any]:
    verbose = bool(options and options.verbose)
    s = report.summary
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "sso-doctor", "version": report.tool_version},
        "inputs": report.inputs,
        "summary": {
            "errors": s.errors,
            "warnings": s.warnings,
            "infos": s.infos,
            "rules_run": s.rules_run,
            "rules_passed": s.rules_passed,
            "rules_failed": s.rules_failed,
            "rules_skipped": s.rules_skipped,
            "rules_errored": s.rules_errored,
            "duration_ms": report.duration_ms,
        },
        "rules": [
            {
                "id": r.rule.id,
                "slug": r.rule.slug,
                "severity": r.rule.severity.label,
                "area": r.rule.area,
                "status": r.status.value,
                "reason": r.reason,
                "findings": len(r.findings),
                "duration_ms": r.duration_ms,
            }
            for r in report.results
        ],
        "findings": [finding_dict(f, verbose, options.shell if options else "bash") for f in report.findings],
    }


def render(report: Report, options: RenderOptions) -> str:
    from sso_doctor.safe_text import json_escape_c1

    return json_escape_c1(json.dumps(to_dict(report, options), indent=2, ensure_ascii=False)) + "\n"
