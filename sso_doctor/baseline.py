"""Baselines: accept today's findings so CI fails only on new ones.

A baseline is a JSON file of fingerprints (rule + subject + location without the line, see
Finding.fingerprint), each with its rule id, subject and message beside it so people can read and
review it. `check --baseline FILE` drops findings whose fingerprint is in FILE; `--write-baseline FILE`
writes one from the current findings. A crashed check (SSO001) is never baselined.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from sso_doctor.engine import CRASH_RULE_ID
from sso_doctor.model import Finding

FORMAT_VERSION = 1
_KEY = "sso_doctor_baseline"


class BaselineError(ValueError):
    """The baseline file cannot be read or is not a baseline: exit 2."""


def dumps(findings: Iterable[Finding]) -> str:
    rows = {}
    for f in findings:
        if f.rule_id == CRASH_RULE_ID:
            continue
        rows.setdefault(f.fingerprint, {
            "fingerprint": f.fingerprint,
            "rule_id": f.rule_id,
            "slug": f.slug,
            "subject": f.subject,
            "path": f.location.path,
            "message": f.message,
        })
    doc = {
        _KEY: FORMAT_VERSION,
        "comment": "Known sso-doctor findings. `sso-doctor check --baseline THIS_FILE` reports only findings "
                   "not listed here; regenerate with --write-baseline. The fingerprint identifies a finding "
                   "(rule, subject, file, section, key; not the line); the other fields are for people.",
        "findings": sorted(rows.values(), key=lambda r: (r["rule_id"], r["subject"] or "", r["fingerprint"])),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def load(path: str | Path) -> frozenset[str]:
    """The fingerprints in a baseline file."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline file {p} does not exist (create it with --write-baseline {p})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BaselineError(f"cannot read baseline file {p}: {getattr(e, 'strerror', None) or type(e).__name__}") from None
    except json.JSONDecodeError as e:
        raise BaselineError(f"baseline file {p} is not JSON (line {e.lineno}: {e.msg})") from None
    except RecursionError:
        raise BaselineError(f"baseline file {p} is JSON nested too deeply to be a baseline") from None
    if not isinstance(doc, dict) or _KEY not in doc or not isinstance(doc.get("findings"), list):
        raise BaselineError(f"{p} is not an sso-doctor baseline (write one with --write-baseline {p})")
    if doc[_KEY] != FORMAT_VERSION:
        raise BaselineError(f"{p} is a version {doc[_KEY]!r} baseline; this sso-doctor reads version {FORMAT_VERSION}")
    out = set()
    for i, row in enumerate(doc["findings"]):
        fp = row.get("fingerprint") if isinstance(row, dict) else None
        if not isinstance(fp, str) or not fp:
            raise BaselineError(f"{p}: findings[{i}] has no fingerprint")
        out.add(fp)
    return frozenset(out)
