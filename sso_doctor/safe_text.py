"""Make values safe to show: masked, anonymised and escaped *before* a reporter serialises them.

Every string of a report (messages, fixes, locations, evidence, details, skip reasons, inputs) goes
through the same function on its way to a reporter, so no format's syntax is ever rewritten: masking a
secret `test` cannot turn `<testsuites>` into `<****suites>` and a secret `rule` cannot rename a JSON key.

A fix command whose arguments had to change (a secret masked, an identifier replaced) is no longer
runnable as printed: it becomes a step that needs an edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from sso_doctor.fixes import Command, Edit
from sso_doctor.model import Finding, Fix, Location, Report

StrFn = Callable[[str], str]

# C0 and C1 control characters, DEL, the Unicode line/paragraph separators and bidirectional overrides
# that reorder or hide text on a terminal, and undecodable bytes (argv and environment values arrive with
# them as lone surrogates, which a UTF-8 stdout would write back raw: 0x9b is CSI on an 8-bit terminal).
# Newlines and tabs are kept where text may span lines.
_OTHERS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")
_CONTROLS_AND_NEWLINES = re.compile(f"[\x00-\x08\x0a-\x1f{_OTHERS}]")
_C1_AND_SEPARATORS = re.compile(f"[{_OTHERS}]")


def _visible(m: re.Match[str]) -> str:
    n = ord(m.group(0))
    if 0xDC80 <= n <= 0xDCFF:  # surrogateescape: the undecodable byte itself
        return f"\\x{n - 0xDC00:02x}"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    """Control characters shown escaped (`\\x1b`), so no value can move the cursor, clear a line or
    fake a line of the report on a terminal."""
    pattern = _CONTROLS if keep_newlines else _CONTROLS_AND_NEWLINES
    return pattern.sub(_visible, text) if pattern.search(text) else text


def has_controls(text: str) -> bool:
    return _CONTROLS_AND_NEWLINES.search(text) is not None


def json_escape_c1(serialised: str) -> str:
    """JSON text with DEL, C1 controls and U+2028/9 as `\\u` escapes (json.dumps escapes only C0).

    Safe on serialised JSON: outside strings JSON is ASCII, so these characters can only be inside a
    string, where the escape means the very same character.
    """
    return _C1_AND_SEPARATORS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", serialised)


def deep(value: Any, fn: StrFn) -> Any:
    """`fn` applied to every string in nested dicts, lists and tuples (keys included)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, Mapping):
        return {deep(k, fn): deep(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [deep(v, fn) for v in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(deep(v, fn) for v in value)
    return value


def _opt(value: str | None, fn: StrFn) -> str | None:
    return fn(value) if isinstance(value, str) else value


def map_step(step: Command | Edit, fn: StrFn | None) -> Command | Edit:
    """A fix step with `fn` applied to its arguments; a step that changed needs a person's edit."""
    if fn is None:
        return step
    if isinstance(step, Command):
        args = tuple(fn(a) for a in step.args)
        comment = _opt(step.comment, fn)
        if args == step.args and comment == step.comment:
            return step
        return replace(step, args=args, comment=comment, safe=step.safe and args == step.args)
    fields = {k: _opt(getattr(step, k), fn) for k in ("path", "section", "key", "old", "new")}
    if all(fields[k] == getattr(step, k) for k in fields):
        return step
    return replace(step, **fields, safe=False)


def map_finding(f: Finding, fn: StrFn, *, steps: StrFn | None, detail: StrFn | None = None) -> Finding:
    loc = f.location
    return replace(
        f,
        message=fn(f.message),
        fix=Fix(fn(f.fix.summary), tuple(map_step(s, steps) for s in f.fix.steps)),
        subject=_opt(f.subject, fn),
        location=Location(_opt(loc.path, fn), loc.line, _opt(loc.section, fn), _opt(loc.key, fn),
                          _opt(loc.env_var, fn), _opt(loc.endpoint, fn)),
        evidence=tuple((deep(k, fn), deep(v, fn)) for k, v in f.evidence),
        detail=_opt(f.detail, detail or fn),
    )


def map_report(report: Report, fn: StrFn, *, steps: StrFn | None, detail: StrFn | None = None) -> Report:
    """The report with `fn` applied to every string value, `steps` to fix-command arguments (None: left
    as they are) and `detail` to the -v details (default `fn`)."""
    results = tuple(
        replace(r, findings=tuple(map_finding(f, fn, steps=steps, detail=detail) for f in r.findings),
                reason=_opt(r.reason, fn))
        for r in report.results
    )
    return replace(report, inputs=deep(report.inputs, fn), results=results)
