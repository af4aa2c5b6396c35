"""moto's server, with the sso-admin provisioning-status calls it lacks answered as AWS answers them.

moto 5 ignores `ProvisioningStatus` in ListAccountsForProvisionedPermissionSet (so every provisioned
account would look outdated) and has no ListAccountAssignmentCreationStatus or
ListPermissionSetProvisioningStatus. This server sits in front of moto on 127.0.0.1: those operations
(JSON 1.1, `X-Amz-Target: SWBExternalService.<Operation>`) are answered from state the test sets, in
the wire format of the real API; every other request is relayed to moto unchanged.

    with AdminShim(moto_url) as shim:
        shim.stale[ps_arn] = {"123456789012"}
        env["AWS_ENDPOINT_URL"] = shim.url
"""

from __future__ import annotations

import http.client
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from fakes.serving import Served

TARGET = "SWBExternalService."


class AdminShim(Served):
    def __init__(self, moto_url: str) -> None:
        # permission set ARN -> accounts where an older version is provisioned
        self.stale: dict[str, set[str]] = {}
        # DescribeAccountAssignmentCreationStatus / DescribePermissionSetProvisioningStatus records
        self.creation_requests: list[dict[str, Any]] = []
        self.provisioning_requests: list[dict[str, Any]] = []
        self.calls: list[str] = []
        upstream = urlsplit(moto_url)
        shim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                op = (self.headers.get("X-Amz-Target") or "").removeprefix(TARGET)
                shim.calls.append(op)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                answer = shim._answer(op, body)
                if answer is None:
                    return self._relay("POST", raw)
                status, payload, error = answer
                self._send(status, payload, error)

            def do_GET(self) -> None:  # noqa: N802
                self._relay("GET", b"")

            def _send(self, status: int, payload: dict[str, Any], error: str | None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                if error:
                    self.send_header("x-amzn-ErrorType", error)
                self.end_headers()
                self.wfile.write(data)

            def _relay(self, method: str, raw: bytes) -> None:
                conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                conn.request(method, self.path, body=raw or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._serve(server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answer(self, op: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], str | None] | None:
        if op == "ListAccountsForProvisionedPermissionSet" and body.get("ProvisioningStatus"):
            if body["ProvisioningStatus"] == "LATEST_PERMISSION_SET_NOT_PROVISIONED":
                return 200, {"AccountIds": sorted(self.stale.get(body.get("PermissionSetArn", ""), set()))}, None
            return None  # LATEST_PERMISSION_SET_PROVISIONED: moto's unfiltered answer is close enough
        for listing, describe, records, list_key, describe_key, id_key in (
            ("ListAccountAssignmentCreationStatus", "DescribeAccountAssignmentCreationStatus",
             self.creation_requests, "AccountAssignmentsCreationStatus", "AccountAssignmentCreationStatus",
             "AccountAssignmentCreationRequestId"),
            ("ListPermissionSetProvisioningStatus", "DescribePermissionSetProvisioningStatus",
             self.provisioning_requests, "PermissionSetsProvisioningStatus", "PermissionSetProvisioningStatus",
             "ProvisionPermissionSetRequestId"),
        ):
            if op == listing:
                wanted = (body.get("Filter") or {}).get("Status")
                items = [{"Status": r["Status"], "RequestId": r["RequestId"], "CreatedDate": r.get("CreatedDate", 0)}
                         for r in records if wanted in (None, r["Status"])]
                return 200, {list_key: items}, None
            if op == describe:
                for r in records:
                    if r["RequestId"] == body.get(id_key):
                        return 200, {describe_key: r}, None
                return 400, {"message": "Request not found"}, "ResourceNotFoundException"
        return None
