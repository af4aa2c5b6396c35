"""`check --format markdown`: a ticket-ready report with stable placeholders and nothing secret."""

from __future__ import annotations

import os
import subprocess
import sys

CANARY_ACCOUNT = "987654321098"
CANARY_URL = "https://canary-org-7731.awsapps.com/start"
CANARY_VANITY = "https://sso.canarycorp-7731.example/start"
CANARY_USER = "canaryuser7731"
CANARY_PROXY_USER = "proxyuser7731"
CANARY_PROXY_PASSWORD = "proxypass7731"
CANARY_SECRET = "secretkey7731abcdefghijklmnop"


def _setup(tmp_path):
    home = tmp_path / CANARY_USER
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[sso-session corp]\n"
        f"sso_start_url = {CANARY_URL}\n"
        "sso_region = us-east-1\n\n"
        "[profile dev]\n"
        "sso_session = corp\n"
        f"sso_account_id = {CANARY_ACCOUNT}\n"
        "sso_role_name = Admin\n"
        "region = us-east-1 # prod\n\n"
        "[profile vanity]\n"
        f"sso_start_url = {CANARY_VANITY}\n"
        "sso_region = eu-west-1\n"
        f"sso_account_id = {CANARY_ACCOUNT}\n"
        "sso_role_name = Admin\n"
    )
    env = {
        "HOME": str(home), "USER": CANARY_USER, "PATH": str(tmp_path), "AWS_PROFILE": "dev",
        "HTTPS_PROXY": f"http://{CANARY_PROXY_USER}:{CANARY_PROXY_PASSWORD}@proxy.corp-7731.example:3128",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE7731", "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
        "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z", "LANG": "C.UTF-8",
    }
    return env


def _run(env, *args):
    out = subprocess.run([sys.executable, "-m", "sso_doctor", "check", "--offline", "--format", "markdown", *args],
                         env=env, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in out.stderr
    return out


def test_markdown_has_environment_findings_and_fixes(tmp_path):
    out = _run(_setup(tmp_path))
    md = out.stdout
    assert out.returncode == 1
    for heading in ("## sso-doctor report", "| AWS CLI | not found on PATH |", "| Proxy in use | yes (HTTPS_PROXY) |",
                    "| Profile | dev (from AWS_PROFILE) |", "### Findings", "SSO301", "SSO115", "```sh"):
        assert heading in md, heading


def test_no_canary_leaks_and_placeholders_are_stable(tmp_path):
    env = _setup(tmp_path)
    first, second = _run(env).stdout, _run(env).stdout
    for canary in (CANARY_ACCOUNT, CANARY_URL, "canary-org-7731", CANARY_VANITY, "canarycorp-7731", CANARY_USER,
                   CANARY_PROXY_USER, CANARY_PROXY_PASSWORD, CANARY_SECRET, "corp-7731", os.uname().nodename):
        assert canary not in first, canary
    assert first == second  # same machine, same placeholders
    assert "<start-url-" in first and "<user-" in first


def test_redaction_can_be_turned_off_and_secrets_stay_masked(tmp_path):
    """The control: without --redact the identifiers appear (so the test above can fail); secrets never do."""
    md = _run(_setup(tmp_path), "--no-redact").stdout
    assert CANARY_VANITY in md and CANARY_PROXY_USER in md and "corp-7731" in md
    assert CANARY_PROXY_PASSWORD not in md and CANARY_SECRET not in md


def test_text_report_is_not_anonymised_by_default(tmp_path):
    env = _setup(tmp_path)
    out = subprocess.run([sys.executable, "-m", "sso_doctor", "check", "--offline", "--select", "SSO1"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert "<user-" not in out.stdout and "<start-url-" not in out.stdout
