"""Shared pieces of the online end-to-end tests: CAs, a fake HOME with SSO profiles and a cached token,
the environment that points botocore at local servers, and a runner for the real `sso-doctor` CLI
(a subprocess, so botocore sees exactly the environment a user's shell would give it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
from conftest import windows_essentials

ROOT = Path(__file__).resolve().parent.parent
ACCESS_TOKEN = "canary-access-token-7f3a9c1e5b"
REFRESH_TOKEN = "canary-refresh-token-2d8e4f6a0c"
CLIENT_SECRET = "canary-client-secret-9b1d3f5e7a"
PROXY_PASSWORD = "canary-proxy-pw-4c6e8a0b2d"
MOTO_ACCOUNT = "123456789012"  # what moto's STS answers for credentials it did not issue


@dataclass
class Cas:
    public: trustme.CA  # stands in for a public CA (trusted through a test bundle "instead of certifi")
    corp: trustme.CA  # an intercepting proxy's private root
    public_bundle: Path
    corp_root: Path

    def leaf(self, ca: trustme.CA, *names: str, **kw: Any) -> Any:
        return ca.issue_cert(*(names or ("localhost", "127.0.0.1")), **kw)


def make_cas(folder: Path) -> Cas:
    public = trustme.CA(organization_name="Test Public Trust Services")
    corp = trustme.CA(organization_name="Intercept Corp Root CA")
    folder.mkdir(parents=True, exist_ok=True)
    public_bundle = folder / "public-roots.pem"
    public.cert_pem.write_to_path(str(public_bundle))
    corp_root = folder / "corp-root.pem"
    corp.cert_pem.write_to_path(str(corp_root))
    return Cas(public, corp, public_bundle, corp_root)


def write_home(home: Path, start_url: str | list[str], profiles: dict[str, tuple[str, str]], *,
               region: str = "us-east-1",
               token: str | None = ACCESS_TOKEN, expires_in: float = 8 * 3600, sessions: int = 1) -> Path:
    """A HOME with one [sso-session] per `sessions`, the profiles spread over them, and a cached token each."""
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    lines = []
    names = [f"corp{i}" if i else "corp" for i in range(sessions)]
    for i, (name, (account, role)) in enumerate(profiles.items()):
        lines += [f"[profile {name}]", f"sso_session = {names[i % sessions]}", f"sso_account_id = {account}",
                  f"sso_role_name = {role}", "region = us-east-1", ""]
    urls = [start_url] if isinstance(start_url, str) else list(start_url)
    url_of = {s: urls[i % len(urls)] for i, s in enumerate(names)}
    for s in names:
        lines += [f"[sso-session {s}]", f"sso_start_url = {url_of[s]}", f"sso_region = {region}",
                  "sso_registration_scopes = sso:account:access", ""]
    (aws / "config").write_text("\n".join(lines))
    if token is not None:
        cache = aws / "sso" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
        for s in names:
            (cache / (hashlib.sha1(s.encode()).hexdigest() + ".json")).write_text(json.dumps({
                "startUrl": url_of[s], "region": region, "accessToken": token,
                "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "refreshToken": REFRESH_TOKEN,
                "clientId": "canary-client-id", "clientSecret": CLIENT_SECRET,
                "registrationExpiresAt": (expires + dt.timedelta(days=80)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }))
    return home


def base_env(home: Path, cas: Cas | None = None, **extra: str) -> dict[str, str]:
    """A clean environment: nothing from the developer's shell (AWS_*, proxies, CA variables) leaks in."""
    env = {
        "HOME": str(home),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "AWS_PROFILE": "dev",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(windows_essentials(home))  # USERPROFILE and SYSTEMROOT on a Windows host, nothing elsewhere
    if cas is not None:
        env["AWS_CA_BUNDLE"] = str(cas.public_bundle)
        env["SSO_DOCTOR_PUBLIC_CA_BUNDLE"] = str(cas.public_bundle)
    env.update(extra)
    return env


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    doc: dict[str, Any] | None

    def findings(self, rule_id: str) -> list[dict[str, Any]]:
        assert self.doc is not None, self.stdout + self.stderr
        return [f for f in self.doc["findings"] if f["rule_id"] == rule_id]

    def status(self, rule_id: str) -> str:
        assert self.doc is not None, self.stdout + self.stderr
        return {r["id"]: r for r in self.doc["rules"]}[rule_id]["status"]

    def reason(self, rule_id: str) -> str | None:
        assert self.doc is not None
        return {r["id"]: r for r in self.doc["rules"]}[rule_id].get("reason")


def sso_doctor(args: list[str], env: dict[str, str], *, prefix: list[str] | None = None, timeout: float = 60,
               cwd: Path | None = None) -> Run:
    """Run the real CLI (`python -m sso_doctor`) in a subprocess; parse JSON output when asked for."""
    cmd = list(prefix or []) + [sys.executable, "-m", "sso_doctor", *args]
    start = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=timeout, cwd=cwd or ROOT)
    seconds = time.perf_counter() - start
    doc = None
    if "json" in args:
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            doc = None
    return Run(p.returncode, p.stdout, p.stderr, seconds, doc)


def unshare_prefix() -> list[str] | None:
    """`unshare -n`: a network namespace with no route anywhere (DNS fails at once, nothing leaves)."""
    exe = shutil.which("unshare")
    if exe is None:
        return None
    try:
        ok = subprocess.run([exe, "-n", "true"], capture_output=True, check=False, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return [exe, "-n"] if ok else None


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
