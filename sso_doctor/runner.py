"""From a check request to a rendered, redacted report. The CLI is a thin shell around this."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sso_doctor import baseline, engine, reporters, settings
from sso_doctor.context import Context, RunSettings
from sso_doctor.model import Finding, Report, Rule, RuleResult, Severity, Status

if TYPE_CHECKING:  # the markdown report only: imported where it is used
    from sso_doctor.anonymize import Anonymizer


class RequestError(ValueError):
    """The request names an unknown rule, severity, format or file, or a settings file is wrong: exit 2."""


@dataclass(frozen=True)
class CheckRequest:
    """What the command line asked for. None (or empty) means "not given": settings files decide."""

    profiles: tuple[str, ...] = ()
    all_profiles: bool = False
    offline: bool | None = None
    output_format: str = "text"
    fail_on: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    severity: tuple[str, ...] = ()
    timeout: float | None = None
    verbose: bool = False
    quiet: bool = False
    now: dt.datetime | None = None
    config_file: str | None = None
    credentials_file: str | None = None
    redact: bool | None = None  # None: the format's default (on for markdown)
    env: Mapping[str, str] | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    extend_select: tuple[str, ...] | None = None
    files: tuple[str, ...] = ()  # positional files to lint (pre-commit passes the staged ones)
    baseline: str | None = None
    write_baseline: str | None = None
    isolated: bool = False  # ignore the user and project settings files
    shell: str | None = None  # --shell: render fix commands for this shell (default: detected)
    settings_file: str | None = None  # --settings: a project settings file to apply to any run

    @property
    def lints_files(self) -> bool:
        return bool(self.config_file or self.credentials_file or self.files)


@dataclass(frozen=True)
class Outcome:
    report: Report
    context: Context
    request: CheckRequest
    exit_code: int
    settings: settings.Settings | None = None
    contexts: tuple[Context, ...] = ()  # every run's context (one per linted file pair)

    def render(self, color: bool = False) -> str:
        env = os.environ if self.request.env is None else self.request.env
        report, home = self.safe_report()
        options = reporters.RenderOptions(
            verbose=self.request.verbose,
            quiet=self.request.quiet,
            color=color,
            home=home,
            cwd=os.getcwd(),
            workspace=env.get("GITHUB_WORKSPACE") or None,
            shell=self.context.shell,
            platform=self.context.os,
        )
        return reporters.get(self.request.output_format)(report, options)

    def safe_report(self) -> tuple[Report, str | None]:
        """The report (and HOME, for `~/` paths) as it may be shown: secrets masked in every value, then
        identifiers replaced (markdown), then control characters escaped (text, markdown, github).

        Values are made safe before a reporter serialises them, never by rewriting its output, so no
        format's syntax can be corrupted.
        """
        from sso_doctor import safe_text

        report, home = self.report, self.context.home
        fn = self.redact
        report = safe_text.map_report(report, fn, steps=fn)
        home = fn(home) if home else home
        if self.anonymize:
            apply = anonymizer_for(self.context).apply
            prefix = home.rstrip("/\\") if home else None

            def anon(text: str) -> str:
                # a path under HOME keeps its `~` form: its user name would only become a placeholder
                if prefix and text.startswith(prefix) and text[len(prefix):len(prefix) + 1] in ("/", "\\"):
                    text = "~" + text[len(prefix):]
                return apply(text)

            report = safe_text.map_report(report, anon, steps=anon)
            home = apply(home) if home else home
        if reporters.escapes_controls(self.request.output_format):
            escape = safe_text.escape_controls
            report = safe_text.map_report(report, escape, steps=None,
                                          detail=lambda t: safe_text.escape_controls(t, keep_newlines=True))
            home = escape(home) if home else home
        return report, home

    def redact(self, text: str) -> str:
        """`text` with every secret of the run masked (a value, never serialised output)."""
        for ctx in self.contexts or (self.context,):
            text = ctx.secrets.redact(text)
        return text

    @property
    def anonymize(self) -> bool:
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


def _env(request: CheckRequest) -> dict[str, str]:
    return dict(os.environ if request.env is None else request.env)


def resolve_settings(request: CheckRequest) -> settings.Settings:
    """Defaults < user file < project file < SSO_DOCTOR_* < the request's flags.

    The project file found from the working directory applies to a lint of files only; a check of
    this machine uses project settings only when named with --settings (see sso_doctor/settings.py)."""
    from sso_doctor.rules import ALL_RULES

    flags = settings.Flags(
        select=request.select, extend_select=request.extend_select, ignore=request.ignore,
        fail_on=request.fail_on, offline=request.offline, timeout=request.timeout,
        severity=request.severity,
    )
    try:
        return settings.resolve(flags, env=_env(request), cwd=Path.cwd(), rules=ALL_RULES,
                                isolated=request.isolated, project=request.lints_files,
                                settings_file=Path(request.settings_file) if request.settings_file else None)
    except settings.SettingsError as e:
        raise RequestError(str(e)) from None


# --- linting named files (`check --config`, pre-commit) -------------------------------------------------


# Only these rules look at the files alone; the others check this machine (token cache, CLI, network).
FILE_AREAS = frozenset({"engine", "config"})
MISSING_CONFIG_RULE = "SSO101"


def _shown(path: str) -> str:
    """A path as reports show it: relative to the working directory when inside it, else absolute."""
    full = os.path.normpath(os.path.abspath(path))
    rel = reporters.path_under(full, os.getcwd())
    return rel if rel is not None else full


def _is_credentials_name(path: str) -> bool:
    return "credentials" in os.path.basename(path).lower()


def _sibling(path: str, name: str) -> str:
    other = os.path.join(os.path.dirname(path), name)
    if os.path.normpath(other) == os.path.normpath(path):
        raise RequestError(f"{path} is named like the other file of the pair: give both --config and --credentials")
    return _shown(other)


def lint_targets(request: CheckRequest) -> list[tuple[str, str]]:
    """The (config, credentials) pairs to lint; [] when the request checks this machine.

    A file given alone is paired with its sibling (`config` beside `credentials`, as in ~/.aws): the
    sibling is read only if it exists, and never this machine's own files, so the verdict depends on
    the repository alone.
    """
    for given in (request.config_file, request.credentials_file, *request.files):
        if given and not os.path.lexists(given):
            raise RequestError(f"no such file: {given}")
    pairs: list[tuple[str, str]] = []
    if request.config_file or request.credentials_file:
        cfg = _shown(request.config_file) if request.config_file else None
        cred = _shown(request.credentials_file) if request.credentials_file else None
        pairs.append((cfg or _sibling(cred, "config"), cred or _sibling(cfg, "credentials")))  # type: ignore[arg-type]
    by_dir: dict[str, dict[str, list[str]]] = {}
    for f in request.files:
        kind = "credentials" if _is_credentials_name(f) else "config"
        shown = _shown(f)
        by_dir.setdefault(os.path.dirname(shown), {"config": [], "credentials": []})[kind].append(shown)
    for group in by_dir.values():
        configs, creds = group["config"], group["credentials"]
        for c in configs:
            pairs.append((c, creds[0] if creds else _sibling(c, "credentials")))
        for cred in creds[1 if configs else 0:]:
            pairs.append((_sibling(cred, "config"), cred))
    return list(dict.fromkeys(pairs))


# --- the check ------------------------------------------------------------------------------------------


def check(request: CheckRequest) -> Outcome:
    from sso_doctor.rules import ALL_RULES

    if request.output_format not in reporters.names():
        raise RequestError(f"unknown format {request.output_format!r} (choose from {', '.join(reporters.names())})")
    st = resolve_settings(request)
    try:
        chosen, left_out = engine.select_rules(ALL_RULES, st.effective_select, st.ignore)
        overrides = engine.parse_severity_overrides(ALL_RULES, [f"{k}={v}" for k, v in st.severity.items()])
        ignored_by_glob = {
            glob: {r.id for r in engine.select_rules(ALL_RULES, select=tokens)[0]}
            for glob, tokens in st.per_profile_ignores.items()
        }
    except (engine.SelectionError, ValueError) as e:
        raise RequestError(str(e)) from None
    left_out = {rid: _reason(reason, st) for rid, reason in left_out.items()}
    fail_on = fail_on_severity(st.fail_on)
    known = baseline_fingerprints(request.baseline)
    chosen, left_out = _split_admin_rules(chosen, left_out, triage="triage" in request.extra)

    env = _env(request)
    targets = lint_targets(request)
    # `--config` alone lints the files: config-file rules only, and nothing from this machine's
    # environment, so a repository gets the same verdict on every laptop and CI runner. --online asks
    # for the full check of this machine with these files.
    files_only = bool(targets) and request.offline is not False
    if files_only:
        env = {k: v for k, v in env.items() if not k.startswith("AWS_")}
        for r in chosen:
            if r.area not in FILE_AREAS:
                left_out[r.id] = ("not selected with --config: it checks this machine, not the file "
                                  "(add --online to check this machine with these files)")
        chosen = [r for r in chosen if r.area in FILE_AREAS]

    given = {_shown(p) for p in (request.config_file, request.credentials_file, *request.files) if p}
    runs: list[tuple[Report, Context]] = []
    for config_file, credentials_file in targets or [(None, None)]:
        run_rules, run_left_out = chosen, left_out
        if config_file and config_file not in given and not os.path.lexists(config_file):
            # a credentials file linted alone: the absent config beside it is not a finding
            run_rules = [r for r in chosen if r.id != MISSING_CONFIG_RULE]
            run_left_out = {**left_out, MISSING_CONFIG_RULE: f"no config file beside {credentials_file}"}
        run_settings = RunSettings(
            profiles=request.profiles,
            all_profiles=request.all_profiles or (files_only and not request.profiles),
            offline=st.offline or files_only,
            timeout=st.timeout,
            verbose=request.verbose,
            config_file=config_file,
            credentials_file=credentials_file,
            extra={**request.extra, **({"shell": request.shell} if request.shell else {})},
        )
        ctx = Context(run_settings, env=env, now=request.now)
        report = engine.run(run_rules, ctx, left_out=run_left_out, all_rules=ALL_RULES, severity_overrides=overrides,
                            inputs=_inputs(ctx, request, st))
        runs.append((report, ctx))

    report = merge_reports([r for r, _ in runs])
    contexts = tuple(c for _, c in runs)
    if targets:
        linted = [p for pair in targets for p in pair if os.path.lexists(p)]
        report = replace(report, inputs={**report.inputs, "files": list(dict.fromkeys(linted))})
    if ignored_by_glob:
        report = suppress(report, lambda f: _glob_ignored(f, ignored_by_glob), "per-profile-ignores")
    if request.write_baseline:
        from sso_doctor import safe_text

        def redact(value: str) -> str:
            for ctx in contexts:
                value = ctx.secrets.redact(value)
            return value

        text = baseline.dumps(safe_text.map_report(report, redact, steps=redact).findings)
        try:
            Path(request.write_baseline).write_text(text, encoding="utf-8")
        except OSError as e:
            raise RequestError(f"cannot write the baseline {request.write_baseline}: {e.strerror or e}") from None
    if known is not None:
        before = len(report.findings)
        report = suppress(report, lambda f: f.fingerprint in known, f"baseline {request.baseline}")
        report = replace(report, inputs={**report.inputs, "baseline": request.baseline,
                                         "baselined": before - len(report.findings)})
    # A freshly written baseline accepts every current finding: only a crashed check fails the run.
    exit_code = report.exit_code(None if request.write_baseline else fail_on)
    return Outcome(report, contexts[0], request, exit_code, settings=st, contexts=contexts)


def _split_admin_rules(chosen: list, left_out: dict[str, str], *, triage: bool) -> tuple[list, dict[str, str]]:
    """`check` never runs the administrator rules; `triage` runs only them."""
    keep = []
    for r in chosen:
        if ("admin" in r.needs) == triage:
            keep.append(r)
        else:
            left_out[r.id] = "not part of triage" if triage else "only run by `sso-doctor triage`"
    return keep, left_out


# Session names too common to replace wherever they appear as a word (SSO110 falls back to "sso").
_GENERIC_NAMES = frozenset({"sso", "start", "portal", "login", "aws", "my-sso"})


def anonymizer_for(ctx: Context) -> Anonymizer:
    """Placeholders for what identifies a person or an organization in this machine's setup."""
    import socket
    from urllib.parse import urlsplit

    from sso_doctor.anonymize import Anonymizer

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
    from sso_doctor.rules.config import _new_session_name  # the name SSO110 suggests for a start URL

    for url in urls:
        if url:
            name = _new_session_name(url, set())
            if name not in _GENERIC_NAMES:
                for n in (name, f"{name}-2", f"{name}-3"):
                    anon.add("sso-session", n)
    # endpoint overrides (variables and endpoint_url in any section): their hosts say who runs them
    endpoints = list(ctx.environment.endpoint_urls.values())
    for parsed in (cfg.config, cfg.credentials):
        for section in parsed.sections:
            for key, entry in section.entries.items():
                value = entry.value
                for k, v in (value.items() if isinstance(value, dict) else ((key, value),)):
                    if k == "endpoint_url" and isinstance(v, str):
                        endpoints.append(v)
    for url in endpoints:
        try:
            anon.add("host", urlsplit(url.strip() if "://" in url else "http://" + url.strip()).hostname)
        except ValueError:
            pass
    # account names the portal or the organization gave this run (online access checks, triage)
    run = ctx.__dict__.get("_online_run")
    if run is not None and run._access is not None:
        for access in run._access.results(0):
            for account_id, account_name in access.accounts or ():
                anon.add("account", account_id)
                anon.add("account-name", account_name)
    facts = ctx.__dict__.get("triage")
    if facts is not None:
        for account in (facts.account,):
            if account is not None:
                anon.add("account", account.id)
                anon.add("account-name", account.name)
        anon.add("user", facts.request.user)
        if facts.user is not None:
            anon.add("user", facts.user.user_name)
            anon.add("user", facts.user.display_name)
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
    import platform

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


