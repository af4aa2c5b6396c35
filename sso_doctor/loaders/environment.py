"""The environment variables that change what botocore and the AWS CLI do, as one frozen snapshot.

Secrets never become printable here: credential variables are recorded by presence only, and a proxy
URL's password is masked in every value we keep for display. Each secret is registered with the run's
`Secrets` so the CLI's last-line redaction catches it too.

Proxies follow botocore exactly. botocore asks urllib for them (`botocore.utils.get_environ_proxies`
-> `urllib.request.getproxies` / `proxy_bypass`), picks the entry for the request's URL scheme and
prefixes scheme-less values with `http://` (`botocore.httpsession.ProxyConfiguration`). urllib reads
`os.environ` itself, so for an arbitrary environment mapping we port its two-pass reading (lower-case
names win; an empty lower-case value removes the proxy) and hand the result to urllib's own
`proxy_bypass_environment` and botocore's own `ProxyConfiguration`. `tests/test_environment.py`
checks the port against the real functions on generated environments. (On macOS and Windows urllib
also asks the system proxy settings when no variable is set; we see only the environment.)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import NamedTuple

from sso_doctor.redact import MASK, Secrets, mask_url

PROFILE_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
# botocore's EnvProvider: AWS_SECURITY_TOKEN is the legacy spelling of AWS_SESSION_TOKEN.
CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
WEB_IDENTITY_VARS = ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME")
# The CA variables botocore reads, and the ones other tools read that botocore ignores.
BOTOCORE_CA_VARS = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")
IGNORED_CA_VARS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE")
ENDPOINT_PREFIX = "AWS_ENDPOINT_URL"
IGNORE_ENDPOINTS_VAR = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
# The proxy kinds people set; urllib reads every `<scheme>_proxy`, botocore uses only http and https.
PROXY_KINDS = ("https", "http", "no", "all")


class SecretStr:
    """A value that must not be printed: str(), repr() and f-strings show the mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for code that must use it (an online probe sending proxy auth)."""
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class ProxyVar(NamedTuple):
    """One `*_proxy` variable as set (either letter case). `shown` is safe to print."""

    name: str
    shown: str  # the value with any password masked
    value: SecretStr  # the value as set, for code that must connect through it
    has_password: bool

    @property
    def lower(self) -> bool:
        """urllib's second pass (the one that wins) takes names that end in lower-case `_proxy`."""
        return self.name.endswith("_proxy")


class ProxyProblem(NamedTuple):
    """Why botocore cannot use a proxy value: it fails on every request through it."""

    kind: str  # "unsupported-scheme" or "unparseable"
    detail: str
    suggestion: str | None  # a corrected value, already masked, when one is obvious


class ProxyChoice(NamedTuple):
    """What urllib (and so botocore) takes for one proxy kind after both letter cases are read."""

    kind: str  # https, http, no, all
    variable: ProxyVar | None  # the variable that wins; None when an empty lower-case one removed it
    candidates: tuple[ProxyVar, ...]  # every variable of this kind that is set, in environment order
    problem: ProxyProblem | None = None


class NoProxyEntry(NamedTuple):
    text: str
    unsupported: str | None  # "CIDR range" / "wildcard pattern" when urllib can never match it


class ProxyRoute(NamedTuple):
    """How botocore would reach one URL: directly, or through `proxy` (set by `variable`)."""

    url: str
    proxy: SecretStr | None  # the URL botocore connects to, after its `http://` fix-up
    proxy_shown: str | None
    variable: str | None
    bypassed: bool  # NO_PROXY matched


class EnvironmentSnapshot(NamedTuple):
    """The variables that matter to SSO, read once. Safe to print except through SecretStr fields."""

    profile: Mapping[str, str]  # AWS_PROFILE / AWS_DEFAULT_PROFILE as set (empty values included)
    region: Mapping[str, str]
    credentials_set: Mapping[str, bool]  # presence (non-empty) only, never the values
    web_identity: Mapping[str, str]
    endpoint_urls: Mapping[str, str]  # AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>, passwords masked
    ignore_configured_endpoints: str | None
    ca_vars: Mapping[str, str]  # AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, ... as set
    proxy_vars: tuple[ProxyVar, ...]  # every `*_proxy` variable, either case, in environment order
    proxies: Mapping[str, ProxyChoice]  # https, http, no, all: what urllib resolves
    no_proxy: tuple[NoProxyEntry, ...]
    cgi: bool  # REQUEST_METHOD is set: urllib then ignores upper-case HTTP_PROXY
    winners: Mapping[str, ProxyVar]  # every kind urllib resolves (ftp too): its getproxies() result

    def route(self, url: str) -> ProxyRoute:
        """How botocore would connect to `url` (what `create_endpoint` + `ProxyConfiguration` decide)."""
        return route_for(url, {k: v.value.reveal() for k, v in self.winners.items()},
                         {k: v.name for k, v in self.winners.items()})


