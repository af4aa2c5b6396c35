"""Run rules against a context and collect a Report. A crashing rule becomes SSO001; the run goes on."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence

from sso_doctor import __version__, progress
from sso_doctor.context import Context
from sso_doctor.model import (
    Finding,
    Report,
    Rule,
    RuleResult,
    Severity,
    SkipRule,
    Status,
    fix,
)

CRASH_RULE_ID = "SSO001"


class SelectionError(ValueError):
    """A --select/--ignore/severity token that names no rule."""


def _matches(rule: Rule, token: str) -> bool:
    token = token.strip()
    if token.upper() == "ALL":
        return True
    return rule.id.upper().startswith(token.upper()) or rule.slug == token.lower()


def _check_tokens(rules: Sequence[Rule], tokens: Iterable[str], what: str) -> None:
    for token in tokens:
        if not any(_matches(r, token) for r in rules):
            raise SelectionError(
                f"{what} {token!r} matches no rule (use a rule id like SSO201, a prefix like SSO2, or a slug "
                f"like not-logged-in; `sso-doctor rules` lists them)"
            )


def select_rules(
    rules: Sequence[Rule], select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> tuple[list[Rule], dict[str, str]]:
    """Return (rules to run, {rule id: reason} for rules left out). Unknown tokens raise SelectionError."""
    _check_tokens(rules, select, "--select")
    _check_tokens(rules, ignore, "--ignore")
    chosen, left_out = [], {}
    for r in rules:
        if select and not any(_matches(r, t) for t in select):
            left_out[r.id] = "not selected (--select)"
        elif any(_matches(r, t) for t in ignore):
            left_out[r.id] = "ignored (--ignore)"
        else:
            chosen.append(r)
    return chosen, left_out


def parse_severity_overrides(rules: Sequence[Rule], items: Iterable[str]) -> dict[str, Severity]:
    """`SSO121=warning` or `missing-region=error` -> {rule id: severity}."""
    out: dict[str, Severity] = {}
    for item in items:
        name, sep, level = item.partition("=")
        if not sep:
            raise SelectionError(f"severity override {item!r} must look like SSO121=warning")
        matched = [r for r in rules if r.id.upper() == name.strip().upper() or r.slug == name.strip().lower()]
        if not matched:
            raise SelectionError(f"severity override names no rule: {name!r}")
        sev = Severity.parse(level)
        for r in matched:
            out[r.id] = sev
    return out


def _run_one(rule: Rule, ctx: Context, sink: list[Finding] | None = None) -> RuleResult:
    """Run one rule. Findings also go to `sink` as they are yielded, so a rule cut off by the time
    budget still reports what it had found."""
    start = time.perf_counter()
    try:
        if rule.requires:
            from sso_doctor.requirements import unmet

            reason = unmet(rule, ctx)
            if reason:
                return RuleResult(rule, Status.SKIPPED, reason=reason, duration_ms=_ms(start))
        if sink is None:
            findings = tuple(rule.check(ctx))
        else:
            for f in rule.check_fn(ctx) or ():
                sink.append(f)
            findings = tuple(sink)
    except SkipRule as s:
        return RuleResult(rule, Status.SKIPPED, reason=s.reason, duration_ms=_ms(start))
    except Exception as exc:  # noqa: BLE001 - isolation is the point: one bad rule must not stop the run
        return RuleResult(rule, Status.ERRORED, reason=type(exc).__name__,
                          findings=(_crash_finding(rule, exc),), duration_ms=_ms(start))
    status = Status.FAILED if findings else Status.PASSED
    return RuleResult(rule, status, findings=findings, duration_ms=_ms(start))


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def _crash_finding(rule: Rule, exc: BaseException) -> Finding:
    # Only the exception type goes into the message: exception text can quote file content or tokens.
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Finding(
        rule_id=CRASH_RULE_ID,
        slug="rule-crashed",
        severity=Severity.ERROR,
        message=f"Rule {rule.id} ({rule.slug}) crashed with {type(exc).__name__}; its check did not run to the end.",
        fix=fix("This is a bug in sso-doctor. Report it with the output of `sso-doctor check -v`."),
        subject=rule.id,
        detail=tb,
    )


def run(
    rules: Sequence[Rule],
    ctx: Context,
    *,
    left_out: Mapping[str, str] | None = None,
    all_rules: Sequence[Rule] | None = None,
    severity_overrides: Mapping[str, Severity] | None = None,
    inputs: Mapping[str, object] | None = None,
) -> Report:
    """Run offline rules in order, online rules concurrently under ctx.settings.timeout."""
    started = time.perf_counter()
    left_out = dict(left_out or {})
    results: dict[str, RuleResult] = {}
    offline_rules, online_rules = [], []
    for r in rules:
        if r.online and ctx.settings.offline:
            results[r.id] = RuleResult(r, Status.SKIPPED, reason="not run with --offline")
        elif r.online:
            online_rules.append(r)
        else:
            offline_rules.append(r)

    # what this run's online rules need: a dependency on the probes is checked only when they run anyway
    ctx.scheduled_needs = frozenset().union(*(r.needs for r in online_rules))
    # Slow machine facts (an `aws --version` that must run) start now, so they overlap the config load.
    ctx.prefetch(frozenset().union(*(r.needs for r in offline_rules)) if offline_rules else frozenset())
    # Online rules start first, on their own threads: they mostly wait on the network, so their budget
    # runs while the offline rules work, and a black-holed host costs no more than --timeout in total.
    online = _start_online(online_rules, ctx) if online_rules else None
    deadline = ctx.online_deadline if online is not None else None
    for r in offline_rules:
        progress.note(f"{r.id} {r.slug}", deadline)
        results[r.id] = _run_one(r, ctx)
    ctx.join_prefetch()
    if online is not None:
        results.update(_collect_online(online, ctx))

    overrides = severity_overrides or {}
    crashes = [f for res in results.values() for f in res.findings if f.rule_id == CRASH_RULE_ID]
    ordered: list[RuleResult] = []
    for r in all_rules or rules:
        if r.id == CRASH_RULE_ID:
            if r.id in results or r.id not in left_out:
                ordered.append(RuleResult(r, Status.FAILED if crashes else Status.PASSED, findings=tuple(crashes)))
            else:
                ordered.append(RuleResult(r, Status.SKIPPED, reason=left_out[r.id]))
            continue
        if r.id in results:
            res = results[r.id]
            own = tuple(_override(f, overrides) for f in res.findings if f.rule_id != CRASH_RULE_ID)
            ordered.append(RuleResult(res.rule, res.status, own, res.reason, res.duration_ms))
        elif r.id in left_out:
            ordered.append(RuleResult(r, Status.SKIPPED, reason=left_out[r.id]))
    return Report(
        tool_version=__version__,
        inputs=dict(inputs or {}),
        results=tuple(ordered),
        duration_ms=_ms(started),
    )


def _override(f: Finding, overrides: Mapping[str, Severity]) -> Finding:
    sev = overrides.get(f.rule_id)
    if sev is None or sev == f.severity:
        return f
    from dataclasses import replace

    return replace(f, severity=sev)


class _OnlineBatch:
    """Online rules running on daemon threads, with the findings each has yielded so far."""

    def __init__(self, rules: Sequence[Rule], ctx: Context) -> None:
        self.rules = list(rules)
        self.results: dict[str, RuleResult] = {}
        self.partial: dict[str, list[Finding]] = {r.id: [] for r in rules}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, args=(r, ctx), name=f"sso-doctor-{r.id}", daemon=True)
                        for r in rules]

    def _work(self, r: Rule, ctx: Context) -> None:
        res = _run_one(r, ctx, self.partial[r.id])
        with self.lock:
            self.results[r.id] = res


def _start_online(rules: Sequence[Rule], ctx: Context) -> _OnlineBatch:
    """Start every online rule under one time budget that begins now (`ctx.online_deadline`).

    Daemon threads, not a ThreadPoolExecutor: the executor's workers are joined at interpreter exit,
    so one hung socket would hold the process past the budget. The deadline lives in the context so
    probes and rules cut their own waits short of it and still report what they learned.
    """
    ctx.online_deadline  # noqa: B018 - fix the deadline before any thread can read it
    batch = _OnlineBatch(rules, ctx)
    for t in batch.threads:
        t.start()
    return batch


def _collect_online(batch: _OnlineBatch, ctx: Context) -> dict[str, RuleResult]:
    """Wait for the online rules until the deadline; what did not finish is reported as such, with the
    findings it had yielded before the deadline."""
    budget = max(0.1, ctx.settings.timeout)
    deadline = ctx.online_deadline
    for t in batch.threads:
        while t.is_alive() and time.monotonic() < deadline:
            with batch.lock:
                waiting = [r.id for r in batch.rules if r.id not in batch.results]
            shown = ", ".join(waiting[:4]) + (f" and {len(waiting) - 4} more" if len(waiting) > 4 else "")
            progress.note(f"online checks: waiting for {shown}", deadline, budget)
            t.join(min(0.1, max(0.0, deadline - time.monotonic())))
    with batch.lock:
        finished = dict(batch.results)
    for r in batch.rules:
        if r.id not in finished:
            found = tuple(batch.partial[r.id])
            reason = f"did not finish within the {budget:g} s time budget (--timeout)"
            finished[r.id] = RuleResult(r, Status.FAILED if found else Status.SKIPPED, findings=found, reason=reason)
    return finished