def baseline_fingerprints(path: str | None) -> frozenset[str] | None:
    if path is None:
        return None
    try:
        return baseline.load(path)
    except baseline.BaselineError as e:
        raise RequestError(str(e)) from None


def _reason(reason: str, st: settings.Settings) -> str:
    if reason.startswith("not selected"):
        return f"not selected (select from {st.source('select')})"
    if reason.startswith("ignored"):
        return f"ignored (ignore from {st.source('ignore')})"
    return reason


def _glob_ignored(f: Finding, ignored_by_glob: Mapping[str, set[str]]) -> bool:
    import fnmatch

    if f.subject is None or f.rule_id == engine.CRASH_RULE_ID:
        return False
    return any(f.rule_id in ids and fnmatch.fnmatchcase(f.subject, glob) for glob, ids in ignored_by_glob.items())


def suppress(report: Report, drop: Callable[[Finding], bool], why: str) -> Report:
    """The report without the findings `drop` selects; a rule left with none counts as passed."""
    results = []
    for r in report.results:
        if r.status != Status.FAILED or r.rule.id == engine.CRASH_RULE_ID:
            results.append(r)
            continue
        kept = tuple(f for f in r.findings if not drop(f))
        if len(kept) == len(r.findings):
            results.append(r)
            continue
        n = len(r.findings) - len(kept)
        note = f"{n} finding{'s' if n != 1 else ''} suppressed by {why}"
        reason = f"{r.reason}; {note}" if r.reason else note
        results.append(RuleResult(r.rule, Status.FAILED if kept else Status.PASSED, kept, reason, r.duration_ms))
    return replace(report, results=tuple(results))


