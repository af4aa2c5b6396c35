"""The plain, immutable values that flow through sso-doctor: rules, findings, results, reports."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sso_doctor import fixes
from sso_doctor.fixes import Command, Edit, Step

if TYPE_CHECKING:
    from sso_doctor.context import Context


class Severity(enum.IntEnum):
    """How bad a finding is. Ordered, so `--fail-on warning` means warning and above."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning or info)"
            ) from None


class Status(str, enum.Enum):
    """What happened to one rule in one run."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERRORED = "errored"


# What a rule needs from the machine. Rules that need "network" or "api" are skipped by --offline.
NEEDS = frozenset({"config", "token_cache", "env", "cli", "login_env", "ca_bundle", "network", "api", "admin",
                   "consumers"})
ONLINE_NEEDS = frozenset({"network", "api"})
# Facts a rule depends on (sso_doctor/requirements.py checks them before the rule runs): when one did
# not hold, the rule is skipped with the reason, never passed vacuously.
REQUIRES = frozenset({"parsed_config", "profile", "sso_profile", "proxy", "resolved", "connection", "tls", "http"})

AREAS = {
    "0": ("engine", "Engine"),
    "1": ("config", "Config files"),
    "2": ("tokens", "SSO token cache"),
    "3": ("environment", "Environment, TLS and proxies"),
    "4": ("tooling", "AWS CLI and login environment"),
    "5": ("network", "Network"),
    "6": ("access", "Access with the cached token"),
    "7": ("triage", "Administrator triage"),
    "8": ("consumers", "Other tools and SDKs"),
}


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file line, an environment variable or an endpoint."""

    path: str | None = None
    line: int | None = None
    section: str | None = None
    key: str | None = None
    env_var: str | None = None
    endpoint: str | None = None

    def is_empty(self) -> bool:
        return not any((self.path, self.line, self.section, self.key, self.env_var, self.endpoint))


@dataclass(frozen=True)
class Fix:
    """A summary plus steps: commands (rendered per shell) and structured config edits, in order."""

    summary: str
    steps: tuple[Step, ...] = ()

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(s for s in self.steps if isinstance(s, Command))

    @property
    def edits(self) -> tuple[Edit, ...]:
        return tuple(s for s in self.steps if isinstance(s, Edit))


def fix(summary: str, *steps: str | Command | Edit) -> Fix:
    """Build a Fix; plain strings are safe-to-run POSIX command lines, parsed into portable ops."""
    return Fix(summary, tuple(fixes.parse(s) if isinstance(s, str) else s for s in steps))


def manual(text: str) -> Command:
    """A fix step a person must adapt (an edit, a placeholder to fill in)."""
    return fixes.parse(text, safe=False)


@dataclass(frozen=True)
class Finding:
    """One problem found by one rule. Evidence values are already redacted by the loaders."""

    rule_id: str
    slug: str
    severity: Severity
    message: str
    fix: Fix
    subject: str | None = None
    location: Location = field(default_factory=Location)
    # values keep their types (str, int, float, bool, None, or a tuple of those): JSON shows them as such
    evidence: tuple[tuple[str, Any], ...] = ()
    detail: str | None = None  # extra text shown with -v only (e.g. a traceback)

    @property
    def fingerprint(self) -> str:
        """Stable across runs and unrelated edits: rule + subject + location, never the line number."""
        loc = self.location
        parts = [self.rule_id, self.subject or "", loc.path or "", loc.section or "", loc.key or "",
                 loc.env_var or "", loc.endpoint or ""]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]

    @property
    def area(self) -> str:
        return area_of(self.rule_id)


def evidence_value(value: Any) -> Any:
    """An evidence value as data: scalars keep their type, sequences become tuples (JSON arrays), anything
    else its text. Findings stay hashable."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return tuple(evidence_value(v) for v in items)
    return str(value)


def area_of(rule_id: str) -> str:
    return AREAS.get(rule_id[3:4], ("other", "Other"))[0]


class SkipRule(Exception):
    """Raised by a rule (or a context accessor) when the rule cannot apply in this run."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


