"""The fake portal/OIDC server speaks the real wire format: botocore's own clients and providers agree."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import botocore.exceptions
import botocore.session
import pytest

from fakes.sso_server import FakeSso


@pytest.fixture
def fake():
    with FakeSso() as server:
        yield server


def _client(service, url):
    session = botocore.session.Session()
    return session.create_client(service, region_name="us-east-1", endpoint_url=url)


def test_portal_lists_paginate_and_errors_parse(fake):
    fake.add_token("tok", {"111111111111": ("dev", ["ReadOnly", "Admin", "Billing"]),
                           "222222222222": ("prod", ["ReadOnly"]), "333333333333": ("log", ["Audit"])})
    sso = _client("sso", fake.url)
    accounts = [a for page in sso.get_paginator("list_accounts").paginate(accessToken="tok") for a in page["accountList"]]
    assert [a["accountId"] for a in accounts] == ["111111111111", "222222222222", "333333333333"]
    roles = [r["roleName"] for page in sso.get_paginator("list_account_roles").paginate(
        accessToken="tok", accountId="111111111111") for r in page["roleList"]]
    assert roles == ["ReadOnly", "Admin", "Billing"]
    creds = sso.get_role_credentials(accessToken="tok", accountId="111111111111", roleName="Admin")["roleCredentials"]
    assert creds["accessKeyId"].startswith("ASIA") and creds["expiration"] > 0

    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.list_accounts(accessToken="nope")
    with pytest.raises(botocore.exceptions.ClientError) as forbidden:
        sso.get_role_credentials(accessToken="tok", accountId="111111111111", roleName="Nope")
    assert forbidden.value.response["Error"]["Code"] == "ForbiddenException"
    assert forbidden.value.response["Error"]["Message"] == "No access"
    fake.state.throttle = True
    with pytest.raises(sso.exceptions.TooManyRequestsException):
        sso.list_accounts(accessToken="tok")


def test_oidc_refresh_and_invalid_grant(fake):
    fake.add_refresh_token("rt-1", "cid", "csecret")
    oidc = _client("sso-oidc", fake.url)
    out = oidc.create_token(grantType="refresh_token", clientId="cid", clientSecret="csecret", refreshToken="rt-1")
    assert out["accessToken"].startswith("fake-access-") and out["expiresIn"] == 3600
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token(grantType="refresh_token", clientId="cid", clientSecret="csecret", refreshToken="rt-1")


def test_botocore_sso_provider_gets_credentials_from_the_fake(fake, tmp_path, monkeypatch):
    """botocore's real SSO credential provider, routed here by AWS_ENDPOINT_URL_SSO, works end to end."""
    fake.add_token("tok-legacy", {"111111111111": ("dev", ["Admin"])})
    start_url = "https://d-1234567890.awsapps.com/start"
    config = tmp_path / "config"
    config.write_text(f"[profile dev]\nsso_start_url = {start_url}\nsso_region = us-east-1\n"
                      "sso_account_id = 111111111111\nsso_role_name = Admin\n")
    cache = tmp_path / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (cache / (hashlib.sha1(start_url.encode()).hexdigest() + ".json")).write_text(json.dumps(
        {"startUrl": start_url, "region": "us-east-1", "accessToken": "tok-legacy", "expiresAt": expires}))
    for k in list(__import__("os").environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", fake.url)
    from botocore.credentials import SSOProvider

    monkeypatch.setattr(SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    session = botocore.session.Session(profile="dev")
    creds = session.get_credentials().get_frozen_credentials()
    assert creds.access_key.startswith("ASIA")
    assert "/federation/credentials" in fake.paths()
