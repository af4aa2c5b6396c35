"""No access token, refresh token, client secret or role credential ever leaves sso-doctor.

Every token situation is laid out in one fake HOME with unique canary values, plus a client
registration, another tool's file, a truncated file, and CLI-cached role credentials. Then `check`
and `sessions` run in every output mode, in-process (stdout, stderr, logs at DEBUG, --output file,
the report and facts' repr) and as a real subprocess, and no canary may appear anywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from canary import assert_no_canaries, find_canaries, new_canary
from sso_doctor.cli import app
from sso_doctor.loaders.token_cache import role_credentials_key
from sso_doctor.redact import MASK
from token_cases import ACCOUNT, CASES, ROLE, write_home, with_secrets
from conftest import windows_essentials

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    canaries: list[str] = []

    def make(label: str) -> str:
        canaries.append(new_canary(label))
        return canaries[-1]

    home = tmp_path_factory.mktemp("canary") / "home"
    cases = with_secrets(CASES, make)
    cache = write_home(home, cases, NOW)
    # A client registration, another tool's file and a truncated stray file, all holding secrets.
    (cache / "botocore-client-id-us-east-1.json").write_text(json.dumps(
        {"clientId": "client-x", "clientSecret": make("registration-secret"), "expiresAt": "2027-01-01T00:00:00Z",
         "scopes": ["sso:account:access"]}))
    (cache / "other-tool.json").write_text(json.dumps({"user": "me", "password": make("other-tool-password"),
                                                       "nested": {"apiToken": make("nested-token")}}))
    (cache / "stray.json").write_text('{"accessToken": "%s", "refreshToken": "%s' % (make("stray-access"),
                                                                                       make("stray-refresh")))
    # World-readable and foreign-owned files, so SSO207/SSO208 name files in their messages.
    for c in cases[:3]:
        if (cache / f"{c.key}.json").is_file():
            (cache / f"{c.key}.json").chmod(0o644)
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # only root can give a file away (CI runners are not root)
        os.chown(cache / "other-tool.json", 65534, -1)
    # Role credentials the CLI cached for an expired legacy profile (SSO211 fires).
    legacy = next(c for c in cases if c.name == "expired-legacy")
    cli_cache = home / ".aws" / "cli" / "cache"
    cli_cache.mkdir(parents=True)
    (cli_cache / f"{role_credentials_key(legacy.start_url, None, ACCOUNT, ROLE)}.json").write_text(json.dumps(
        {"ProviderType": "sso", "Credentials": {
            "AccessKeyId": "ASIA" + make("key-id"), "SecretAccessKey": make("secret-key"),
            "SessionToken": make("session-token"), "Expiration": "2026-11-26T13:00:00Z", "AccountId": ACCOUNT}}))
    # Keep the canaries that really were written (cases without a token file take none).
    files = {str(p): p for p in (home / ".aws").rglob("*.json") if p.is_file()}
    planted = [c for c in canaries if find_canaries([c], files, fragment=0)]
    return home, planted


def _env(home) -> dict[str, str]:
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z",
            **windows_essentials(home)}


# Offline: these canaries are about the token cache; tests/test_online_acceptance.py plants its own in
# online runs against local servers (here the online checks would reach for real AWS hosts).
COMMANDS = [
    ["check", "--offline", "--all-profiles"],
    ["check", "--offline", "--all-profiles", "-v"],
    ["check", "--offline", "--all-profiles", "-q"],
    ["check", "--offline", "--all-profiles", "--format", "json"],
    ["check", "--offline", "--all-profiles", "--format", "json", "-v"],
    ["check", "--offline", "--all-profiles", "--select", "SSO2", "-v"],
    ["check", "--offline", "--profile", "truncated-file", "-v"],
    ["sessions"],
    ["sessions", "--format", "json"],
]


def test_the_canaries_are_really_there(planted):
    """The helper finds them in the files themselves, so a clean result below means something."""
    home, canaries = planted
    labels = {c.rsplit("-", 1)[0] for c in canaries}
    assert labels == {f"cnry-{x}" for x in ("access", "refresh", "client-secret", "registration-secret",
                                             "other-tool-password", "nested-token", "stray-access",
                                             "stray-refresh", "key-id", "secret-key", "session-token")}
    assert len(canaries) > 30
    files = {str(p): p for p in (home / ".aws").rglob("*.json") if p.is_file()}
    with pytest.raises(AssertionError, match="leaked"):
        assert_no_canaries(canaries, files)


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_no_canary_in_any_in_process_output(planted, args, caplog, tmp_path):
    home, canaries = planted
    caplog.set_level(logging.DEBUG)
    env = {k: None for k in os.environ}
    env.update(_env(home))
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    outputs = {"stdout": result.stdout, "stderr": result.stderr, "log": caplog.text}
    if args[0] == "check":
        report = tmp_path / "report.out"
        again = CliRunner().invoke(app, [*args, "--output", str(report)], env=env, catch_exceptions=False)
        outputs["--output file"] = report
        outputs["--output stderr"] = again.stderr
    assert result.stdout.strip(), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert_no_canaries(canaries, outputs)
    # First line of defence: findings and rows never held a secret, so nothing needed masking.
    assert MASK not in result.stdout


def test_no_canary_in_subprocess_output(planted):
    home, canaries = planted
    outputs = {}
    for args in (["check", "--offline", "--all-profiles", "-v"], ["sessions", "-f", "json"]):
        proc = subprocess.run([sys.executable, "-m", "sso_doctor", *args], env=_env(home),
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode in (0, 1), proc.stderr
        assert "Traceback" not in proc.stderr
        outputs[f"{args} stdout"] = proc.stdout
        outputs[f"{args} stderr"] = proc.stderr
    assert_no_canaries(canaries, outputs)


def test_no_canary_in_facts_or_findings(planted):
    """The loader keeps no secret value: the facts and the report print clean even unredacted."""
    from sso_doctor import runner, sessions
    from sso_doctor.context import Context, RunSettings

    home, canaries = planted
    outcome = runner.check(runner.CheckRequest(all_profiles=True, offline=True, env=_env(home), now=NOW))
    ctx = outcome.context
    # Registered at load time, for the CLI's second line of defence. (The access key id is planted
    # behind an "ASIA" prefix, and the stray file's refresh token has no closing quote.)
    for c in canaries:
        if not c.startswith(("cnry-key-id", "cnry-stray-refresh")):
            assert ctx.secrets.redact(c) == MASK, c
    fresh = Context(RunSettings(all_profiles=True), env=_env(home), now=NOW)
    assert_no_canaries(canaries, {
        "report repr": repr(outcome.report),
        "token cache repr": repr(ctx.token_cache),
        "session rows repr": repr(sessions.rows(fresh)),
        "unredacted json": sessions.to_json(fresh, sessions.rows(fresh)),
    })
