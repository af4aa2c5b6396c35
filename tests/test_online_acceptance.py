"""The online acceptance tests of issue 4, each with the real `sso-doctor` CLI and real local servers:

- interception: botocore itself fails through moto's TLS-intercepting proxy; sso-doctor names the
  proxy's CA (SSO504); running exactly the printed fix commands makes botocore and sso-doctor pass;
- access: a role that is not assigned gets SSO603 with the assigned roles closest first; applying the
  suggested sso_role_name clears it and GetCallerIdentity (moto) returns the profile's account;
- black hole: every endpoint and the proxy accept connections and never answer; sso-doctor finishes
  within the budget + 1 s and says what it could not reach, while botocore with default settings hangs;
- secret canary: tokens, role credentials and the proxy password never appear in any output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from fakes.net_servers import BlackHole, ConnectProxy, TlsSite
from fakes.sso_server import FakeSso
from online_world import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    MOTO_ACCOUNT,
    PROXY_PASSWORD,
    REFRESH_TOKEN,
    base_env,
    sso_doctor,
    write_home,
)
from test_online_e2e import ACCOUNTS, cas, moto_sts  # noqa: F401 - shared session fixtures

BOTOCORE_STS = textwrap.dedent("""
    import sys, botocore.session
    s = botocore.session.Session()
    c = s.create_client("sts", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLEEXAMPLE12",
                        aws_secret_access_key="example-secret-key-not-real")
    try:
        print(c.get_caller_identity()["Account"])
    except Exception as e:
        print(f"{type(e).__name__}: {e}")
        sys.exit(1)