# --- reading the environment --------------------------------------------------------------------


def load(env: Mapping[str, str], secrets: Secrets) -> EnvironmentSnapshot:
    """Snapshot the SSO-relevant variables of `env`, registering every secret value with `secrets`."""
    for name in CREDENTIAL_VARS[1:]:  # the key id is an identifier; the rest are secrets
        secrets.add(env.get(name))

    proxy_vars = tuple(_proxy_var(name, value, secrets) for name, value in env.items() if _is_proxy_name(name))
    cgi = "REQUEST_METHOD" in env
    winners, candidates = _resolve(proxy_vars, cgi)
    proxies = {
        kind: ProxyChoice(kind, winners.get(kind), tuple(candidates.get(kind, ())),
                          _problem(winners[kind]) if kind in ("https", "http") and kind in winners else None)
        for kind in PROXY_KINDS
        if candidates.get(kind)
    }
    no_proxy_var = winners.get("no")
    no_proxy = tuple(_no_proxy_entries(no_proxy_var.value.reveal())) if no_proxy_var else ()

    endpoints = {}
    for name, value in env.items():
        if name == ENDPOINT_PREFIX or name.startswith(ENDPOINT_PREFIX + "_"):
            endpoints[name] = secrets.add_url(value) or value

    return EnvironmentSnapshot(
        profile={n: env[n] for n in PROFILE_VARS if n in env},
        region={n: env[n] for n in REGION_VARS if n in env},
        credentials_set={n: bool(env.get(n)) for n in CREDENTIAL_VARS if n in env},
        web_identity={n: env[n] for n in WEB_IDENTITY_VARS if n in env},
        endpoint_urls=dict(sorted(endpoints.items())),
        ignore_configured_endpoints=env.get(IGNORE_ENDPOINTS_VAR),
        ca_vars={n: env[n] for n in BOTOCORE_CA_VARS + IGNORED_CA_VARS if n in env},
        proxy_vars=proxy_vars,
        proxies=proxies,
        no_proxy=no_proxy,
        cgi=cgi,
        winners=winners,
    )


def _is_proxy_name(name: str) -> bool:
    # urllib's first pass: any variable whose lower-cased name ends in `_proxy`
    return name.lower().endswith("_proxy")


def _proxy_var(name: str, value: str, secrets: Secrets) -> ProxyVar:
    shown, found = _masked(value)
    secrets.add_url(value)
    return ProxyVar(name=name, shown=shown, value=SecretStr(value), has_password=bool(found))


def _masked(value: str) -> tuple[str, list[str]]:
    """(value with any URL password masked, the password spellings to register as secrets): the one
    URL masking of sso_doctor.redact, used for every URL from any source."""
    return mask_url(value)


def _resolve(proxy_vars: tuple[ProxyVar, ...], cgi: bool) -> tuple[dict[str, ProxyVar], dict[str, list[ProxyVar]]]:
    """urllib.request.getproxies_environment on our snapshot: which variable wins for each kind.

    Pass one takes any letter case; pass two only names ending in lower-case `_proxy`, and there an
    empty value removes the kind. Under CGI (REQUEST_METHOD set) pass one's `http` is dropped.
    """
    winners: dict[str, ProxyVar] = {}
    candidates: dict[str, list[ProxyVar]] = {}
    for var in proxy_vars:
        kind = var.name.lower()[:-6]
        candidates.setdefault(kind, []).append(var)
        if var.value.reveal():
            winners[kind] = var
    if cgi:
        winners.pop("http", None)
    for var in proxy_vars:
        if var.lower:
            kind = var.name.lower()[:-6]
            if var.value.reveal():
                winners[kind] = var
            else:
                winners.pop(kind, None)
    return winners, candidates