_STATUS_RANK = {Status.ERRORED: 3, Status.FAILED: 2, Status.PASSED: 1, Status.SKIPPED: 0}


def merge_reports(reports: Sequence[Report]) -> Report:
    """One report from the runs over several file pairs: findings added up, each rule's worst status."""
    if len(reports) == 1:
        return reports[0]
    by_rule: dict[str, list[RuleResult]] = {}
    rules: dict[str, Rule] = {}
    for rep in reports:
        for r in rep.results:
            by_rule.setdefault(r.rule.id, []).append(r)
            rules.setdefault(r.rule.id, r.rule)
    results = []
    for rid, parts in by_rule.items():
        worst = max(parts, key=lambda p: _STATUS_RANK[p.status])
        findings = tuple(f for p in parts for f in p.findings)
        results.append(RuleResult(rules[rid], worst.status, findings, worst.reason,
                                  round(sum(p.duration_ms for p in parts), 3)))
    inputs = dict(reports[0].inputs)
    inputs["profiles"] = list(dict.fromkeys(p for rep in reports for p in rep.inputs.get("profiles", [])))
    inputs["config_file"] = None
    inputs["credentials_file"] = None
    return Report(reports[0].tool_version, inputs, tuple(results), round(sum(r.duration_ms for r in reports), 3))


def _inputs(ctx: Context, request: CheckRequest, st: settings.Settings) -> dict[str, object]:
    cfg = ctx.config
    extra: dict[str, object] = {}
    if request.output_format == "markdown":
        extra["environment"] = environment_summary(ctx)
    return extra | {
        "config_file": str(cfg.config.path),
        "credentials_file": str(cfg.credentials.path),
        "profiles": list(ctx.selected_names),
        "profile_source": ctx.selection_source,
        "all_profiles": ctx.settings.all_profiles,
        "offline": ctx.settings.offline,
        "timeout": st.timeout,
        "fail_on": st.fail_on,
        "select": list(st.effective_select),
        "ignore": list(st.ignore),
        "now": ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "settings_files": [str(f.path) for f in st.applied_files],
        "platform": ctx.platform,
        "shell": ctx.shell,
        "shell_source": "--shell" if ctx.settings.extra.get("shell") else ctx.os.shell_reason,
    }
