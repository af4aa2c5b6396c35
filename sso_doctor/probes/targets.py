"""Where the online checks go, resolved by botocore itself (online path only).

For each selected SSO profile we let botocore build the clients the SSO credential provider would
use (`sso-oidc`, `sso`, `sts`) and read back what they really use: the endpoint URL (honouring
`AWS_ENDPOINT_URL_*`, `[services]` sections, `endpoint_url`, `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`),
the CA bundle their HTTP session verifies with, and the proxy (with `NO_PROXY`) it sends through.
The start-URL host is not a botocore endpoint; it gets botocore's own proxy and CA logic too.

Everything that decides TLS trust is in this one module, so it can later be pointed at the shared
CA-bundle loader. botocore reads the process environment here: in every real run `ctx.env` is a copy
of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from sso_doctor.loaders.aws_config import AwsConfig, SsoSettings
from sso_doctor.probes import bounded
from sso_doctor.redact import Secrets, mask_url_password

# Keys that do not change endpoints, TLS or proxies: profiles that differ only in these share clients.
_PER_ROLE_KEYS = frozenset({"sso_account_id", "sso_role_name"})

# Overrides sso-doctor treats as "the public roots" instead of certifi's bundle (tests stand a local
# "public" CA in for certifi with it).
PUBLIC_ROOTS_VAR = "SSO_DOCTOR_PUBLIC_CA_BUNDLE"

_CREATE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Proxy:
    """The proxy botocore sends a request through. `url` has its password masked."""

    url: str
    scheme: str
    host: str
    port: int
    headers: tuple[tuple[str, str], ...] = ()  # Proxy-Authorization as botocore builds it (a secret)
    env_var: str | None = None


@dataclass(frozen=True)
class Target:
    """One URL to probe, and how botocore would reach it."""

    role: str  # "oidc", "portal" or "start-url"
    url: str
    scheme: str
    host: str
    port: int
    path: str
    proxy: Proxy | None
    ca_bundle: str | None  # file (or directory) the TLS handshake verifies against; None = no TLS/verify off
    ca_source: str  # AWS_CA_BUNDLE, "ca_bundle in [profile x]", REQUESTS_CA_BUNDLE, "certifi (default)"
    profiles: tuple[str, ...]
    sso_region: str

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.role, self.url, self.proxy, self.ca_bundle)

    @property
    def label(self) -> str:
        return {"oidc": "OIDC endpoint", "portal": "portal endpoint", "start-url": "start URL"}[self.role]


@dataclass
class ProfileClients:
    """botocore's clients for one profile, built once and reused by the access checks."""

    profile: str
    sso: SsoSettings
    session: Any  # botocore.session.Session
    oidc: Any
    portal: Any
    sts_region: str
    oidc_url: str
    portal_url: str
    verify: bool | str

    def sts_client(self, credentials: Mapping[str, str], timeout: float) -> Any:
        """An STS client signed with role credentials (kept in memory only)."""
        with _CREATE_LOCK:  # botocore sessions are not safe for concurrent client creation
            client = self.session.create_client(
                "sts", region_name=self.sts_region, config=client_config(timeout, signed=True),
                aws_access_key_id=credentials["accessKeyId"],
                aws_secret_access_key=credentials["secretAccessKey"],
                aws_session_token=credentials["sessionToken"],
            )
        return bounded.install(client, time.monotonic() + max(0.1, timeout))


@dataclass(frozen=True)
class Unresolved:
    """A selected profile we could not build clients for, and why (in botocore's words, redacted)."""

    profile: str
    reason: str


@dataclass(frozen=True)
class Resolution:
    targets: tuple[Target, ...]
    clients: Mapping[str, ProfileClients]
    unresolved: tuple[Unresolved, ...]
    public_roots: str  # the bundle of public roots (certifi's, unless overridden)


def client_config(timeout: float, signed: bool = False) -> Any:
    """One attempt, connect/read timeouts inside the budget: no retry storm."""
    from botocore import UNSIGNED
    from botocore.config import Config

    t = max(0.1, timeout)
    kwargs: dict[str, Any] = {
        "connect_timeout": t, "read_timeout": t, "retries": {"total_max_attempts": 1, "mode": "standard"},
    }
    if not signed:
        kwargs["signature_version"] = UNSIGNED
    return Config(**kwargs)


def default_ca_bundle() -> str:
    """The bundle botocore verifies with when nothing is configured (certifi's, via botocore)."""
    from botocore.httpsession import where

    return where()


def public_roots(env: Mapping[str, str]) -> str:
    return env.get(PUBLIC_ROOTS_VAR) or default_ca_bundle()


def _ca_source(verify: bool | str, sso: SsoSettings, env: Mapping[str, str]) -> str:
    if verify is True:
        return "certifi (botocore's default)"
    if env.get("AWS_CA_BUNDLE") == verify:
        return "AWS_CA_BUNDLE"
    if sso.profile.get("ca_bundle") == verify:
        return f"ca_bundle in [profile {sso.profile.name}]"
    if env.get("REQUESTS_CA_BUNDLE") == verify:
        return "REQUESTS_CA_BUNDLE"
    return "botocore's configuration"


