"""No secret in any output of any command, in any format, with or without -v.

Canaries (unique values, tests/canary.py) are planted in every input that can hold a secret: SSO access
tokens, refresh tokens and client secrets, static secret keys (credentials file and environment), a
session token, a proxy password, the password and query string of a start URL, endpoint passwords (a
profile's endpoint_url, a [services] block, AWS_ENDPOINT_URL_*), and a credential_process's stderr. Then
check, sessions, explain, rules, discover and triage run in every format they have, with and without -v
where they take it, and stdout, stderr, the --output file and every log record at DEBUG are searched for
any canary, whole, JSON-escaped, percent-encoded or as any 12-character piece.

Where a canary-bearing value is shown (a start URL, an endpoint), the test also checks that it is shown
masked, so a clean result cannot come from the value simply not being printed.
"""

from __future__ import annotations

import json
import logging
import os

import pytest
from typer.testing import CliRunner

from adversarial import admin_world
from canary import assert_no_canaries, find_canaries, new_canary
from fakes.sso_server import FakeSso
from sso_doctor.cli import app

CHECK_FORMATS = ["text", "json", "sarif", "github", "junit", "markdown"]
TRIAGE = ["--user", "nobody", "--account", admin_world.ACCOUNT, "--permission-set", "ReadOnlyAccess"]
ADMIN_PROFILES = ["admin-window", "admin-expired", "admin-process", "admin-bad-endpoint", "admin-static"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, moto_server):
    # no organization is made here: moto's backends are shared with tests/test_triage.py, which makes
    # its own (the admin commands work without one)
    canaries: list[str] = []

    def make(label: str) -> str:
        canaries.append(new_canary(label))
        return canaries[-1]

    with FakeSso() as sso:
        w = admin_world.build(tmp_path_factory.mktemp("leaks"), moto_url=moto_server, sso_url=sso.url, make=make)
        w.canaries = canaries
        for name, (access, refresh, secret) in w.tokens.items():
            sso.add_token(access, {admin_world.ACCOUNT: ("management", [admin_world.ROLE])})
            sso.add_refresh_token(refresh, f"client-{name}", secret)
        sso.state.echo_token_in_errors = True  # a hostile portal echoes the bearer token in its errors
        yield w, sso


def _matrix() -> list[list[str]]:
    runs = []
    for fmt in CHECK_FORMATS:
        for v in ([], ["-v"]):
            runs.append(["check", "--all-profiles", "--offline", "--format", fmt, *v])
    runs += [["check", "--profile", "admin-window", "--select", "SSO2,SSO5,SSO6", "--timeout", "3", "-v",
              "--format", fmt] for fmt in ("text", "json")]
    runs += [["sessions"], ["sessions", "--format", "json"]]
    runs += [["rules"], ["rules", "--format", "json"], ["explain", "SSO201"], ["explain", "no-sso-session"]]
    for profile in ADMIN_PROFILES:
        runs += [["discover", "--profile", profile], ["discover", "--profile", profile, "--format", "json"]]
        for fmt in ("text", "json"):
            for v in ([], ["-v"]):
                runs.append(["triage", "--profile", profile, *TRIAGE, "--format", fmt, *v])
    return runs


MATRIX = _matrix()


def _env(w) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k != "AWS_EC2_METADATA_DISABLED"}
    env.update(w.env)
    return env


def test_the_canaries_are_really_planted(world):
    w, _ = world
    assert len(w.canaries) >= 20
    sources = {str(p): p for p in w.home.rglob("*") if p.is_file()}
    sources["helper"] = (w.home.parent / "helper.py")
    sources["env"] = json.dumps(w.env)
    missing = [c for c in w.canaries if not find_canaries([c], sources, fragment=0)]
    assert missing == []


@pytest.mark.parametrize("args", MATRIX, ids=[" ".join(a) for a in MATRIX])
def test_no_canary_in_any_output(world, args, caplog, tmp_path):
    w, sso = world
    caplog.set_level(logging.DEBUG)
    env = _env(w)
    if args[0] == "explain" and args[1] == "no-sso-session":
        # a pasted error message full of secrets: explain must not echo them back
        args = ["explain", f'Could not connect to the endpoint URL: "http://admin:{w.canaries[-1]}@127.0.0.1:9/" '
                           f"Token for {w.tokens['valid'][0]} does not exist, profile user"]
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    outputs = {"stdout": result.stdout, "stderr": result.stderr, "log": caplog.text}
    if args[0] == "check":
        report = tmp_path / "report"
        again = CliRunner().invoke(app, [*args, "--output", str(report)], env=env, catch_exceptions=False)
        outputs.update({"--output file": report, "--output stderr": again.stderr})
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.stdout and "internal error" not in result.stderr, result.stderr
    issued = [c[k] for c in sso.state.issued for k in ("secretAccessKey", "sessionToken")]
    assert_no_canaries(w.canaries + issued, outputs)
    if args[:2] == ["check", "--all-profiles"] and "--format" in args and args[args.index("--format") + 1] != "markdown":
        # the start URL and the endpoints really are shown, masked
        assert "jdoe:****@" in result.stdout, result.stdout[:2000]
        assert "proxyuser:****@127.0.0.1:9" in result.stdout


def test_an_admin_error_naming_an_endpoint_is_masked(world):
    w, _ = world
    env = {**_env(w), "AWS_ENDPOINT_URL": None}  # the profile's endpoint_url is used only without it
    result = CliRunner().invoke(app, ["discover", "--profile", "admin-bad-endpoint"], env=env)
    assert result.exit_code == 2
    assert "admin:****@127.0.0.1:9" in result.stderr, result.stderr
    assert_no_canaries(w.canaries, {"stderr": result.stderr})


def test_the_credential_process_stderr_is_never_shown(world):
    w, _ = world
    for args in (["discover", "--profile", "admin-process"], ["triage", "--profile", "admin-process", *TRIAGE, "-v"]):
        result = CliRunner().invoke(app, args, env=_env(w))
        assert result.exit_code == 2, result.output
        assert "credential_process" in result.stderr and "helper failed" not in result.output


def test_a_verbose_internal_error_traceback_is_masked(world, monkeypatch, capsys):
    """The last line of defence: an unexpected exception whose text carries secrets (a URL password, a
    registered token, a field botocore logged) is printed with -v, masked."""
    import sys

    from sso_doctor import cli, runner
    from sso_doctor.redact import Secrets

    w, _ = world
    live = Secrets()  # a run's secrets, as the crashed run had registered them
    live.add(w.tokens["valid"][0])

    def crash(request):
        raise RuntimeError(f"boom http://u:{w.canaries[0]}@127.0.0.1:9 token {w.tokens['valid'][0]} "
                           f'{{"secretAccessKey": "{w.canaries[1]}"}}')

    monkeypatch.setattr(runner, "check", crash)
    monkeypatch.setattr(sys, "argv", ["sso-doctor", "check", "--offline", "-v"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "internal error (RuntimeError)" in err and "Traceback" in err
    assert "boom http://u:****@127.0.0.1:9" in err
    assert_no_canaries(w.canaries, {"stderr": err})
    del live
