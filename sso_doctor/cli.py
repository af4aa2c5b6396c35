"""The `sso-doctor` command line. Machine formats go to stdout, progress and errors to stderr.

Exit codes (ruff/ESLint convention): 0 nothing at or above --fail-on; 1 findings at or above it, or a
rule crashed; 2 a usage error or a failure before any report.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from sso_doctor import __version__, reporters

app = typer.Typer(
    name="sso-doctor",
    help="Diagnose AWS IAM Identity Center (AWS SSO) setups: config files, token cache, environment, "
    "network and access. Every finding comes with the command that fixes it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # never print locals: they can hold tokens
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class Format(str, enum.Enum):
    text = "text"
    json = "json"


class UsageProblem(Exception):
    """A problem with what the user asked for: exit 2 with a one-line message."""


def _now_from_env() -> dt.datetime | None:
    # A fixed clock for reproducing a report (and for the test-suite's subprocess runs).
    raw = os.environ.get("SSO_DOCTOR_NOW")
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise UsageProblem(f"SSO_DOCTOR_NOW={raw!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _die(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"sso-doctor: {message}", err=True)
    return typer.Exit(code)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"sso-doctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Diagnose AWS IAM Identity Center (AWS SSO) setups."""


# --format choices follow the reporters' table (sso_doctor/reporters/__init__.py).
ReportFormat = enum.Enum("ReportFormat", {name: name for name in reporters.names()}, type=str)  # type: ignore[misc]