def _proxy_env_var(scheme: str, env: Mapping[str, str]) -> str | None:
    # urllib's getproxies_environment: the lower-case variable wins when both are set.
    for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY"):
        if env.get(name):
            return name
    return None


def proxy_for(url: str, proxy_config: Any, env: Mapping[str, str], secrets: Secrets) -> Proxy | None:
    """The proxy botocore's ProxyConfiguration picks for `url`, with the headers it would send."""
    raw = proxy_config.proxy_url_for(url)
    if not raw:
        return None
    headers = proxy_config.proxy_headers_for(raw)
    for v in headers.values():
        secrets.add(v)
    try:
        parts = urlsplit(raw)
        if parts.password:
            secrets.add(parts.password)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or ""
    except ValueError:
        host, port = "", 0
    return Proxy(
        url=mask_url_password(raw), scheme=urlsplit(raw).scheme, host=host, port=port,
        headers=tuple(headers.items()), env_var=_proxy_env_var(urlsplit(url).scheme, env),
    )


def _url_parts(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname or "", port, path


def _profile_key(sso: SsoSettings) -> tuple[Any, ...]:
    items = tuple(sorted((k, str(v.value)) for k, v in sso.values.items() if k not in _PER_ROLE_KEYS))
    return (sso.session_name, items)


def resolve(config: AwsConfig, selected: list[SsoSettings], env: Mapping[str, str], secrets: Secrets,
            timeout: float) -> Resolution:
    """Build botocore's clients for every selected SSO profile and list the URLs to probe."""
    import botocore.session
    from botocore.httpsession import ProxyConfiguration, get_cert_path
    from botocore.utils import get_environ_proxies

    deadline = time.monotonic() + max(0.1, timeout)  # no response body is read after this
    shared: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
    clients: dict[str, ProfileClients] = {}
    unresolved: list[Unresolved] = []
    targets: dict[tuple[Any, ...], Target] = {}
    loader = None

    def add(role: str, url: str, proxy: Proxy | None, verify: bool | str, source: str, sso: SsoSettings) -> None:
        scheme, host, port, path = _url_parts(url)
        if not host or scheme not in ("http", "https"):
            return
        ca = None
        if scheme == "https" and verify is not False:
            ca = get_cert_path(verify)
        t = Target(role, url, scheme, host, port, path, proxy, ca, source if ca else "", (sso.profile.name,),
                   sso.region or "")
        old = targets.get(t.key)
        if old is not None and sso.profile.name not in old.profiles:
            t = replace(old, profiles=old.profiles + (sso.profile.name,))
        elif old is not None:
            return
        targets[t.key] = t

    for sso in selected:
        name = sso.profile.name
        if not sso.start_url or not sso.region:
            unresolved.append(Unresolved(name, "it has no sso_start_url or sso_region (see SSO106/SSO107)"))
            continue
        try:
            key = _profile_key(sso)
            if key not in shared:
                session = botocore.session.Session(profile=name)
                session.set_config_variable("config_file", str(config.config.path))
                session.set_config_variable("credentials_file", str(config.credentials.path))
                if loader is None:
                    loader = session.get_component("data_loader")
                else:  # one loader: endpoint and model JSON is read once per run, not once per profile
                    session.register_component("data_loader", loader)
                cfg = client_config(timeout)
                oidc = bounded.install(session.create_client("sso-oidc", region_name=sso.region, config=cfg),
                                       deadline)
                portal = bounded.install(session.create_client("sso", region_name=sso.region, config=cfg),
                                         deadline)
                shared[key] = (session, oidc, portal)
            session, oidc, portal = shared[key]
        except Exception as e:  # noqa: BLE001 - botocore refuses the profile: say why, never crash
            unresolved.append(Unresolved(name, secrets.redact(f"botocore refused it: {type(e).__name__}: {e}")))
            continue
        http = portal._endpoint.http_session
        verify = http._verify
        source = _ca_source(verify, sso, env)
        sts_region = session.get_config_variable("region") or sso.region
        clients[name] = ProfileClients(name, sso, session, oidc, portal, sts_region, oidc.meta.endpoint_url,
                                       portal.meta.endpoint_url, verify)
        for role, client in (("oidc", oidc), ("portal", portal)):
            url = client.meta.endpoint_url
            pc = client._endpoint.http_session._proxy_config
            add(role, url, proxy_for(url, pc, env, secrets), verify, source, sso)
        start = sso.start_url.strip()
        if start.lower().startswith(("https://", "http://")):
            pc = ProxyConfiguration(proxies=get_environ_proxies(start))
            add("start-url", start, proxy_for(start, pc, env, secrets), verify, source, sso)

    return Resolution(tuple(targets.values()), clients, tuple(unresolved), public_roots(env))