CheckFn = Callable[["Context"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A check: metadata plus one function. Its documentation is the check function's docstring."""

    id: str
    slug: str
    severity: Severity
    needs: frozenset[str]
    check_fn: CheckFn = field(repr=False, compare=False)
    title: str = ""
    requires: tuple[str, ...] = ()  # checked in this order; the first that fails is the skip reason

    def __post_init__(self) -> None:
        unknown = self.needs - NEEDS
        if unknown:
            raise ValueError(f"{self.id}: unknown needs {sorted(unknown)}")
        unknown_facts = set(self.requires) - REQUIRES
        if unknown_facts:
            raise ValueError(f"{self.id}: unknown requires {sorted(unknown_facts)}")

    @property
    def area(self) -> str:
        return area_of(self.id)

    @property
    def online(self) -> bool:
        return bool(self.needs & ONLINE_NEEDS)

    @property
    def doc(self) -> str:
        import inspect

        return inspect.cleandoc(self.check_fn.__doc__ or "")

    @property
    def summary(self) -> str:
        """First line of the docs: a one-line description."""
        return self.title or (self.doc.splitlines()[0] if self.doc else "")

    def finding(
        self,
        message: str,
        fix: Fix,
        *,
        subject: str | None = None,
        location: Location | None = None,
        severity: Severity | None = None,
        evidence: Sequence[tuple[str, Any]] | dict[str, Any] = (),
        detail: str | None = None,
    ) -> Finding:
        """Make a finding of this rule; severity defaults to the rule's own."""
        if isinstance(evidence, dict):
            evidence = tuple(evidence.items())
        evidence = tuple((str(k), evidence_value(v)) for k, v in evidence)
        return Finding(
            rule_id=self.id,
            slug=self.slug,
            severity=severity or self.severity,
            message=message,
            fix=fix,
            subject=subject,
            location=location or Location(),
            evidence=tuple(evidence),
            detail=detail,
        )

    def check(self, ctx: Context) -> list[Finding]:
        return list(self.check_fn(ctx) or ())


def rule(id: str, slug: str, severity: Severity, *, needs: Iterable[str] = (),
         requires: Iterable[str] = ()) -> Callable[[CheckFn], Rule]:
    """Decorator turning a check function into a Rule. Registers nothing: list it in RULES.

    `requires` names the facts the check depends on (REQUIRES): when one did not hold in a run, the
    engine skips the rule with the reason instead of letting it pass vacuously."""

    def wrap(fn: CheckFn) -> Rule:
        return Rule(id=id, slug=slug, severity=severity, needs=frozenset(needs), check_fn=fn,
                    requires=tuple(requires))

    return wrap


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str | None = None
    duration_ms: float = 0.0


@dataclass(frozen=True)
class Summary:
    errors: int
    warnings: int
    infos: int
    rules_run: int
    rules_passed: int
    rules_failed: int
    rules_skipped: int
    rules_errored: int


@dataclass(frozen=True)
class Report:
    tool_version: str
    inputs: dict[str, Any]
    results: tuple[RuleResult, ...]
    duration_ms: float = 0.0

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for r in self.results for f in r.findings)

    @property
    def summary(self) -> Summary:
        findings = self.findings
        count = lambda s: sum(1 for f in findings if f.severity == s)  # noqa: E731
        status = lambda s: sum(1 for r in self.results if r.status == s)  # noqa: E731
        return Summary(
            errors=count(Severity.ERROR),
            warnings=count(Severity.WARNING),
            infos=count(Severity.INFO),
            rules_run=len(self.results) - status(Status.SKIPPED),
            rules_passed=status(Status.PASSED),
            rules_failed=status(Status.FAILED),
            rules_skipped=status(Status.SKIPPED),
            rules_errored=status(Status.ERRORED),
        )

    def exit_code(self, fail_on: Severity | None) -> int:
        """0: nothing at or above fail_on; 1: something is, or a rule crashed."""
        if any(r.status == Status.ERRORED for r in self.results):
            return 1
        if fail_on is None:
            return 0
        return 1 if any(f.severity >= fail_on for f in self.findings) else 0
