"""The markdown (ticket) report replaces everything identifying, and never breaks a runnable command.

Covered here, each once missed: the legacy cache file name (SHA-1 of the start URL, reversible against a
list of company URLs), the `[sso-session acme-corp]` name SSO110 derives from the start URL, an email
address (in a profile or role-session name) replaced whole rather than half, account names from the
portal, and endpoint-override hosts. A command whose arguments were anonymised is not what to run any
more: it must be marked as needing an edit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re

from typer.testing import CliRunner

from fakes.sso_server import FakeSso
from sso_doctor.anonymize import Anonymizer
from sso_doctor.cli import app
from conftest import aws_v2_bin, windows_essentials

LEGACY_URL = "https://acme-corp-7731.awsapps.com/start"
EMAIL = "jdoe.7731@corp-7731.example"
ENDPOINT_HOST = "sso-gw.corp-7731.example"
STS_HOST = "sts-gw.corp-7731.example"
ACCOUNT_NAME = "acme-payments-7731"
PLACEHOLDER = re.compile(r"<(?:account|account-name|start-url|host|user|email|cache-key|sso-session)-[0-9a-f]{6}>")


def _env(home, **extra) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k != "AWS_EC2_METADATA_DISABLED"}
    env.update({"HOME": str(home), **windows_essentials(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "USER": "jdoe",
                "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z", **extra})
    return env


def _commands_are_honest(md: str) -> None:
    """Inside ```sh blocks, a line holding a placeholder comes right after `# edit before running:`."""
    for block in re.findall(r"```sh\n(.*?)```", md, flags=re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if PLACEHOLDER.search(line):
                assert i > 0 and lines[i - 1] == "# edit before running:", (line, block)


def test_offline_identifiers_are_all_replaced(tmp_path):
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        f"[profile {EMAIL}]\nsso_start_url = {LEGACY_URL}\nsso_region = us-east-1\n"
        f"sso_account_id = 210987654321\nsso_role_name = Admin\nregion = us-east-1\n"
        f"endpoint_url = https://{ENDPOINT_HOST}\n")
    # an AWS CLI v2 on PATH: the login command is then runnable as printed, unless anonymising changed it
    env = _env(home, AWS_PROFILE=EMAIL, AWS_ENDPOINT_URL_STS=f"https://{STS_HOST}",
               PATH=f"{aws_v2_bin(tmp_path / 'bin')}:/usr/bin:/bin", SSO_DOCTOR_ROOT=str(tmp_path / "no-root"))
    result = CliRunner().invoke(app, ["check", "--offline", "--format", "markdown"], env=env)
    md = result.stdout
    assert result.exit_code == 1, result.output
    assert "SSO110" in md and "SSO201" in md and "SSO119" in md  # the findings that show them
    legacy_key = hashlib.sha1(LEGACY_URL.encode()).hexdigest()
    for identifying in (LEGACY_URL, "acme-corp-7731", legacy_key, EMAIL, "jdoe.7731", "corp-7731", ENDPOINT_HOST,
                        STS_HOST, "210987654321"):
        assert identifying not in md, identifying
    assert "<cache-key-" in md and "<email-" in md and "<sso-session-" in md and "<host-" in md
    _commands_are_honest(md)
    # the same run without anonymising shows them all (so the test above can fail)
    plain = CliRunner().invoke(app, ["check", "--offline", "--format", "markdown", "--no-redact"], env=env).stdout
    assert all(x in plain for x in (legacy_key, "acme-corp-7731", EMAIL, ENDPOINT_HOST))
    assert "# edit before running:\naws sso login" not in plain


def test_account_names_from_the_portal_are_replaced(tmp_path):
    token = "cnry-anon-token-0123456789abcdef0123"
    with FakeSso() as fake:
        fake.add_token(token, {"111111111111": (ACCOUNT_NAME, ["Admin"])})
        home = tmp_path / "home"
        cache = home / ".aws" / "sso" / "cache"
        cache.mkdir(parents=True)
        (home / ".aws" / "config").write_text(
            f"[sso-session corp]\nsso_start_url = {fake.url}/start\nsso_region = us-east-1\n"
            "sso_registration_scopes = sso:account:access\n\n[profile dev]\nsso_session = corp\n"
            "sso_account_id = 222222222222\nsso_role_name = Admin\nregion = us-east-1\n")
        expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (cache / (hashlib.sha1(b"corp").hexdigest() + ".json")).write_text(json.dumps(
            {"startUrl": f"{fake.url}/start", "region": "us-east-1", "accessToken": token, "expiresAt": expires}))
        env = _env(home, AWS_PROFILE="dev", AWS_ENDPOINT_URL_SSO=fake.url, AWS_ENDPOINT_URL_SSO_OIDC=fake.url,
                   AWS_ENDPOINT_URL_STS="http://127.0.0.1:9", SSO_DOCTOR_NOW=None)
        md = CliRunner().invoke(app, ["check", "--select", "SSO6", "--format", "markdown", "--timeout", "5"],
                                env=env).stdout
        plain = CliRunner().invoke(app, ["check", "--select", "SSO6", "--format", "markdown", "--no-redact",
                                         "--timeout", "5"], env=env).stdout
    assert "SSO602" in md and ACCOUNT_NAME in plain  # the name really is in the report
    assert ACCOUNT_NAME not in md and "111111111111" not in md and "<account-name-" in md
    assert token not in md + plain
    _commands_are_honest(md)


def test_an_email_in_a_role_session_name_is_replaced_whole():
    anon = Anonymizer(key=b"k" * 32)
    anon.add("user", "jdoe")
    text = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123abcd/jdoe@example.com"
    out = anon.apply(text)
    assert "jdoe" not in out and "example.com" not in out and "<email-" in out
    assert out == anon.apply(text)  # stable


def test_cache_file_names_of_every_kind_are_replaced():
    anon = Anonymizer(key=b"k" * 32)
    key = hashlib.sha1(b"https://acme.awsapps.com/start").hexdigest()
    out = anon.apply(f"botocore looks for ~/.aws/sso/cache/{key}.json")
    assert key not in out and "<cache-key-" in out
