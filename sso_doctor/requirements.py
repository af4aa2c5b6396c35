"""What a rule depends on, checked before it runs: a rule whose dependency did not hold is skipped
with the reason (and the rule that explains it), never passed.

A rule declares its dependencies by name (`@rule(..., requires=("sso_profile",))`); the engine asks
`unmet(rule, ctx)` before running the rule. Each check returns None when the fact holds, or a short
reason such as "network unreachable, see SSO501" or 'profile "dev" not found, see SSO104'.

The online checks read the same probe results as the SSO5xx rules (waiting at most until the time
budget's cut-off), so "no TLS handshake happened" is known, not guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sso_doctor.model import SkipRule

if TYPE_CHECKING:
    from sso_doctor.context import Context
    from sso_doctor.model import Rule


def _parsed_config(ctx: Context) -> str | None:
    cfg = ctx.config
    for f in (cfg.config, cfg.credentials):
        if f.state == "unparseable":
            return f"config unparseable ({ctx.show_path(f.path)}), see SSO102"
    return None


def _names(names: tuple[str, ...] | list[str]) -> str:
    from sso_doctor.text import name_list

    return name_list(list(names))


def _profile(ctx: Context) -> str | None:
    """At least one selected profile exists."""
    if ctx.selected_profiles():
        return None
    if ctx.settings.all_profiles:
        return "no SSO profile in the config files (--all-profiles)"
    names = ctx.selected_names
    if ctx.selection_source == "default" and tuple(names) == ("default",):
        cfg = ctx.config
        if not cfg.config.exists and not cfg.credentials.exists:
            return "no AWS config or credentials file, see SSO002"
        why = "no profile selected (--profile, AWS_PROFILE) and no [default] profile"
        return f"{why}, see SSO123" if cfg.sso_profiles else why
    word = "profile" if len(names) == 1 else "profiles"
    return f"{word} {_names(names)} not found, see SSO104"


def _sso_profile(ctx: Context) -> str | None:
    """At least one selected profile uses IAM Identity Center (has sso_* keys)."""
    missing = _profile(ctx)
    if missing:
        return missing
    if ctx.selected_sso():
        return None
    names = [p.name for p in ctx.selected_profiles()]
    word = "profile" if len(names) == 1 else "profiles"
    return f"{word} {_names(names)} {'does' if len(names) == 1 else 'do'} not use IAM Identity Center (no sso_* keys)"


# --- the network, as the probes found it ---------------------------------------------------------------

_WHAT_FAILED = {
    "resolved": "no host resolved",
    "connection": "no host could be reached",
    "tls": "no TLS handshake took place",
    "http": "no host answered over HTTPS",
}


def _blame(result) -> str:
    """The SSO5xx rule that reports why this probe stopped (same order as rules/network.classify)."""
    step = result.failed_step
    if step is None:
        return "SSO502"  # still running at the cut-off
    if step.via_proxy or step.name.startswith("proxy"):
        return "SSO503"
    if step.name == "dns":
        return "SSO501"
    if step.name == "tls" and step.ok is False and step.cause in ("verify", "protocol", "reset", "ca-bundle"):
        return "SSO504" if step.cause == "verify" and result.tls is not None and result.tls.interception else "SSO505"
    return "SSO502"


def _reached(result, stage: str) -> bool:
    if stage == "resolved":
        # the name resolved here, or a proxy (which resolves it) was used
        return result.target.proxy is not None or any(s.name == "dns" and s.ok is True for s in result.steps)
    if stage == "connection":
        # a connection to the host itself, or a tunnel to it through the proxy (not just to the proxy)
        return any(s.ok is True and (s.name == "proxy-connect" or (s.name == "tcp" and not s.via_proxy))
                   for s in result.steps)
    if stage == "tls":
        # a handshake happened: it completed, or the server's certificate or protocol was refused
        return any(s.name == "tls" and (s.ok is True or s.cause in ("verify", "protocol", "ca-bundle"))
                   for s in result.steps)
    if stage == "http":
        return result.response is not None
    raise AssertionError(stage)


def _network(stage: str) -> Callable[[Context], str | None]:
    def check(ctx: Context) -> str | None:
        if not _probing(ctx):
            return None  # no SSO5xx rule in this run: do not start probes nobody asked for
        try:
            results = ctx.online.probe_results()
        except SkipRule:
            return None  # the rule says itself why there is nothing to probe
        if not results or any(_reached(r, stage) for r in results):
            return None
        culprits = sorted({_blame(r) for r in results})
        if culprits == ["SSO501"]:
            return "network unreachable, see SSO501"
        return f"{_WHAT_FAILED[stage]}, see {', '.join(culprits)}"

    check.__doc__ = f"Some probed host got as far as {stage!r}."
    return check


def _probing(ctx: Context) -> bool:
    """Whether this run probes the network anyway (an SSO5xx rule is selected and online)."""
    needs = ctx.scheduled_needs
    return needs is None or "network" in needs


def _proxy(ctx: Context) -> str | None:
    """At least one probed host is reached through a proxy."""
    try:
        results = ctx.online.probe_results()
    except SkipRule:
        return None
    if results and not any(r.target.proxy is not None for r in results):
        return "no proxy is used for these hosts (no HTTPS_PROXY, or NO_PROXY matches them)"
    return None


CHECKS: dict[str, Callable[[Context], str | None]] = {
    "parsed_config": _parsed_config,
    "profile": _profile,
    "sso_profile": _sso_profile,
    "proxy": _proxy,
    "resolved": _network("resolved"),
    "connection": _network("connection"),
    "tls": _network("tls"),
    "http": _network("http"),
}


def unmet(rule: Rule, ctx: Context) -> str | None:
    """The reason the first of the rule's dependencies did not hold, or None when all did."""
    for name in rule.requires:
        reason = CHECKS[name](ctx)
        if reason:
            return reason
    return None


def describe(name: str) -> str:
    """One line for `rules`/`explain`: what the dependency is."""
    return {
        "parsed_config": "the config and credentials files parse (else skipped, see SSO102)",
        "profile": "a selected profile exists (else skipped, see SSO104)",
        "sso_profile": "a selected profile uses IAM Identity Center",
        "proxy": "a probed host is reached through a proxy",
        "resolved": "a probed host resolved in DNS (else skipped, see SSO501)",
        "connection": "a probed host took a connection (else skipped, see SSO501/SSO502)",
        "tls": "a TLS handshake took place (else skipped, see SSO501/SSO502)",
        "http": "a probed host answered over HTTPS",
    }[name]
