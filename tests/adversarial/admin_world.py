"""A HOME for the administrator commands under attack: admin profiles whose SSO token is inside
botocore's 15-minute refresh window or expired-but-refreshable (a refresh the fake OIDC server would
accept), a failing credential_process, static keys, and endpoints with passwords. Shared by the leak and
read-only tests of tests/adversarial/."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from conftest import windows_essentials

ACCOUNT = "123456789012"  # moto's own account
REGION = "us-east-1"
ROLE = "AdminRole"


@dataclass
class AdminWorld:
    home: Path
    env: dict[str, str]
    canaries: list[str] = field(default_factory=list)
    tokens: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # session -> access, refresh, secret


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(root: Path, *, moto_url: str, sso_url: str, make) -> AdminWorld:
    """Lay out the HOME. `make(label)` returns a new canary (a unique secret value) and records it."""
    home = root / "home"
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    world = AdminWorld(home, {})
    sessions = {"window": now + dt.timedelta(minutes=5), "expired": now - dt.timedelta(hours=2),
                "valid": now + dt.timedelta(hours=4)}
    lines = []
    for name, expires in sessions.items():
        access, refresh, secret = make(f"{name}-access"), make(f"{name}-refresh"), make(f"{name}-client-secret")
        world.tokens[name] = (access, refresh, secret)
        (cache / (hashlib.sha1(name.encode()).hexdigest() + ".json")).write_text(json.dumps({
            "startUrl": f"{sso_url}/start", "region": REGION, "accessToken": access, "expiresAt": _stamp(expires),
            "refreshToken": refresh, "clientId": f"client-{name}", "clientSecret": secret,
            "registrationExpiresAt": _stamp(now + dt.timedelta(days=60))}))
        lines += [f"[sso-session {name}]", f"sso_start_url = {sso_url}/start", f"sso_region = {REGION}",
                  "sso_registration_scopes = sso:account:access", "",
                  f"[profile admin-{name}]", f"sso_session = {name}", f"sso_account_id = {ACCOUNT}",
                  f"sso_role_name = {ROLE}", f"region = {REGION}", ""]
    os.chmod(cache, 0o700)
    for p in cache.iterdir():
        p.chmod(0o600)
    helper = root / "helper.py"
    helper.write_text(f"import sys\nsys.stderr.write('helper failed, password={make('process-stderr')}\\n')\n"
                      "sys.exit(1)\n")
    start_pw, start_query = make("start-url-password"), make("start-url-query")
    endpoint_pw, services_pw, env_endpoint_pw = make("endpoint-password"), make("services-password"), make(
        "env-endpoint-password")
    lines += [
        "[profile admin-process]", f"credential_process = {sys.executable} {helper}", f"region = {REGION}", "",
        "[profile admin-static]", f"region = {REGION}", "",
        # an endpoint with a password that nothing listens on: botocore's error names the URL
        "[profile admin-bad-endpoint]", f"region = {REGION}",
        f"endpoint_url = http://admin:{endpoint_pw}@127.0.0.1:9", "",
        "[profile user]", f"sso_start_url = https://jdoe:{start_pw}@d-1234567890.awsapps.com/start?t={start_query}",
        "sso_region = us-east-1", f"sso_account_id = {ACCOUNT}", "sso_role_name = ReadOnly", "services = svc",
        "", "[services svc]", "sso =", f"  endpoint_url = http://svc:{services_pw}@127.0.0.1:9", "",
    ]
    (home / ".aws" / "config").write_text("\n".join(lines))
    (home / ".aws" / "credentials").write_text(
        f"[admin-static]\naws_access_key_id = AKIAEXAMPLEADMIN0001\naws_secret_access_key = {make('static-secret-key')}\n"
        f"[admin-bad-endpoint]\naws_access_key_id = AKIAEXAMPLEADMIN0002\n"
        f"aws_secret_access_key = {make('bad-endpoint-secret-key')}\n")
    world.env = {
        "HOME": str(home), **windows_essentials(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_EC2_METADATA_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_ENDPOINT_URL": moto_url,  # sso-admin, identitystore, organizations, sts: moto
        "AWS_ENDPOINT_URL_SSO": sso_url,  # the portal and OIDC: the fake, which counts /token calls
        "AWS_ENDPOINT_URL_SSO_OIDC": sso_url,
        "AWS_ENDPOINT_URL_CODECATALYST": f"http://cc:{env_endpoint_pw}@127.0.0.1:9",
        "AWS_SECRET_ACCESS_KEY": make("env-secret-key"),
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001",
        "AWS_SESSION_TOKEN": make("env-session-token"),
        "HTTPS_PROXY": f"http://proxyuser:{make('proxy-password')}@127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return world


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root (root included) with its type and mode, owner, size, mtime and content."""
    out = {}
    paths = [root]
    for dirpath, dirnames, filenames in os.walk(root):
        paths += [Path(dirpath) / n for n in dirnames + filenames]
    for p in paths:
        st = p.lstat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() and not p.is_symlink() else None
        out[str(p.relative_to(root))] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, digest)
    return out
