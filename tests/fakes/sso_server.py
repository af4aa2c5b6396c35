"""A wire-compatible fake of the AWS SSO portal and SSO-OIDC APIs, served on 127.0.0.1.

moto implements neither service. botocore's `sso` and `sso-oidc` clients (and so botocore's own SSO
credential and token providers) talk to this server when `AWS_ENDPOINT_URL_SSO` /
`AWS_ENDPOINT_URL_SSO_OIDC` (or the client's endpoint_url) point at it. It answers with the same
paths, headers and bodies as AWS (rest-json, errors named by `x-amzn-ErrorType`), records every
request, and can be told to fail like AWS does.

    with FakeSso() as fake:
        fake.add_token("tok-1", accounts={"111111111111": ("dev", ["ReadOnly", "Admin"])})
        env["AWS_ENDPOINT_URL_SSO"] = fake.url
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.serving import Served


@dataclass
class Account:
    account_id: str
    name: str
    roles: list[str]
    email: str = "owner@example.com"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class FakeState:
    # access token -> the accounts it can see
    tokens: dict[str, dict[str, Account]] = field(default_factory=dict)
    # refresh token -> (client id, client secret) that may redeem it
    refresh_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    # "No access" for these (account id, role) pairs although the role is listed
    forbidden: set[tuple[str, str]] = field(default_factory=set)
    # Force every portal call to answer 429 TooManyRequestsException
    throttle: bool = False
    page_size: int = 2
    # Put the presented bearer token into UnauthorizedException messages (a hostile or buggy server):
    # proves clients keep it out of their output.
    echo_token_in_errors: bool = False
    # role credentials handed out, so tests can prove they never appear in any output
    issued: list[dict[str, Any]] = field(default_factory=list)
    issued_expiry_seconds: int = 3600
    requests: list[Recorded] = field(default_factory=list)
    # Start URLs of the Identity Center instances that live in this (the fake's) region. None: every
    # start URL does. StartDeviceAuthorization for any other answers InvalidRequestException, as AWS does
    # when sso_region is not the instance's home region.
    home_start_urls: set[str] | None = None
    registered_clients: dict[str, str] = field(default_factory=dict)


class FakeSso(Served):
    """The fake server. Use as a context manager; `url` is its base URL."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.state = FakeState()
        state = self.state
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def _record(self, body: dict[str, Any] | None) -> Recorded:
                parts = urlsplit(self.path)
                rec = Recorded(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                with lock:
                    state.requests.append(rec)
                return rec

            def _send(self, status: int, payload: dict[str, Any], error_type: str | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", secrets.token_hex(16))
                if error_type:
                    self.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/")
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, error_type: str, message: str) -> None:
                self._send(status, {"message": message}, error_type)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                rec = self._record(None)
                if state.throttle:
                    return self._error(429, "TooManyRequestsException", "Rate exceeded")
                token = self.headers.get("x-amz-sso_bearer_token")
                accounts = state.tokens.get(token or "")
                if accounts is None:
                    suffix = f" (token {token})" if state.echo_token_in_errors else ""
                    return self._error(401, "UnauthorizedException", "Session token not found or invalid" + suffix)
                q = {k: v[0] for k, v in rec.query.items()}
                if rec.path == "/assignment/accounts":
                    items = [
                        {"accountId": a.account_id, "accountName": a.name, "emailAddress": a.email}
                        for a in accounts.values()
                    ]
                    return self._page(items, "accountList", q)
                if rec.path == "/assignment/roles":
                    acct = accounts.get(q.get("account_id", ""))
                    if acct is None:
                        return self._error(403, "ForbiddenException", "No access")
                    items = [{"roleName": r, "accountId": acct.account_id} for r in acct.roles]
                    return self._page(items, "roleList", q)
                if rec.path == "/federation/credentials":
                    acct = accounts.get(q.get("account_id", ""))
                    role = q.get("role_name", "")
                    if acct is None or role not in acct.roles or (acct.account_id, role) in state.forbidden:
                        return self._error(403, "ForbiddenException", "No access")
                    creds = {
                        "accessKeyId": "ASIA" + secrets.token_hex(8).upper(),
                        "secretAccessKey": secrets.token_urlsafe(30),
                        "sessionToken": secrets.token_urlsafe(60),
                        "expiration": int((time.time() + 3600) * 1000),
                    }
                    with lock:
                        state.issued.append(creds)
                    return self._send(200, {"roleCredentials": creds})
                return self._error(404, "ResourceNotFoundException", f"No route for {rec.path}")

            def _page(self, items: list[dict[str, Any]], key: str, q: dict[str, str]) -> None:
                start = int(q.get("next_token") or 0)
                size = min(int(q.get("max_result") or state.page_size), state.page_size)
                page = items[start:start + size]
                payload: dict[str, Any] = {key: page}
                if start + size < len(items):
                    payload["nextToken"] = str(start + size)
                self._send(200, payload)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                rec = self._record(body)
                if rec.path == "/token":
                    return self._create_token(body)
                if rec.path == "/logout":
                    return self._send(200, {})
                if rec.path == "/client/register":
                    return self._register_client(body)
                if rec.path == "/device_authorization":
                    return self._start_device_authorization(body)
                return self._error(404, "ResourceNotFoundException", f"No route for {rec.path}")

            def _register_client(self, body: dict[str, Any]) -> None:
                if not body.get("clientName") or body.get("clientType") != "public":
                    return self._send(400, {"error": "invalid_request"}, "InvalidRequestException")
                client_id, client_secret = "fake-client-" + secrets.token_hex(8), "fake-secret-" + secrets.token_hex(16)
                with lock:
                    state.registered_clients[client_id] = client_secret
                now = int(time.time())
                return self._send(200, {"clientId": client_id, "clientSecret": client_secret, "clientIdIssuedAt": now,
                                        "clientSecretExpiresAt": now + 90 * 86400})

            def _start_device_authorization(self, body: dict[str, Any]) -> None:
                if state.registered_clients.get(body.get("clientId", "")) != body.get("clientSecret"):
                    return self._send(401, {"error": "invalid_client"}, "InvalidClientException")
                url = body.get("startUrl", "")
                if state.home_start_urls is not None and url not in state.home_start_urls:
                    # AWS answers with an empty message here: users see "...StartDeviceAuthorization operation: "
                    return self._send(400, {"error": "invalid_request"}, "InvalidRequestException")
                return self._send(200, {"deviceCode": "fake-device-" + secrets.token_hex(16),
                                        "userCode": "ABCD-EFGH", "verificationUri": "https://device.sso.example/",
                                        "verificationUriComplete": "https://device.sso.example/?user_code=ABCD-EFGH",
                                        "expiresIn": 600, "interval": 1})

            def _create_token(self, body: dict[str, Any]) -> None:
                if body.get("grantType") != "refresh_token":
                    return self._send(400, {"error": "unsupported_grant_type"}, "UnsupportedGrantTypeException")
                client = state.refresh_tokens.get(body.get("refreshToken", ""))
                if client is None:
                    return self._send(400, {"error": "invalid_grant", "error_description": "Invalid refresh token provided"},
                                      "InvalidGrantException")
                if client != (body.get("clientId"), body.get("clientSecret")):
                    return self._send(401, {"error": "invalid_client", "error_description": "Invalid client"},
                                      "InvalidClientException")
                old = body["refreshToken"]
                new_access = "fake-access-" + secrets.token_hex(12)
                new_refresh = "fake-refresh-" + secrets.token_hex(12)
                with lock:
                    # a refreshed token sees what the token issued with the old refresh token saw
                    seen = next(iter(state.tokens.values()), {})
                    state.tokens[new_access] = dict(seen)
                    state.refresh_tokens[new_refresh] = client
                    state.refresh_tokens.pop(old, None)
                return self._send(200, {
                    "accessToken": new_access,
                    "tokenType": "Bearer",
                    "expiresIn": state.issued_expiry_seconds,
                    "refreshToken": new_refresh,
                })

        server = ThreadingHTTPServer((host, 0), Handler)
        server.daemon_threads = True
        self._serve(server)

    # --- set-up helpers ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_token(self, access_token: str, accounts: dict[str, tuple[str, list[str]]]) -> None:
        """Make `access_token` valid, seeing these accounts: {account id: (name, [role names])}."""
        self.state.tokens[access_token] = {
            acct: Account(acct, name, list(roles)) for acct, (name, roles) in accounts.items()
        }

    def add_refresh_token(self, refresh_token: str, client_id: str, client_secret: str) -> None:
        self.state.refresh_tokens[refresh_token] = (client_id, client_secret)

    def revoke(self, access_token: str) -> None:
        self.state.tokens.pop(access_token, None)

    def paths(self) -> list[str]:
        return [r.path for r in self.state.requests]