@app.command()
def check(
    files: Annotated[
        Optional[list[Path]],
        typer.Argument(help="AWS config or credentials files to lint, like --config (a file whose name contains "
                       "'credentials' is taken as a credentials file). pre-commit passes the staged ones.",
                       show_default=False),
    ] = None,
    profile: Annotated[
        Optional[list[str]],
        typer.Option("--profile", "-p", help="Profile to check (repeatable). Default: AWS_DEFAULT_PROFILE, "
                     "then AWS_PROFILE, then 'default', as botocore resolves them."),
    ] = None,
    all_profiles: Annotated[bool, typer.Option("--all-profiles", help="Check every SSO profile.")] = False,
    config_file: Annotated[
        Optional[Path],
        typer.Option("--config", help="Lint this AWS config file (e.g. one kept in a repository) instead of this "
                     "machine's. Only the config-file rules run, every profile is checked, paths are shown "
                     "relative to the working directory. The 'credentials' file beside it is read if present."),
    ] = None,
    credentials_file: Annotated[
        Optional[Path], typer.Option("--credentials", help="The credentials file to lint with --config.")
    ] = None,
    offline: Annotated[
        Optional[bool],
        typer.Option("--offline/--online", help="--offline skips every check that needs the network. With "
                     "--config, --online also runs the checks of this machine (token cache, CLI, network).",
                     show_default=False),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format (markdown: a report to paste into a "
                                   "ticket, identifiers replaced by placeholders).")
    ] = ReportFormat.text,  # type: ignore[attr-defined]
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")
    ] = None,
    fail_on: Annotated[
        Optional[FailOn],
        typer.Option("--fail-on", help="Lowest severity that makes the exit code 1. [default: error]",
                     show_default=False),
    ] = None,
    select: Annotated[
        Optional[list[str]],
        typer.Option("--select", help="Run only these rules: id (SSO201), prefix (SSO2) or slug. Repeatable, "
                     "or comma-separated."),
    ] = None,
    extend_select: Annotated[
        Optional[list[str]], typer.Option("--extend-select", help="Add these rules to the selected ones.")
    ] = None,
    ignore: Annotated[
        Optional[list[str]], typer.Option("--ignore", help="Skip these rules (id, prefix or slug).")
    ] = None,
    severity: Annotated[
        Optional[list[str]],
        typer.Option("--severity", help="Override a rule's severity, e.g. SSO121=warning (repeatable)."),
    ] = None,
    timeout: Annotated[
        Optional[float],
        typer.Option("--timeout", min=0.1, help="Time budget in seconds for all online checks together. "
                     "[default: 5]", show_default=False),
    ] = None,
    baseline: Annotated[
        Optional[Path],
        typer.Option("--baseline", help="Ignore the findings listed in this baseline file: fail only on new ones."),
    ] = None,
    write_baseline: Annotated[
        Optional[Path],
        typer.Option("--write-baseline", help="Write the current findings to this baseline file (exit 0 unless "
                     "a check crashed)."),
    ] = None,
    show_settings: Annotated[
        bool, typer.Option("--show-settings", help="Print the merged settings and where each value came from, "
                           "then exit.")
    ] = False,
    isolated: Annotated[
        bool, typer.Option("--isolated", help="Ignore the user and project settings files.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show passing and skipped checks, evidence "
                                          "and tracebacks.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="One line per finding, nothing else.")] = False,
    redact: Annotated[
        Optional[bool],
        typer.Option("--redact/--no-redact", help="Replace account ids, start URLs, user and host names with "
                     "stable placeholders (default: on for markdown, off otherwise). Secrets are always masked."),
    ] = None,
) -> None:
    """Check this machine's AWS SSO setup (or lint the given AWS config files) and print what is wrong,
    with the commands that fix it. Settings: [tool.sso-doctor] in pyproject.toml or .sso-doctor.toml."""
    from sso_doctor import runner
    from sso_doctor import settings as settings_mod

    fmt = output_format.value
    try:
        request = runner.CheckRequest(
            profiles=tuple(profile or ()),
            all_profiles=all_profiles,
            offline=offline,
            output_format=fmt,
            fail_on=fail_on.value if fail_on is not None else None,
            select=_split(select) or None,
            extend_select=_split(extend_select) or None,
            ignore=_split(ignore) or None,
            severity=tuple(severity or ()),
            timeout=timeout,
            verbose=verbose,
            quiet=quiet,
            redact=redact,
            now=_now_from_env(),
            config_file=str(config_file) if config_file else None,
            credentials_file=str(credentials_file) if credentials_file else None,
            files=tuple(str(f) for f in files or ()),
            baseline=str(baseline) if baseline else None,
            write_baseline=str(write_baseline) if write_baseline else None,
            isolated=isolated,
        )
        if show_settings:
            resolved = runner.resolve_settings(request)
            typer.echo(settings_mod.show_json(resolved) if fmt == "json" else settings_mod.show(resolved), nl=False)
            raise typer.Exit(0)
        outcome = runner.check(request)
    except (UsageProblem, runner.RequestError) as e:
        raise _die(str(e)) from None

    color = (
        fmt == "text" and output is None and sys.stdout.isatty()
        and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    )
    text = outcome.render(color=color)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise _die(f"cannot write the report to {output}: {e.strerror or e}") from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if write_baseline is not None:
        typer.echo(f"sso-doctor: wrote {len(outcome.report.findings)} finding(s) to the baseline {write_baseline}",
                   err=True)
    raise typer.Exit(outcome.exit_code)


def _split(values: Optional[list[str]]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return tuple(out)


@app.command("rules")
def list_rules(
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """List every rule: id, slug, default severity, what it needs, and what it checks."""
    import json

    from sso_doctor.rules import ALL_RULES

    if output_format == Format.json:
        rows = [
            {"id": r.id, "slug": r.slug, "severity": r.severity.label, "area": r.area,
             "needs": sorted(r.needs), "summary": r.summary}
            for r in ALL_RULES
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r.slug) for r in ALL_RULES)
    typer.echo(f"{'ID':<7} {'SLUG':<{width}} {'SEVERITY':<8} {'NEEDS':<22} SUMMARY")
    for r in ALL_RULES:
        needs = ",".join(sorted(r.needs)) or "-"
        typer.echo(f"{r.id:<7} {r.slug:<{width}} {r.severity.label:<8} {needs:<22} {r.summary}")


@app.command()
def explain(
    what: Annotated[str, typer.Argument(help="A rule id (SSO201), a slug (not-logged-in), or an error message "
                                        "you saw, in quotes.")],
) -> None:
    """Show a rule's documentation, or tell which rules explain a pasted error message."""
    import re

    from sso_doctor.rules import ALL_RULES, find
    from sso_doctor.text import did_you_mean

    r = find(what)
    if r is not None:
        needs = ", ".join(sorted(r.needs)) or "nothing"
        typer.echo(f"{r.id} {r.slug} (default severity: {r.severity.label}; needs: {needs})\n")
        typer.echo(r.doc)
        return
    if re.fullmatch(r"(?i)sso\d{1,4}|[a-z0-9]+(-[a-z0-9]+)+", what.strip()):
        hint = did_you_mean(what, [x.id for x in ALL_RULES] + [x.slug for x in ALL_RULES])
        raise _die(f"no rule is called {what!r}.{hint} `sso-doctor rules` lists them.")
    _explain_error_text(what)


def _explain_error_text(text: str) -> None:
    from sso_doctor import error_texts
    from sso_doctor.rules import by_id
    from sso_doctor.text import shell_quote

    matches = error_texts.match(text)
    if not matches:
        typer.echo("sso-doctor does not recognise this message as an AWS SSO problem.")
        typer.echo("Run `sso-doctor check` to look for problems anyway, or `sso-doctor rules` for what it checks.")
        raise typer.Exit(1)
    rules = by_id()
    seen: list[str] = []
    typer.echo("This message is explained by, most likely first:\n")
    for m in matches:
        typer.echo(f"- {m.known.cause}")
        for rule_id in m.known.rules:
            if rule_id in seen:
                continue
            seen.append(rule_id)
            rule = rules.get(rule_id)
            label = f"{rule_id} {rule.slug}: {rule.summary}" if rule else rule_id
            typer.echo(f"    {label}")
    profile = next((m.profile for m in matches if m.profile), None) or error_texts.profile_in(text)
    check = "sso-doctor check" + (f" --profile {shell_quote(profile)}" if profile else "")
    typer.echo(f"\nConfirm on this machine:\n    {check}")
    typer.echo(f"Details of a rule:\n    sso-doctor explain {seen[0]}")


# --- sessions (token cache overview) ---------------------------------------------------------------


@app.command("sessions")
def sessions_command(
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
) -> None:
    """List every sso-session, legacy start URL and cached SSO token: its cache file, start URL, region,
    profiles, expiry, and whether botocore can refresh it. Read-only; never prints a token."""
    from sso_doctor import sessions
    from sso_doctor.context import Context

    try:
        ctx = Context(now=_now_from_env())
    except UsageProblem as e:
        raise _die(str(e)) from None
    sys.stdout.write(sessions.render(ctx, output_format.value))
    sys.stdout.flush()


# --- discover / triage (administrator commands) ----------------------------------------------------


@app.command()
def discover(
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="An administrator profile "
                       "(management or delegated-administrator account).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="Where to look for the instance "
                      "(default: the profile's region).")] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    session_name: Annotated[str, typer.Option("--session-name", help="Name for the generated [sso-session].")] = "my-sso",
) -> None:
    """Find the Identity Center instance, its portal URL, accounts and permission sets, and print a
    ready [sso-session] block for ~/.aws/config."""
    import json

    from sso_doctor import admin

    try:
        found = admin.discover(profile, region)
    except admin.AdminError as e:
        raise _die(str(e)) from None
    block = found.sso_session_block(session_name)
    if output_format == Format.json:
        typer.echo(json.dumps({
            "region": found.region,
            "instances": [{"instance_arn": i.arn, "identity_store_id": i.identity_store_id,
                           "owner_account_id": i.owner_account_id, "name": i.name, "portal_url": i.portal_url}
                          for i in found.instances],
            "accounts": [{"id": a.id, "name": a.name, "status": a.status} for a in found.accounts],
            "accounts_error": found.accounts_error,
            "permission_sets": [{"name": p.name, "arn": p.arn, "session_duration": p.session_duration}
                                for p in found.permission_sets],
            "sso_session_block": block,
        }, indent=2))
        raise typer.Exit(0 if found.instances else 1)
    if not found.instances:
        typer.echo(f"No IAM Identity Center instance in {found.region}: try the home region (--region) or a "
                   "management / delegated-administrator profile (--profile).")
        raise typer.Exit(1)
    for inst in found.instances:
        typer.echo(f"IAM Identity Center in {found.region}")
        typer.echo(f"  instance        {inst.arn}")
        typer.echo(f"  identity store  {inst.identity_store_id}")
        typer.echo(f"  owner account   {inst.owner_account_id or '-'}")
        typer.echo(f"  portal URL      {inst.portal_url}")
    typer.echo(f"\nAccounts ({len(found.accounts)})")
    if found.accounts_error:
        typer.echo(f"  (could not list the organization: {found.accounts_error})")
    for a in found.accounts:
        typer.echo(f"  {a.id}  {a.name}")
    typer.echo(f"\nPermission sets ({len(found.permission_sets)})")
    for p in found.permission_sets:
        typer.echo(f"  {p.name:<30} {p.session_duration or '-':<8} {p.arn}")
    typer.echo("\nAdd this to ~/.aws/config, then run `aws configure sso --profile <name>`:\n")
    typer.echo(block)