""")


def botocore_sts(env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BOTOCORE_STS], env=env, capture_output=True, text=True,
                          check=False, timeout=timeout)


@pytest.fixture(scope="module")
def moto_proxy():
    """moto's own TLS-intercepting proxy (moto/moto_proxy), serving moto's backends behind it."""
    from moto.moto_proxy.proxy3 import CertificateCreator, ProxyRequestHandler

    ProxyRequestHandler.validate()
    server = ThreadingHTTPServer(("127.0.0.1", 0), ProxyRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Path(CertificateCreator.cacert)
    server.shutdown()
    server.server_close()


def test_interception_is_named_and_the_printed_fix_works(tmp_path, cas, moto_proxy):  # noqa: F811
    proxy_url, moto_ca = moto_proxy
    with TlsSite(cas.public.issue_cert("localhost")) as start:
        home = write_home(tmp_path / "home", start.url("localhost", "/start"), {"dev": (MOTO_ACCOUNT, "Admin")})
        # A corporate laptop: every HTTPS connection goes through the proxy, whose root IT installed for
        # other tools (SSL_CERT_FILE) — which botocore ignores. AWS_CA_BUNDLE holds the public roots.
        env = base_env(home, cas, HTTPS_PROXY=proxy_url, NO_PROXY="localhost", SSL_CERT_FILE=str(moto_ca),
                       AWS_DEFAULT_REGION="us-east-1")

        before = botocore_sts(env)
        assert before.returncode == 1
        assert "unable to get local issuer certificate" in before.stdout

        run = sso_doctor(["check", "--format", "json", "--select", "SSO5"], env)
        assert run.returncode == 1, run.stdout + run.stderr
        [finding] = run.findings("SSO504")
        assert 'issued by "proxy2 CA"' in finding["message"]
        assert {f["rule_id"] for f in run.doc["findings"]} == {"SSO504"}
        hosts = finding["message"].split(" (the ")[0]
        assert "oidc.us-east-1.amazonaws.com" in hosts and "portal.sso.us-east-1.amazonaws.com" in hosts
        commands = [c["command"] for c in finding["fix"]["commands"] if c["safe"]]
        assert any(c.startswith("export AWS_CA_BUNDLE=") for c in commands)

        # Exactly the printed commands, in one shell, then botocore and sso-doctor again in that shell.
        script = "set -e\n" + "\n".join(commands) + "\n" + textwrap.dedent(f"""
            {sys.executable} -c '{BOTOCORE_STS}' > "$HOME/botocore.out"
            {sys.executable} -m sso_doctor check --format json --select SSO5 > "$HOME/after.json"
        """)
        after = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False, timeout=60)
        assert after.returncode == 0, after.stdout + after.stderr + (home / "after.json").read_text()
    assert (home / "botocore.out").read_text().strip() == MOTO_ACCOUNT
    doc = json.loads((home / "after.json").read_text())
    assert doc["findings"] == []
    assert {r["id"]: r["status"] for r in doc["rules"]}["SSO504"] == "passed"
    bundle = (home / ".aws" / "ca-bundle.pem").read_text()
    assert moto_ca.read_text().strip() in bundle and cas.public_bundle.read_text().strip() in bundle


def test_wrong_role_lists_assigned_roles_and_the_suggested_one_works(tmp_path, cas, moto_sts):  # noqa: F811
    with FakeSso() as fake:
        fake.add_token(ACCESS_TOKEN, ACCOUNTS)
        home = write_home(tmp_path / "home", "https://d-1234567890.awsapps.com/start", {"dev": (MOTO_ACCOUNT, "Admin")})
        env = base_env(home, cas, AWS_ENDPOINT_URL_SSO=fake.url, AWS_ENDPOINT_URL_STS=moto_sts)
        run = sso_doctor(["check", "--format", "json", "--select", "SSO6"], env)
        [finding] = run.findings("SSO603")
        assert finding["subject"] == "dev" and finding["location"]["key"] == "sso_role_name"
        assert '"AdministratorAccess" and "ReadOnlyAccess"' in finding["message"]  # closest first
        suggested = finding["fix"]["commands"][0]
        assert suggested["safe"]
        assert suggested["command"] == "aws configure set sso_role_name AdministratorAccess --profile dev"

        # Apply it (what `aws configure set` does to this file) and check again.
        config = home / ".aws" / "config"
        config.write_text(config.read_text().replace("sso_role_name = Admin\n",
                                                     "sso_role_name = AdministratorAccess\n"))
        again = sso_doctor(["check", "--format", "json", "--select", "SSO6"], env)
        assert again.findings("SSO603") == [] and again.status("SSO603") == "passed"
        assert again.doc["findings"] == [] and again.returncode == 0
        assert again.status("SSO605") == "passed"  # GetCallerIdentity (moto) returned the profile's account

        # The same through botocore's own SSO credential provider and moto's STS.
        script = ("import botocore.session; s = botocore.session.Session(profile='dev'); "
                  "print(s.create_client('sts', region_name='us-east-1').get_caller_identity()['Account'])")
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False,
                             timeout=60)
        assert out.stdout.strip() == MOTO_ACCOUNT, out.stderr
        assert "/federation/credentials" in fake.paths()


BUDGET = 2.0
BOTOCORE_LIMIT = 8.0  # the test's own bound on how long we watch botocore hang


def test_black_hole_finishes_within_the_budget(tmp_path, cas):  # noqa: F811
    with BlackHole() as endpoints, BlackHole() as proxy:
        home = write_home(tmp_path / "home", "https://d-1234567890.awsapps.com/start",
                          {"dev": ("111111111111", "Admin")})
        hole = f"https://127.0.0.1:{endpoints.port}"
        env = base_env(home, cas, AWS_ENDPOINT_URL_SSO_OIDC=hole, AWS_ENDPOINT_URL_SSO=hole, AWS_ENDPOINT_URL_STS=hole,
                       HTTPS_PROXY=f"http://127.0.0.1:{proxy.port}", NO_PROXY="127.0.0.1")
        run = sso_doctor(["check", "--format", "json", "--select", "SSO5,SSO6", "--timeout", str(BUDGET)], env)
        assert run.seconds <= BUDGET + 1.0, run.seconds
        assert run.doc is not None and "Traceback" not in run.stderr
        unreachable = {(f["rule_id"], f["location"].get("endpoint")) for f in run.doc["findings"]}
        assert ("SSO502", f"{hole}") in unreachable  # the OIDC and portal endpoints: no TLS answer
        [proxy_finding] = run.findings("SSO503")
        assert "did not answer CONNECT" in proxy_finding["message"]
        assert "d-1234567890.awsapps.com:443" in proxy_finding["message"]
        # The access checks could not finish: said so, with how far they got.
        assert run.status("SSO601") == "skipped"
        assert "did not answer within the time budget" in run.reason("SSO601")

        started = time.perf_counter()
        try:
            p = subprocess.run([sys.executable, "-c", BOTOCORE_STS.replace('region_name="us-east-1"',
                                'region_name="us-east-1", endpoint_url="' + hole + '"')],
                               env=env, capture_output=True, text=True, check=False, timeout=BOTOCORE_LIMIT)
            botocore_seconds, botocore_outcome = time.perf_counter() - started, p.stdout.strip()
        except subprocess.TimeoutExpired:
            botocore_seconds, botocore_outcome = time.perf_counter() - started, "still waiting (killed)"
    assert botocore_seconds >= BOTOCORE_LIMIT - 0.5, botocore_outcome  # botocore's defaults: 60 s x retries
    print(f"\nblack hole: sso-doctor {run.seconds:.2f} s (budget {BUDGET} s); botocore defaults "
          f">= {botocore_seconds:.1f} s: {botocore_outcome}")


def test_online_secret_canary(tmp_path, cas, moto_sts):  # noqa: F811
    """Tokens, role credentials and the proxy password never reach any output, in any format or -v,
    even when a server echoes the token back in its error message."""
    with FakeSso() as fake, ConnectProxy(auth=("jane", PROXY_PASSWORD)) as proxy, \
            TlsSite(cas.public.issue_cert("localhost")) as site:
        fake.add_token(ACCESS_TOKEN, ACCOUNTS)
        home = write_home(tmp_path / "home", site.url("localhost", "/start"),
                          {"dev": ("111111111111", "ReadOnlyAccess"), "bad": (MOTO_ACCOUNT, "Nope")})
        env = base_env(home, cas, AWS_ENDPOINT_URL_SSO=fake.url, AWS_ENDPOINT_URL_STS=moto_sts,
                       AWS_ENDPOINT_URL_SSO_OIDC=site.url("localhost").rstrip("/"),
                       HTTPS_PROXY=proxy.url("jane", PROXY_PASSWORD))
        outputs = []
        for args in (["check", "-v", "--all-profiles"], ["check", "--format", "json", "--all-profiles"],
                     ["check", "-q", "--all-profiles"]):
            outputs.append(sso_doctor(args, env))
        fake.state.echo_token_in_errors = True
        fake.revoke(ACCESS_TOKEN)
        outputs.append(sso_doctor(["check", "-v", "--all-profiles", "--select", "SSO6"], env))
        outputs.append(sso_doctor(["check", "--format", "json", "--all-profiles", "--select", "SSO6"], env))
    assert fake.state.issued, "the canary must include role credentials that were really issued"
    secrets = [ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET, PROXY_PASSWORD]
    for creds in fake.state.issued:
        secrets += [creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"]]
    rejected = outputs[-1].findings("SSO601")
    assert rejected and "****" in rejected[0]["message"]  # the echoed token was masked, not printed
    assert any(r.findings("SSO605") for r in outputs[1:2])  # STS really ran with the role credentials
    for out in outputs:
        text = out.stdout + out.stderr
        assert "Traceback" not in text
        for secret in secrets:
            assert secret not in text, f"a secret leaked in {text[:400]}"


def test_offline_path_imports_no_client_machinery(tmp_path):
    home = write_home(tmp_path / "home", "https://d-1234567890.awsapps.com/start", {"dev": ("111111111111", "Admin")})
    code = textwrap.dedent("""
        import sys
        from sso_doctor import runner
        out = runner.check(runner.CheckRequest(offline=True, output_format="json"))
        loaded = sorted(m for m in ("boto3", "botocore.session", "botocore.client", "sso_doctor.probes.run")
                        if m in sys.modules)
        print(loaded)
    """)
    p = subprocess.run([sys.executable, "-c", code], env=base_env(home), capture_output=True, text=True,
                       check=False, timeout=60)
    assert p.stdout.strip() == "[]", p.stdout + p.stderr

