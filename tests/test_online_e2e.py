"""End-to-end proof of every online rule (SSO5xx, SSO6xx): the real `sso-doctor` CLI, in a subprocess,
against real servers on 127.0.0.1 — HTTPS sites with trustme certificates, a CONNECT proxy that wants
a password, the fake SSO portal, moto's STS. Each rule has a case where it fires and a near miss where
it runs and passes; `test_every_online_rule_has_a_firing_and_a_near_miss_case` enforces it.

Online rules cannot be static fixtures/ scenarios (they need live servers), so they are exempt from
tests/test_scenarios.py's coverage check and covered here instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fakes.net_servers import ConnectProxy, TlsSite
from fakes.sso_server import FakeSso
from online_world import (
    ACCESS_TOKEN,
    MOTO_ACCOUNT,
    PROXY_PASSWORD,
    base_env,
    closed_port,
    make_cas,
    sso_doctor,
    unshare_prefix,
    write_home,
)
from test_scenarios import _edits_text, assert_one_login_style, assert_safe_steps_are_complete

ACCOUNTS = {
    "111111111111": ("dev", ["ReadOnlyAccess", "PowerUserAccess", "Billing"]),
    "222222222222": ("prod", ["ReadOnlyAccess"]),
    MOTO_ACCOUNT: ("sandbox", ["AdministratorAccess", "ReadOnlyAccess"]),
}


@pytest.fixture(scope="session")
def cas(tmp_path_factory):
    return make_cas(tmp_path_factory.mktemp("cas"))


@pytest.fixture(scope="session")
def moto_sts(moto_server):
    return moto_server


@dataclass
class World:
    """Knobs of one end-to-end case. The defaults are a healthy setup where every online rule passes."""

    oidc_ca: str = "public"  # public | corp | corp-intermediate (leaf from an intermediate of corp)
    send_root: bool = False  # the OIDC server also sends its root certificate
    bundle: str = "public"  # AWS_CA_BUNDLE: public | public+corp | corp-only
    oidc_names: tuple[str, ...] = ("localhost", "127.0.0.1")
    oidc_cert_kw: dict[str, Any] = field(default_factory=dict)
    oidc_url: str | None = None  # override the OIDC endpoint entirely
    date_offset: float = 0.0  # seconds added to every site's Date header
    skewed_portal: bool = False  # serve the portal endpoint from a (skewed) TlsSite instead of the fake portal
    start_status: int = 200
    start_location: str | None = None
    account: str = "111111111111"
    role: str = "ReadOnlyAccess"
    register_token: bool = True
    forbidden: bool = False
    throttle: bool = False
    proxy: str | None = None  # None | "no-auth" (407) | "auth" (right password)
    default_endpoints: bool = False  # no endpoint overrides: real AWS host names
    unshare: bool = False  # run in a network namespace with no route (DNS fails)
    # an *.awsapps.com start URL whose instance lives (True) or does not live (False) in sso_region; the
    # fake OIDC answers RegisterClient/StartDeviceAuthorization. No cached token, so SSO508 has to ask.
    home_region: bool | None = None
    # emulated OS (SSO_DOCTOR_PLATFORM) and the OS trust store injected for it: None | "corp" | "public"
    platform: str | None = None
    os_store: str | None = None
    shell_env: dict[str, str] = field(default_factory=dict)  # what the shell detection sees


@dataclass
class Case:
    rule: str
    kind: str  # fires | near-miss
    name: str
    world: World
    check: Callable[[Any], None] | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}-{self.kind}-{self.name}"


def _contains(*needles: str) -> Callable[[Any], None]:
    def check(findings: list[dict[str, Any]]) -> None:
        text = "\n".join(f["message"] + "\n" + "\n".join(c["command"] for c in f["fix"]["commands"])
                         + _edits_text(f) for f in findings).lower()
        for n in needles:
            assert n.lower() in text, f"{n!r} not in {text!r}"

    return check


def _count(n: int) -> Callable[[Any], None]:
    def check(findings: list[dict[str, Any]]) -> None:
        assert len(findings) == n, findings

    return check


def _lacks(*needles: str) -> Callable[[Any], None]:
    def check(findings: list[dict[str, Any]]) -> None:
        text = "\n".join(f["message"] for f in findings).lower()
        assert not any(n.lower() in text for n in needles), text

    return check


def _all(*checks: Callable[[Any], None]) -> Callable[[Any], None]:
    def check(findings: list[dict[str, Any]]) -> None:
        for c in checks:
            c(findings)

    return check


CASES = [
    # no name resolves: one finding (one cause), not one per host with the same VPN advice
    Case("SSO501", "fires", "no-network-dns", World(default_endpoints=True, unshare=True),
         _all(_count(1), _contains("0 of 3 hosts resolve", "oidc.us-east-1.amazonaws.com",
                                   "offline or its dns is broken", "nslookup"))),
    # one host of three does not resolve: that host is the finding
    Case("SSO501", "fires", "one-host-of-three", World(oidc_url="https://oidc.does-not-exist.invalid"),
         _all(_count(1), _contains('"oidc.does-not-exist.invalid"', "nslookup oidc.does-not-exist.invalid"),
              _lacks("hosts resolve"))),
    Case("SSO501", "near-miss", "local-hosts-resolve", World()),
    Case("SSO502", "fires", "connection-refused", World(oidc_url="https://127.0.0.1:{closed}"),
         _contains("refused", "oidc endpoint")),
    Case("SSO502", "near-miss", "all-answer", World()),
    Case("SSO503", "fires", "proxy-wants-password", World(proxy="no-auth"),
         _contains("407", "demands credentials", "export https_proxy=http://<user>:<password>@")),
    Case("SSO503", "near-miss", "proxy-with-password", World(proxy="auth")),
    Case("SSO504", "fires", "intercepting-issuer", World(oidc_ca="corp"),
         _contains('issued by "intercept corp root ca"', "not a public ca", "export aws_ca_bundle=")),
    Case("SSO504", "fires", "root-sent-by-proxy", World(oidc_ca="corp", send_root=True),
         _contains("sent by the server", "<<'eof'\n-----begin certificate-----")),
    Case("SSO504", "fires", "intermediate-without-root", World(oidc_ca="corp-intermediate"),
         _contains("its root certificate was not found", "an intermediate alone is not enough",
                   '<path to the "intercept corp root ca" root .pem>')),
    Case("SSO504", "near-miss", "corp-root-in-bundle", World(oidc_ca="corp", bundle="public+corp")),
    # The OS store (#14.4): Windows and macOS say whether the OS trusts the issuer botocore rejects, and
    # export that root into certifi's roots in the user's own shell.
    Case("SSO504", "fires", "windows-store-trusts-corp-root-powershell",
         World(oidc_ca="corp", platform="win32", os_store="corp",
               shell_env={"PSModulePath": r"C:\Users\jane\Documents\WindowsPowerShell\Modules;"
                                          r"C:\Program Files\WindowsPowerShell\Modules"}),
         _contains("the windows certificate store trusts it (root store)", "browsers and curl work",
                   "get-childitem cert:\\currentuser\\root | where-object thumbprint -eq",
                   "[convert]::tobase64string($root.rawdata",
                   '[environment]::setenvironmentvariable("aws_ca_bundle", $env:aws_ca_bundle, "user")')),
    Case("SSO504", "fires", "windows-store-trusts-corp-root-cmd",
         World(oidc_ca="corp", platform="win32", os_store="corp",
               shell_env={"ComSpec": r"C:\Windows\system32\cmd.exe"}),
         _contains("certutil -user -store root", "certutil -f -encode", "copy /b",
                   'setx aws_ca_bundle "%userprofile%\\.aws\\ca-bundle.pem"')),
    Case("SSO504", "fires", "macos-keychain-trusts-corp-root-fish",
         World(oidc_ca="corp", platform="darwin", os_store="corp", shell_env={"SHELL": "/opt/homebrew/bin/fish"}),
         _contains("the macos keychains trust it (/library/keychains/system.keychain)", "security find-certificate -a -z -p /library/keychains/system.keychain | awk '/^sha-1 hash:/{keep=($3==\"",
                   "set -ux aws_ca_bundle \"$home/.aws/ca-bundle.pem\"")),
    Case("SSO504", "fires", "macos-keychain-lacks-corp-root",
         World(oidc_ca="corp", platform="darwin", os_store="public", shell_env={"SHELL": "/bin/zsh"}),
         _contains("the macos keychains do not trust it either")),
    Case("SSO505", "fires", "hostname-mismatch", World(oidc_names=("captive.example.net",)),
         _contains("not valid for that name", "captive.example.net")),
    Case("SSO505", "fires", "expired", World(oidc_cert_kw={
        "not_before": dt.datetime(2020, 1, 1), "not_after": dt.datetime(2021, 1, 1)}),
         _contains("has expired", "date -u")),
    Case("SSO505", "fires", "bundle-without-public-roots", World(bundle="corp-only"),
         _contains('lacks the public root "test public trust services"', "export aws_ca_bundle=")),
    Case("SSO505", "fires", "bundle-without-public-roots-powershell",
         World(bundle="corp-only", platform="win32", shell_env={"PSModulePath": r"C:\Users\jane\Documents\PowerShell\Modules"}),
         _contains("new-item -itemtype directory -force -path \"$home/.aws\"",
                   "set-content -encoding ascii -path \"$home/.aws/ca-bundle.pem\" -value ((get-content -raw '",
                   '$env:aws_ca_bundle = "$home/.aws/ca-bundle.pem"')),
    Case("SSO505", "near-miss", "valid-certificate", World(oidc_names=("localhost",))),
    Case("SSO506", "fires", "clock-ten-minutes-ahead", World(date_offset=-600, skewed_portal=True),
         _contains("10 min", "ahead of")),
    Case("SSO506", "near-miss", "thirty-seconds-off", World(date_offset=-30, skewed_portal=True)),
    Case("SSO507", "fires", "start-url-404", World(start_status=404), _contains("answers http 404")),
    Case("SSO507", "near-miss", "redirect-within-aws", World(
        start_status=302, start_location="https://d-1234567890.awsapps.com/start/")),
    Case("SSO508", "fires", "instance-in-another-region", World(home_region=False),
         _contains("not in us-east-1", "d-1234567890.awsapps.com", "[sso-session corp]\n# check this value: a guess or a placeholder\nsso_region = <the instance's region>")),
    Case("SSO508", "near-miss", "instance-in-sso-region", World(home_region=True)),
    Case("SSO601", "fires", "revoked-token", World(register_token=False),
         _contains("rejects the cached token", "unauthorizedexception", "aws sso logout\naws sso login")),
    Case("SSO601", "near-miss", "token-accepted", World()),
    Case("SSO602", "fires", "wrong-account", World(account="111111111112"),
         _contains("111111111111 (dev)", "222222222222 (prod)", "sso_account_id 111111111111")),
    Case("SSO602", "near-miss", "assigned-account", World()),
    Case("SSO603", "fires", "wrong-role", World(role="ReadOnly"),
         _contains('"readonlyaccess", "poweruseraccess" and "billing"', "set sso_role_name readonlyaccess")),
    Case("SSO603", "near-miss", "assigned-role", World()),
    Case("SSO604", "fires", "no-access", World(forbidden=True), _contains("forbiddenexception", "no access")),
    Case("SSO604", "near-miss", "credentials-granted", World()),
    Case("SSO605", "fires", "other-account", World(), _contains(f"returns account {MOTO_ACCOUNT}", "not 111111111111")),
    Case("SSO605", "near-miss", "same-account", World(account=MOTO_ACCOUNT, role="AdministratorAccess")),
    Case("SSO606", "fires", "throttled", World(throttle=True), _contains("toomanyrequestsexception", "sleep 60")),
    Case("SSO606", "near-miss", "not-throttled", World()),
]


def build(world: World, stack: contextlib.ExitStack, tmp_path, cas, moto_sts: str) -> tuple[dict[str, str], list]:
    """Start the servers a world needs; return the CLI's environment and the command prefix."""
    ca = {"public": cas.public, "corp": cas.corp, "corp-intermediate": cas.corp.create_child_ca()}[world.oidc_ca]
    root = (cas.corp if world.oidc_ca.startswith("corp") else cas.public).cert_pem.bytes()
    oidc = stack.enter_context(TlsSite(ca.issue_cert(*world.oidc_names, **world.oidc_cert_kw),
                                       date_offset=world.date_offset,
                                       extra_chain_pem=root if world.send_root else b""))
    start = stack.enter_context(TlsSite(cas.public.issue_cert("localhost", "127.0.0.1"), status=world.start_status,
                                        location=world.start_location, date_offset=world.date_offset))
    fake = stack.enter_context(FakeSso())
    if world.register_token:
        fake.add_token(ACCESS_TOKEN, ACCOUNTS)
    if world.forbidden:
        fake.state.forbidden.add((world.account, world.role))
    fake.state.throttle = world.throttle
    portal_url = fake.url
    if world.skewed_portal:
        portal = stack.enter_context(TlsSite(cas.public.issue_cert("localhost"), date_offset=world.date_offset))
        portal_url = portal.url("localhost").rstrip("/")

    home = tmp_path / "home"
    start_url = start.url("localhost", "/start")
    if world.default_endpoints:
        start_url = "https://d-1234567890.awsapps.com/start"
    if world.home_region is not None:
        start_url = "https://d-1234567890.awsapps.com/start"
        fake.state.home_start_urls = {start_url} if world.home_region else {"https://d-0000000000.awsapps.com/start"}
    write_home(home, start_url, {"dev": (world.account, world.role)},
               token=None if world.home_region is not None else ACCESS_TOKEN)
    env = base_env(home, cas)
    if world.bundle == "public+corp":
        both = tmp_path / "public-plus-corp.pem"
        both.write_text(cas.public_bundle.read_text() + cas.corp_root.read_text())
        env["AWS_CA_BUNDLE"] = str(both)
    elif world.bundle == "corp-only":
        env["AWS_CA_BUNDLE"] = str(cas.corp_root)
    if not world.default_endpoints:
        env["AWS_ENDPOINT_URL_SSO_OIDC"] = (world.oidc_url or oidc.url("localhost")).format(
            closed=closed_port()).rstrip("/")
        env["AWS_ENDPOINT_URL_SSO"] = portal_url
        env["AWS_ENDPOINT_URL_STS"] = moto_sts
    if world.home_region is not None:
        env["AWS_ENDPOINT_URL_SSO_OIDC"] = fake.url
    if world.proxy:
        proxy = stack.enter_context(ConnectProxy(auth=("jane", PROXY_PASSWORD)))
        env["HTTPS_PROXY"] = proxy.url("jane", PROXY_PASSWORD) if world.proxy == "auth" else proxy.url()
    if world.platform:
        env["SSO_DOCTOR_PLATFORM"] = world.platform
        env["USERPROFILE"] = str(home)  # Windows' ~ (botocore ignores HOME there)
    if world.os_store:
        store = tmp_path / "os-store.pem"
        store.write_text(cas.public_bundle.read_text() + (cas.corp_root.read_text() if world.os_store == "corp" else ""))
        env["SSO_DOCTOR_OS_TRUST_STORE"] = str(store)
    env.update(world.shell_env)
    prefix = unshare_prefix() if world.unshare else None
    if world.unshare and prefix is None:
        # No network namespaces here: a reserved name that can never resolve (RFC 2606) instead.
        env["AWS_ENDPOINT_URL_SSO_OIDC"] = "https://oidc.us-east-1.amazonaws.com.invalid"
    return env, prefix


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_online_rule(case: Case, tmp_path, cas, moto_sts):
    with contextlib.ExitStack() as stack:
        env, prefix = build(case.world, stack, tmp_path, cas, moto_sts)
        run = sso_doctor(["check", "--format", "json", "--select", case.rule, "--timeout", "4"], env,
                         prefix=prefix)
    assert "Traceback" not in run.stderr, run.stderr
    assert run.doc is not None, run.stdout + run.stderr
    found = run.findings(case.rule)
    # every `$` is right as printed, and the report's logins are one command style (#13.3, #13.4)
    assert_safe_steps_are_complete(run.doc)
    assert_one_login_style(run.doc)
    if case.kind == "fires":
        assert found, f"{case.rule} did not fire: {run.doc['rules']}"
        assert run.status(case.rule) == "failed"
        if case.check:
            case.check(found)
        assert run.returncode == (1 if any(f["severity"] == "error" for f in found) else 0)
    else:
        # A near miss must really have run and passed: a skipped rule proves nothing.
        assert found == [], found
        assert run.status(case.rule) == "passed", run.reason(case.rule)
        assert run.returncode == 0
    # The bearer token went to the portal only, and nothing secret was printed.
    assert ACCESS_TOKEN not in run.stdout + run.stderr
    assert PROXY_PASSWORD not in run.stdout + run.stderr


def test_every_online_rule_has_a_firing_and_a_near_miss_case():
    from sso_doctor.rules import ALL_RULES

    online = {r.id for r in ALL_RULES if r.online}
    assert {f"SSO50{i}" for i in range(1, 9)} | {f"SSO60{i}" for i in range(1, 7)} <= online
    fires = {c.rule for c in CASES if c.kind == "fires"}
    near = {c.rule for c in CASES if c.kind == "near-miss"}
    assert sorted(online - fires) == [], "online rules without a firing end-to-end case"
    assert sorted(online - near) == [], "online rules without a near-miss end-to-end case"