@app.command()
def triage(
    user: Annotated[str, typer.Option("--user", help="The user's user name or email.")],
    account: Annotated[str, typer.Option("--account", help="The account id or name.")],
    permission_set: Annotated[str, typer.Option("--permission-set", help="The permission set name.")],
    profile: Annotated[Optional[str], typer.Option("--profile", "-p", help="An administrator profile "
                       "(management or delegated-administrator account).")] = None,
    region: Annotated[Optional[str], typer.Option("--region", help="The Identity Center home region "
                      "(default: the profile's region).")] = None,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show passing checks too.")] = False,
) -> None:
    """Find out why a user can't use a permission set on an account, and print the command that fixes it."""
    import json

    from sso_doctor import admin, runner

    request = admin.TriageRequest(profile, region, user, account, permission_set)
    outcome = runner.check(runner.CheckRequest(
        output_format=output_format.value, verbose=verbose, extra={"triage": request}, now=_now_from_env(),
        # a project's select/ignore is about `check`; triage always runs its own rules
        isolated=True, select=("SSO7",)))
    facts = outcome.context.triage
    if facts.error and not facts.checked:
        raise _die(facts.error)
    text = outcome.render(color=False)
    verdict = _verdict_text(facts)
    if output_format == Format.json:
        doc = json.loads(text)
        doc["verdict"] = {"status": facts.verdict, "text": verdict, "error": facts.error}
        text = json.dumps(doc, indent=2) + "\n"
    else:
        text += f"\nVerdict: {verdict}\n"
    sys.stdout.write(text)
    if facts.error:
        typer.echo(f"sso-doctor: the walk stopped early: {facts.error}", err=True)
    raise typer.Exit(outcome.exit_code if not facts.error else 2)


