"""Hostile servers on 127.0.0.1 cost bounded memory and time, and the bearer token never follows a redirect.

The real CLI (`python -m sso_doctor check --timeout 2`, a subprocess) runs with the OIDC endpoint,
the portal endpoint and the start URL all on one hostile server, and a usable cached token, so the
network probes (SSO5xx) and botocore's `sso` client (ListAccounts with the bearer token) both meet
it. The child's peak RSS comes from os.wait4 and its wall time from the clock: before bounded reads,
an endless portal body took the process past 2 GB within a 3 s budget.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import online_world as w
import pytest

from tests.adversarial.hostile import HostileServer

TIMEOUT = 2.0
# Interpreter start, imports and `aws --version` on a loaded 2-core CI machine, on top of --timeout.
SLACK = 5.0
# A plain online run peaks at ~50 MiB; an unbounded read of the endless body passes 2 GB.
MAX_RSS_MIB = 160


def run_cli(home: Path, env: dict[str, str]) -> tuple[int, float, float, dict, str]:
    """(exit code, wall seconds, peak RSS MiB, JSON report, stderr) of one real CLI run."""
    cmd = [sys.executable, "-m", "sso_doctor", "check", "--format", "json", "--timeout", str(TIMEOUT)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=w.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()  # type: ignore[union-attr]
    proc.stderr.close()  # type: ignore[union-attr]
    doc = json.loads(out) if out.strip().startswith(b"{") else {}
    return proc.returncode, wall, usage.ru_maxrss / 1024, doc, err.decode("utf-8", "replace")


def hostile_home(tmp_path: Path, url: str) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "home"
    w.write_home(home, url + "/start", {"dev": ("111111111111", "Admin")})
    env = w.base_env(home, AWS_ENDPOINT_URL_SSO=url, AWS_ENDPOINT_URL_SSO_OIDC=url)
    return home, env


def rule(doc: dict, rule_id: str) -> dict:
    return {r["id"]: r for r in doc["rules"]}[rule_id]


def messages(doc: dict) -> str:
    return "\n".join(f["message"] for f in doc["findings"])


# mode -> what the report must say about it (in a finding, or in why the access checks were skipped)
CASES = {
    "endless": ("SSO601", "larger than 2 MiB"),
    "endless-chunked": ("SSO601", "larger than 2 MiB"),
    "huge-length": ("SSO601", "larger than 2 MiB"),
    "huge-headers": ("SSO502", "headers are too large"),
    "many-headers": ("SSO502", "headers are too large"),
    "drip": ("SSO601", "did not answer within the time budget"),
    # still dripping when the rule reads the probe, or ended by the probe's watchdog just before
    "drip-headers": ("SSO502", "within the time budget|did not arrive in time"),
}


@pytest.mark.parametrize("mode", list(CASES))
def test_hostile_server_costs_bounded_memory_and_time(tmp_path: Path, mode: str) -> None:
    rule_id, words = CASES[mode]
    with HostileServer(mode) as srv:
        home, env = hostile_home(tmp_path, srv.url)
        code, wall, rss, doc, err = run_cli(home, env)
        sent_mib = srv.bytes_sent / (1024 * 1024)
    assert code in (0, 1), err
    assert "Traceback" not in err
    assert wall < TIMEOUT + SLACK, f"{mode}: {wall:.1f} s"
    assert rss < MAX_RSS_MIB, f"{mode}: peak RSS {rss:.0f} MiB"
    if mode in ("endless", "endless-chunked", "huge-length", "huge-headers", "many-headers"):
        assert sent_mib > 2, f"the server only got to send {sent_mib:.1f} MiB: the case proves nothing"
    said = messages(doc) + "\n" + "\n".join(r.get("reason") or "" for r in doc["rules"])
    alternatives = words.split("|")
    assert any(a in said for a in alternatives), said
    if rule_id == "SSO601":  # the access checks say why they did not run; none of them passed
        for r in ("SSO601", "SSO602", "SSO603", "SSO604", "SSO605"):
            assert rule(doc, r)["status"] == "skipped", rule(doc, r)
            assert any(a in rule(doc, r)["reason"] for a in alternatives)
    else:
        assert any(f["rule_id"] == rule_id and any(a in f["message"] for a in alternatives)
                   for f in doc["findings"]), messages(doc)


def test_bearer_token_never_follows_a_redirect_to_another_host(tmp_path: Path) -> None:
    """The portal (and the OIDC endpoint and the start URL) answer 307 to another host: botocore does
    not follow it and neither do the probes, so that host gets no request, let alone the token."""
    with HostileServer("endless") as elsewhere:
        # "localhost" is another host than "127.0.0.1" to any HTTP client (Host header, cookies, auth)
        target = f"http://localhost:{elsewhere.port}/steal"
        with HostileServer("redirect", location=target) as portal:
            home, env = hostile_home(tmp_path, portal.url)
            code, wall, _rss, doc, err = run_cli(home, env)
            portal_heads = list(portal.heads)
        elsewhere_heads = list(elsewhere.heads)
    assert code in (0, 1), err
    token = w.ACCESS_TOKEN.encode()
    # the token went where it belongs: the portal endpoint, in botocore's header, once
    with_token = [h for h in portal_heads if token in h]
    assert len(with_token) == 1, portal_heads
    assert b"x-amz-sso_bearer_token: " + token in with_token[0].lower().replace(token.lower(), token)
    assert with_token[0].startswith(b"GET /assignment/accounts")
    # and nowhere else: the other host saw no request at all
    assert elsewhere_heads == []
    assert wall < TIMEOUT + SLACK
    # the redirect is an error answer, not a pass: the checks that need the account list say why they did not run
    assert rule(doc, "SSO602")["status"] == "skipped", rule(doc, "SSO602")
    assert "ListAccounts" in rule(doc, "SSO602")["reason"] and "307" in rule(doc, "SSO602")["reason"]


@pytest.mark.parametrize("mode", ["endless", "endless-chunked"])
def test_admin_commands_read_bounded_bodies(tmp_path: Path, mode: str) -> None:
    """`discover` (boto3's sso-admin client, static admin keys) against an endless body: a clear error."""
    with HostileServer(mode) as srv:
        home = tmp_path / "home"
        (home / ".aws").mkdir(parents=True)
        env = w.base_env(home, AWS_ENDPOINT_URL=srv.url, AWS_ACCESS_KEY_ID="AKIAHOSTILETEST00000",
                         AWS_SECRET_ACCESS_KEY="hostile-test-secret-key-0000000000000000", AWS_PROFILE="")
        env.pop("AWS_PROFILE")
        cmd = [sys.executable, "-m", "sso_doctor", "discover", "--region", "us-east-1"]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=w.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        requests = len(srv.heads)
    text = err.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 2, (out, text)
    assert "larger than 2 MiB" in text and "Traceback" not in text
    assert requests == 1  # not retried: asking again only costs more
    assert usage.ru_maxrss / 1024 < MAX_RSS_MIB
    assert wall < 15
