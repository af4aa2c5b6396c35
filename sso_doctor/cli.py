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

from sso_doctor import __version__

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


@app.command()
def check(
    profile: Annotated[
        Optional[list[str]],
        typer.Option("--profile", "-p", help="Profile to check (repeatable). Default: AWS_DEFAULT_PROFILE, "
                     "then AWS_PROFILE, then 'default', as botocore resolves them."),
    ] = None,
    all_profiles: Annotated[bool, typer.Option("--all-profiles", help="Check every SSO profile.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="Skip every check that needs the network.")] = False,
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the report to this file instead of stdout.")
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Lowest severity that makes the exit code 1.")
    ] = FailOn.error,
    select: Annotated[
        Optional[list[str]],
        typer.Option("--select", help="Run only these rules: id (SSO201), prefix (SSO2) or slug. Repeatable, "
                     "or comma-separated."),
    ] = None,
    ignore: Annotated[
        Optional[list[str]], typer.Option("--ignore", help="Skip these rules (id, prefix or slug).")
    ] = None,
    severity: Annotated[
        Optional[list[str]],
        typer.Option("--severity", help="Override a rule's severity, e.g. SSO121=warning (repeatable)."),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Time budget in seconds for all online checks together.")
    ] = 5.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show passing and skipped checks, evidence "
                                          "and tracebacks.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="One line per finding, nothing else.")] = False,
) -> None:
    """Check this machine's AWS SSO setup and print what is wrong, with the commands that fix it."""
    from sso_doctor import runner

    try:
        request = runner.CheckRequest(
            profiles=tuple(profile or ()),
            all_profiles=all_profiles,
            offline=offline,
            output_format=output_format.value,
            fail_on=fail_on.value,
            select=_split(select),
            ignore=_split(ignore),
            severity=tuple(severity or ()),
            timeout=timeout,
            verbose=verbose,
            quiet=quiet,
            now=_now_from_env(),
        )
        outcome = runner.check(request)
    except (UsageProblem, runner.RequestError) as e:
        raise _die(str(e)) from None

    color = (
        output_format == Format.text and output is None and sys.stdout.isatty()
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
    what: Annotated[str, typer.Argument(help="A rule id (SSO201) or slug (not-logged-in).")],
) -> None:
    """Show a rule's documentation: what it checks, why it matters, how to fix it, an example."""
    from sso_doctor.rules import ALL_RULES, find
    from sso_doctor.text import closest, name_list

    r = find(what)
    if r is None:
        hints = closest(what, [x.id for x in ALL_RULES] + [x.slug for x in ALL_RULES])
        hint = f" Did you mean {name_list(hints)}?" if hints else ""
        raise _die(f"no rule is called {what!r}.{hint} `sso-doctor rules` lists them.")
    needs = ", ".join(sorted(r.needs)) or "nothing"
    typer.echo(f"{r.id} {r.slug} (default severity: {r.severity.label}; needs: {needs})\n")
    typer.echo(r.doc)


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
            sys.stderr.write("".join(traceback.format_exception(type(e), e, e.__traceback__)))
        sys.exit(2)