def _verdict_text(facts) -> str:
    r = facts.request
    if facts.verdict == "assigned":
        how = "directly" if facts.direct_assignment else "through group " + ", ".join(
            g.name for g in facts.group_assignments)
        return f'assigned: "{r.user}" can use "{r.permission_set}" on {facts.account.id} ({how}).'
    if facts.verdict == "not-assigned":
        return f'not assigned: "{r.user}" has no assignment of "{r.permission_set}" on {facts.account.id}; see SSO705.'
    if facts.verdict == "not-provisioned":
        if facts.provisioning == "outdated":
            return (f'outdated: the assignment exists, but "{r.permission_set}" changed after it was provisioned to '
                    f"{facts.account.id}; see SSO706.")
        return f'not provisioned: the assignment exists but "{r.permission_set}" is not provisioned; see SSO706.'
    return "incomplete: fix the findings above and run triage again."


def main() -> None:
    """Console-script entry point: typer's own exit codes, and no traceback for unexpected errors."""
    try:
        app(prog_name="sso-doctor")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("sso-doctor: interrupted\n")
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence against a traceback for users
        sys.stderr.write(f"sso-doctor: internal error ({type(e).__name__}); run with -v and report it\n")
        if "-v" in sys.argv or "--verbose" in sys.argv:
            from sso_doctor.redact import redact_all

            sys.stderr.write(redact_all("".join(traceback.format_exception(type(e), e, e.__traceback__))))
        sys.exit(2)