# --- what botocore makes of a proxy value -------------------------------------------------------


def _problem(var: ProxyVar) -> ProxyProblem | None:
    """Why botocore's urllib3 cannot use this proxy value, or None when it can."""
    from botocore.httpsession import ProxyConfiguration
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    raw = var.value.reveal()
    fixed = ProxyConfiguration(proxies={"https": raw}).proxy_url_for("https://example.com")
    scheme_match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", raw)
    if scheme_match and not raw.startswith(("http:", "https:")):
        scheme = scheme_match.group(1)
        # botocore only leaves values starting with `http:`/`https:` alone; it turns `socks5://h` into
        # `http://socks5://h` and `HTTP://h` into `http://HTTP://h`, then fails to connect
        if scheme.lower() in ("http", "https"):
            suggestion = _masked(scheme.lower() + raw[len(scheme):])[0]
            detail = f"the scheme must be lower-case '{scheme.lower()}://' (botocore compares it case-sensitively)"
        else:
            suggestion = None
            detail = f"botocore supports only http:// and https:// proxies, not {scheme}://"
        return ProxyProblem("unsupported-scheme", detail, suggestion)
    if raw != raw.strip():
        return ProxyProblem("unparseable", "the value has leading or trailing whitespace",
                            _masked(raw.strip())[0])
    try:
        parsed = parse_url(fixed)
    except LocationParseError as e:
        return ProxyProblem("unparseable", _parse_error_text(e, var), None)
    except ValueError as e:
        return ProxyProblem("unparseable", _parse_error_text(e, var), None)
    if not parsed.host:
        return ProxyProblem("unparseable", "it names no proxy host", None)
    return None


def _parse_error_text(e: Exception, var: ProxyVar) -> str:
    text = str(e)
    _, found = _masked(var.value.reveal())
    for s in sorted(found, key=len, reverse=True):
        text = text.replace(s, MASK)
    return f"urllib3 cannot parse it ({text})"


def _no_proxy_entries(value: str) -> list[NoProxyEntry]:
    out = []
    if value.strip() == "*":
        return [NoProxyEntry("*", None)]
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        out.append(NoProxyEntry(entry, _unsupported_no_proxy(entry)))
    return out


def _unsupported_no_proxy(entry: str) -> str | None:
    """urllib matches NO_PROXY entries only as host names or dotted suffixes."""
    if "/" in entry:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return None
        return "CIDR range"
    if "*" in entry:
        return "wildcard pattern"
    return None


# --- routing one URL, as botocore does ----------------------------------------------------------


def route_for(url: str, urllib_proxies: Mapping[str, str], names: Mapping[str, str] | None = None) -> ProxyRoute:
    """botocore's create_endpoint + ProxyConfiguration.proxy_url_for, on an explicit proxies dict.

    `urllib_proxies` is what `urllib.request.getproxies()` would return (see `EnvironmentSnapshot`).
    """
    from urllib.parse import urlparse
    from urllib.request import proxy_bypass_environment

    from botocore.httpsession import ProxyConfiguration

    proxies = dict(urllib_proxies)
    bypassed = False
    if proxies:
        try:
            # botocore.utils.should_bypass_proxies, with urllib's environment test on our dict
            bypassed = bool(proxy_bypass_environment(urlparse(url).netloc, proxies))
        except (TypeError, OSError):
            bypassed = False
    chosen = {} if bypassed else proxies
    proxy = ProxyConfiguration(proxies=chosen).proxy_url_for(url)
    scheme = urlparse(url).scheme
    if not proxy:
        return ProxyRoute(url, None, None, None, bypassed)
    return ProxyRoute(url, SecretStr(proxy), _masked(proxy)[0], (names or {}).get(scheme), bypassed)


def proxies_from_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`urllib.request.getproxies_environment()` for an explicit mapping instead of os.environ."""
    vars_ = tuple(ProxyVar(n, n, SecretStr(v), False) for n, v in env.items() if _is_proxy_name(n))
    winners, _ = _resolve(vars_, "REQUEST_METHOD" in env)
    return {k: v.value.reveal() for k, v in winners.items()}

