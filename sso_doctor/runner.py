"""From a check request to a rendered, redacted report. The CLI is a thin shell around this."""

from __future__ import annotations

import datetime as dt
import os
import platform
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field

from sso_doctor import engine, reporters
from sso_doctor.anonymize import Anonymizer
from sso_doctor.context import Context, RunSettings
from sso_doctor.model import Report, Severity


class RequestError(ValueError):
    """The request names an unknown rule, severity or format: exit 2."""


@dataclass(frozen=True)
class CheckRequest:
    profiles: tuple[str, ...] = ()
    all_profiles: bool = False
    offline: bool = False
    output_format: str = "text"
    fail_on: str = "error"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    timeout: float = 5.0
    verbose: bool = False
    quiet: bool = False
    now: dt.datetime | None = None
    config_file: str | None = None
    credentials_file: str | None = None
    redact: bool | None = None  # None: the format's default (on for markdown)
    env: Mapping[str, str] | None = None
    extra: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    report: Report
    context: Context
    request: CheckRequest
    exit_code: int

    def render(self, color: bool = False) -> str:
        options = reporters.RenderOptions(
            verbose=self.request.verbose,
            quiet=self.request.quiet,
            color=color,
            home=self.context.home,
            cwd=os.getcwd(),
        )
        text = reporters.get(self.request.output_format)(self.report, options)
        # Second line of defence: no registered secret leaves the process, whatever the format.
        text = self.context.secrets.redact(text)
        if self.redact:
            text = anonymizer_for(self.context).apply(text)
        return text

    @property
    def redact(self) -> bool:
        """Identifying values become placeholders: on by default for markdown (ticket) reports."""
        if self.request.redact is not None:
            return self.request.redact
        return self.request.output_format == "markdown"


def fail_on_severity(value: str) -> Severity | None:
    if value == "never":
        return None
    try:
        return Severity.parse(value)
    except ValueError as e:
        raise RequestError(str(e)) from None


def check(request: CheckRequest) -> Outcome:
    from sso_doctor.rules import ALL_RULES

    if request.output_format not in reporters.names():
        raise RequestError(f"unknown format {request.output_format!r} (choose from {', '.join(reporters.names())})")
    try:
        chosen, left_out = engine.select_rules(ALL_RULES, request.select, request.ignore)
        overrides = engine.parse_severity_overrides(ALL_RULES, request.severity)
    except (engine.SelectionError, ValueError) as e:
        raise RequestError(str(e)) from None
    fail_on = fail_on_severity(request.fail_on)
    chosen, left_out = _split_admin_rules(chosen, left_out, triage="triage" in request.extra)

    settings = RunSettings(
        profiles=request.profiles,
        all_profiles=request.all_profiles,
        offline=request.offline,
        timeout=request.timeout,
        verbose=request.verbose,
        config_file=request.config_file,
        credentials_file=request.credentials_file,
        extra=dict(request.extra),
    )
    ctx = Context(settings, env=request.env, now=request.now)
    report = engine.run(
        chosen, ctx, left_out=left_out, all_rules=ALL_RULES, severity_overrides=overrides,
        inputs=_inputs(ctx, request),
    )
    return Outcome(report, ctx, request, report.exit_code(fail_on))


def _split_admin_rules(chosen: list, left_out: dict[str, str], *, triage: bool) -> tuple[list, dict[str, str]]:
    """`check` never runs the administrator rules; `triage` runs only them."""
    keep = []
    for r in chosen:
        if ("admin" in r.needs) == triage:
            keep.append(r)
        else:
            left_out[r.id] = "not part of triage" if triage else "only run by `sso-doctor triage`"
    return keep, left_out


def anonymizer_for(ctx: Context) -> Anonymizer:
    """Placeholders for what identifies a person or an organization in this machine's setup."""
    from urllib.parse import urlsplit

    anon = Anonymizer()
    cfg = ctx.config
    for p in cfg.profiles.values():
        anon.add("account", p.get("sso_account_id"))
    urls = [p.get("sso_start_url") for p in cfg.profiles.values()] + [s.get("sso_start_url")
                                                                      for s in cfg.sso_sessions.values()]
    for url in urls:
        if url:
            anon.add("start-url", url.strip())
            try:
                anon.add("host", urlsplit(url.strip()).hostname)
            except ValueError:
                pass
    for var in ("USER", "LOGNAME", "USERNAME"):
        anon.add("user", ctx.env.get(var))
    if ctx.home:
        anon.add("user", os.path.basename(ctx.home.rstrip("/")))
    anon.add("host", socket.gethostname())
    for v in ctx.environment.proxy_vars:
        try:
            parts = urlsplit(v.value.reveal() if "://" in v.value.reveal() else "http://" + v.value.reveal())
            anon.add("host", parts.hostname)
            anon.add("user", parts.username)
        except ValueError:
            pass
    return anon


def environment_summary(ctx: Context) -> dict[str, str]:
    """What a helpdesk asks first: OS, AWS CLI, region, proxy. Only for the ticket (markdown) report."""
    active = ctx.aws_cli.active
    if active is None:
        cli = "not found on PATH"
    else:
        cli = f"{active.version or 'unknown version'} ({active.path})"
    region = None
    for p in ctx.selected_profiles():
        region = p.get("region")
        if region:
            break
    region = region or ctx.env.get("AWS_DEFAULT_REGION") or ctx.env.get("AWS_REGION") or "not set"
    route = ctx.environment.route("https://oidc.us-east-1.amazonaws.com")
    proxy = f"yes ({route.variable})" if route.proxy is not None else "no"
    return {
        "os": f"{platform.system()} {platform.release()} ({platform.machine()}), Python {platform.python_version()}",
        "aws_cli": cli,
        "region": region,
        "proxy": proxy,
    }


def _inputs(ctx: Context, request: CheckRequest) -> dict[str, object]:
    cfg = ctx.config
    extra: dict[str, object] = {}
    if request.output_format == "markdown":
        extra["environment"] = environment_summary(ctx)
    return extra | {
        "config_file": str(cfg.config.path),
        "credentials_file": str(cfg.credentials.path),
        "profiles": list(ctx.selected_names),
        "profile_source": ctx.selection_source,
        "all_profiles": request.all_profiles,
        "offline": request.offline,
        "timeout": request.timeout,
        "fail_on": request.fail_on,
        "select": list(request.select),
        "ignore": list(request.ignore),
        "now": ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
