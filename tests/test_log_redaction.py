"""Secrets never reach a log record, whoever logs them (botocore logs request headers at DEBUG)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os

from typer.testing import CliRunner

from fakes.sso_server import FakeSso
from sso_doctor.cli import app
from sso_doctor.redact import MASK, Secrets
from conftest import windows_essentials

TOKEN = "cnry-log-token-5b1e0c7a9d2f4e6b8a0c"


def test_a_registered_secret_is_masked_in_any_logger(caplog):
    caplog.set_level(logging.DEBUG)
    secrets = Secrets()
    secrets.add(TOKEN)
    logging.getLogger("botocore.endpoint").debug("Making request with params: %s",
                                                 {"headers": {"x-amz-sso_bearer_token": TOKEN}})
    logging.getLogger("somebody.else").warning("failed: %s", TOKEN)
    assert TOKEN not in caplog.text
    assert caplog.text.count(MASK) == 2


def test_online_check_logs_no_token_at_debug(tmp_path, caplog):
    """A real online run (portal and OIDC on 127.0.0.1) with every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    with FakeSso() as fake:
        fake.add_token(TOKEN, {"111111111111": ("dev", ["Admin"])})
        home = tmp_path / "home"
        (home / ".aws" / "sso" / "cache").mkdir(parents=True)
        (home / ".aws" / "config").write_text(
            f"[sso-session corp]\nsso_start_url = {fake.url}/start\nsso_region = us-east-1\n"
            "sso_registration_scopes = sso:account:access\n\n"
            "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n"
            "region = us-east-1\n")
        expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")).write_text(json.dumps(
            {"startUrl": f"{fake.url}/start", "region": "us-east-1", "accessToken": TOKEN, "expiresAt": expires}))
        env = {k: None for k in os.environ if k.startswith("AWS_") and k != "AWS_EC2_METADATA_DISABLED"}
        env.update({"HOME": str(home), **windows_essentials(home), "AWS_PROFILE": "dev", "AWS_ENDPOINT_URL_SSO": fake.url,
                    "AWS_ENDPOINT_URL_SSO_OIDC": fake.url, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"})
        result = CliRunner().invoke(app, ["check", "--select", "SSO6", "-v", "--timeout", "5"], env=env)
        assert "/assignment/accounts" in fake.paths()  # the token really was used
    assert TOKEN not in result.output
    assert TOKEN not in caplog.text
    assert "x-amz-sso_bearer_token" in caplog.text  # botocore did log the headers, masked


def test_redact_all_masks_secrets_of_every_live_run():
    from sso_doctor.redact import redact_all

    a, b = Secrets(), Secrets()
    a.add("first-secret-7c1d")
    b.add("second-secret-9e2f")
    assert redact_all("x first-secret-7c1d y second-secret-9e2f z") == f"x {MASK} y {MASK} z"
