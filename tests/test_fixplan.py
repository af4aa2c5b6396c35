"""One fix plan, and `$` commands that are right as printed (#13.3, #13.4).

The scenarios fixtures/fixplan-* hold the fix plans; here the `$` commands they print are run for real
in `sh` (HOME is the scenario's temporary home, never the developer's), and the check is run again:
what the plan promised must then hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import aws_v2_bin, windows_essentials
from scenarios import all_scenarios, prepare
from test_scenarios import PLACEHOLDER, run_cli

from sso_doctor.context import Context, RunSettings

SCENARIOS = {s.name: s for s in all_scenarios()}

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="runs the printed `$` commands in a POSIX sh; on Windows "
                                                                "they are rendered for PowerShell")


def _check(sc, tmp_path, extra_env=None):
    prepared = prepare(sc, tmp_path)
    env = {**prepared.env, **(extra_env or {})}
    if not sys.platform.startswith("linux"):
        # the fixplan scenarios describe Linux (no DISPLAY is headless there, not on a Mac); the `$` commands
        # still run in this host's own sh
        env.setdefault("SSO_DOCTOR_PLATFORM", "linux")
    doc = json.loads(run_cli(prepared.args, env).stdout)
    return prepared, doc


def _run_safe(commands: list[dict], home, also: str = "") -> subprocess.CompletedProcess:
    """The `$` commands, in order, in one POSIX shell (exports carry on to `also`)."""
    script = " && ".join([c["command"] for c in commands if c["safe"]] + ([also] if also else []))
    return subprocess.run(["sh", "-c", script], env={"HOME": str(home), "PATH": os.defpath},
                          capture_output=True, text=True, timeout=30, check=False)


def test_corporate_proxy_plan_fixes_sso305_without_tripping_sso306(tmp_path):
    sc = SCENARIOS["fixplan-corporate-proxy"]
    prepared, doc = _check(sc, tmp_path)
    (f,) = [f for f in doc["findings"] if f["rule_id"] == "SSO305"]
    commands = f["fix"]["commands"]
    assert all(c["safe"] for c in commands), commands
    done = _run_safe(commands, prepared.home, also='printf %s "$AWS_CA_BUNDLE"')
    assert done.returncode == 0, done.stderr
    bundle = done.stdout
    assert bundle == str(prepared.home / ".aws" / "ca-bundle.pem")
    # the new bundle: certifi's public roots first, then the corporate root
    text = Path(bundle).read_text()
    corp = (prepared.home / "certs" / "corp-root.pem").read_text()
    assert text.endswith(corp) and text.count("BEGIN CERTIFICATE") > 100
    # with the variable the plan exported, SSO305 and SSO306 both pass (AWS_CA_BUNDLE=$SSL_CERT_FILE,
    # the old advice, makes SSO306 fire: checked too)
    args = [a for a in prepared.args if a != "SSO3"] + ["SSO305", "--select", "SSO306"]
    after = json.loads(run_cli(args, {**prepared.env, "AWS_CA_BUNDLE": bundle}).stdout)
    assert {r["id"]: r["status"] for r in after["rules"] if r["id"] in ("SSO305", "SSO306")} == {
        "SSO305": "passed", "SSO306": "passed"}
    old = json.loads(run_cli(args, {**prepared.env, "AWS_CA_BUNDLE": prepared.env["SSL_CERT_FILE"]}).stdout)
    assert [g["rule_id"] for g in old["findings"]] == ["SSO306"]


def test_sso306_plan_names_certifi_by_its_path(tmp_path):
    sc = SCENARIOS["sso306-corporate-root-only"]
    prepared, doc = _check(sc, tmp_path)
    (f,) = [f for f in doc["findings"] if f["rule_id"] == "SSO306"]
    assert not any("python3 -m certifi" in c["command"] for c in f["fix"]["commands"])
    done = _run_safe(f["fix"]["commands"], prepared.home, also='printf %s "$AWS_CA_BUNDLE"')
    assert done.returncode == 0, done.stderr
    args = [a for a in prepared.args]
    after = json.loads(run_cli(args, {**prepared.env, "AWS_CA_BUNDLE": done.stdout}).stdout)
    assert not after["findings"]


@pytest.mark.parametrize("name", ["sso207-world-readable-token", "sso207-open-empty-cache"])
def test_sso207_chmod_runs_as_printed_even_on_an_empty_cache(tmp_path, name):
    prepared, doc = _check(SCENARIOS[name], tmp_path)
    (f,) = [f for f in doc["findings"] if f["rule_id"] == "SSO207"]
    assert "*" not in f["fix"]["commands"][0]["command"]
    done = _run_safe(f["fix"]["commands"], prepared.home)
    assert done.returncode == 0, done.stderr
    after = json.loads(run_cli(prepared.args, prepared.env).stdout)
    assert not [g for g in after["findings"] if g["rule_id"] == "SSO207"]


def test_headless_plan_uses_one_login_command_per_session(tmp_path):
    _, doc = _check(SCENARIOS["fixplan-headless-ssh"], tmp_path)
    logins = sorted({c["command"] for f in doc["findings"] for c in f["fix"]["commands"] if "sso login" in c["command"]})
    assert logins == ["aws sso login --use-device-code --sso-session corp",
                      "aws sso login --use-device-code --sso-session data"]
    assert {f["rule_id"] for f in doc["findings"]} == {"SSO122", "SSO201", "SSO202", "SSO406"}
    # SSO205's expired registration is evidence of SSO202, not a finding of its own
    (expired,) = [f for f in doc["findings"] if f["rule_id"] == "SSO202"]
    assert expired["evidence"]["registration_expires_at"] == "2026-11-01T00:00:00Z"
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["SSO205"]["status"] == "skipped" and "SSO202" in rules["SSO205"]["reason"]


def test_near_miss_with_a_display_logs_in_with_the_browser(tmp_path):
    """The same machine with a local display and no SSH: no --use-device-code anywhere."""
    sc = SCENARIOS["fixplan-headless-ssh"]
    prepared = prepare(sc, tmp_path)
    env = {k: v for k, v in prepared.env.items() if k != "SSH_CONNECTION"} | {"DISPLAY": ":0"}
    doc = json.loads(run_cli(prepared.args, env).stdout)
    logins = {c["command"] for f in doc["findings"] for c in f["fix"]["commands"] if "sso login" in c["command"]}
    assert logins == {"aws sso login --sso-session corp", "aws sso login --sso-session data"}
    assert "SSO406" not in {f["rule_id"] for f in doc["findings"]}


def test_login_command_selector(tmp_path):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[profile dev]\nsso_session = corp\n\n[profile old]\nsso_start_url = https://x.awsapps.com/start\n"
        "sso_region = us-east-1\n\n[profile lost]\nsso_session = nope\n\n"
        "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n")
    ctx = Context(RunSettings(), env={"HOME": str(home), "PATH": "/nonexistent", **windows_essentials(home)})
    assert ctx.login_command(profile="dev").args == ("aws", "sso", "login", "--sso-session", "corp")
    assert ctx.login_command(profile="old").args == ("aws", "sso", "login", "--profile", "old")
    assert ctx.login_command(profile="lost").args == ("aws", "sso", "login", "--profile", "lost")
    assert ctx.login_command(sso_session="corp").args == ("aws", "sso", "login", "--sso-session", "corp")
    assert ctx.headless_login is False  # no aws on PATH: no flag it may not know
    # and no `$`: `aws sso login` needs an AWS CLI v2, which this PATH does not have
    assert not ctx.login_command(profile="dev").safe and "AWS CLI v2" in (ctx.login_command(profile="dev").comment or "")
    with_v2 = Context(RunSettings(), env={"HOME": str(home), "PATH": str(aws_v2_bin(tmp_path / "bin")),
                                          "SSO_DOCTOR_ROOT": str(tmp_path / "no-root"), **windows_essentials(home)})
    assert with_v2.login_command(profile="dev").safe and with_v2.login_command(profile="dev").comment is None


@pytest.mark.parametrize("text, hit", [
    ("aws configure set region <region> --profile dev", True),
    ("https://<your-subdomain>.awsapps.com/start", True),
    ("export HTTPS_PROXY=http://<user>:<password>@proxy:8080", True),
    ("cat a - > \"$HOME/x\" <<'EOF'\n-----BEGIN CERTIFICATE-----", False),
    ("aws sso login --sso-session corp 2>&1", False),
])
def test_placeholder_pattern(text, hit):
    assert bool(PLACEHOLDER.search(text)) is hit


@pytest.mark.skipif(not __import__("shutil").which("openssl"), reason="needs the openssl command")
def test_sso304_der_plan_builds_a_bundle_with_public_roots(tmp_path):
    """The DER certificate converted and appended to certifi's roots: SSO304 and SSO306 both pass."""
    sc = SCENARIOS["sso304-der-bundle"]
    prepared, doc = _check(sc, tmp_path)
    (f,) = [f for f in doc["findings"] if f["rule_id"] == "SSO304"]
    done = _run_safe(f["fix"]["commands"], prepared.home, also='printf %s "$AWS_CA_BUNDLE"')
    assert done.returncode == 0, done.stderr
    args = [a for a in prepared.args if not a.startswith("SSO30")] + ["SSO304", "--select", "SSO306"]
    after = json.loads(run_cli(args, {**prepared.env, "AWS_CA_BUNDLE": done.stdout}).stdout)
    assert after["findings"] == [] and {r["status"] for r in after["rules"] if r["id"] in ("SSO304", "SSO306")} == {
        "passed"}
