"""Values AWS tools accept: regions and partitions (from botocore's data), access-portal start URLs,
account ids, and values that carry an inline comment.

Regions: botocore builds every endpoint from `partitions.json` (via `Loader.load_data("partitions")` in
`botocore.client`), so that file is the authority on which region names exist. It is package data,
loaded once per process (about 1 ms after botocore.loaders is imported). We read only botocore's own
data directory, not `~/.aws/models` or `AWS_DATA_PATH`: rules must not read files under HOME, and a
hand-written partitions override there is vanishingly rare.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from sso_doctor.text import closest

# Region names botocore lists that are not real regions: `aws-global`, `aws-cn-global`, ... They only
# select a partition's global endpoint (STS, IAM); no regional service such as IAM Identity Center
# answers there.
_PSEUDO_SUFFIX = "-global"

# An availability zone pasted in place of a region: us-east-1a, use1-az1 is not handled (no guess).
_AZ = re.compile(r"^([a-z]{2,}(?:-[a-z]+)+-\d+)[a-z]$")


class Partition(NamedTuple):
    id: str
    dns_suffix: str
    region_regex: str
    regions: frozenset[str]  # real regions only
    pseudo_regions: frozenset[str]  # aws-global and friends

    def matches(self, region: str) -> bool:
        """botocore's own test (RuleSetStandardLibrary.is_partition_match): listed, or regex."""
        return region in self.regions or region in self.pseudo_regions or bool(re.match(self.region_regex, region))


@functools.cache
def _partition_data() -> dict[str, Any]:
    """botocore's own data/partitions.json, the file its Loader reads (BUILTIN_DATA_PATH).

    Read directly: importing botocore.loaders pulls in botocore.compat (urllib3, http.client), ~0.1 s
    on every offline run. tests/test_config_values.py holds this to `Loader().load_data("partitions")`.
    """
    import importlib.util
    import json
    import os

    # botocore's package folder, found without running its __init__ (which the offline path skips)
    spec = importlib.util.find_spec("botocore")
    folder = next(iter(spec.submodule_search_locations or ())) if spec else None
    if folder is None:  # pragma: no cover - botocore is a dependency; import it to say why not
        import botocore

        folder = os.path.dirname(botocore.__file__)
    path = os.path.join(folder, "data", "partitions.json")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def partitions() -> tuple[Partition, ...]:
    """Every partition of botocore's partitions.json, in botocore's order (aws first)."""
    out = []
    for p in _partition_data()["partitions"]:
        names = set(p.get("regions", {}))
        pseudo = {n for n in names if n.endswith(_PSEUDO_SUFFIX)}
        out.append(Partition(
            id=p["id"],
            dns_suffix=p.get("outputs", {}).get("dnsSuffix", ""),
            region_regex=p["regionRegex"],
            regions=frozenset(names - pseudo),
            pseudo_regions=frozenset(pseudo),
        ))
    return tuple(out)


@functools.cache
def known_regions() -> tuple[str, ...]:
    """Every real region botocore lists, sorted."""
    return tuple(sorted(r for p in partitions() for r in p.regions))


@functools.cache
def _directions() -> frozenset[str]:
    """The compass words real region names use (east, northeast, central, ...)."""
    return frozenset(r.rsplit("-", 2)[-2] for r in known_regions() if r.count("-") >= 2)


def partition_of(region: str) -> Partition | None:
    """The partition botocore would pick for a region, or None where botocore falls back to `aws`
    only because nothing matched."""
    for p in partitions():
        if p.matches(region):
            return p
    return None


def partition_by_id(partition_id: str) -> Partition | None:
    for p in partitions():
        if p.id == partition_id:
            return p
    return None


class RegionVerdict(NamedTuple):
    """What a region value is worth.

    status:
      valid     listed in botocore's partition data
      pseudo    a listed pseudo-region such as aws-global (only valid where allowed)
      unlisted  has the shape of a region of a partition (its regionRegex, with a real compass word)
                but this botocore does not list it: a region newer than botocore, or a typo
      invalid   anything else (typo, quotes, upper case, a comment, empty)
    """

    status: str
    suggestions: tuple[str, ...] = ()
    reason: str = ""


@functools.lru_cache(maxsize=4096)
def judge_region(value: str, allow_pseudo: bool = False) -> RegionVerdict:
    """Judge one region value exactly as written in the file (no stripping: botocore strips nothing)."""
    known = set(known_regions())
    if value in known:
        return RegionVerdict("valid")
    if value and any(value in p.pseudo_regions for p in partitions()):
        if allow_pseudo:
            return RegionVerdict("valid")
        part = partition_of(value)
        return RegionVerdict("pseudo", (), f'"{value}" is a pseudo-region botocore uses for the global endpoints'
                             f"{' of the ' + part.id + ' partition' if part else ''} (STS, IAM), and IAM "
                             "Identity Center lives in one real region")
    if not value.strip():
        return RegionVerdict("invalid", (), "it is empty")
    cleaned = normalise_region(value)
    if cleaned in known:
        return RegionVerdict("invalid", (cleaned,), _why_not(value))
    part = partition_of(value)
    if part is not None and value.count("-") >= 2 and value.rsplit("-", 2)[-2] in _directions():
        return RegionVerdict(
            "unlisted", _best_matches(value, known, cutoff=0.8),
            f"botocore's partition data lists no region \"{value}\" (it has the shape of a region of the {part.id} "
            "partition)",
        )
    az = _AZ.match(cleaned)
    if az and az.group(1) in known:
        return RegionVerdict("invalid", (az.group(1),), f'"{value}" is an availability zone, not a region')
    return RegionVerdict("invalid", _best_matches(cleaned, known, cutoff=0.75), _why_not(value))


def _best_matches(value: str, pool: set[str], cutoff: float) -> tuple[str, ...]:
    """The closest region, or every region tied for closest (`us-east` -> us-east-1, us-east-2), so a
    single suggestion is only made when it is unambiguous."""
    hits = closest(value, pool, n=3, cutoff=cutoff)
    if not hits:
        return ()
    from difflib import SequenceMatcher

    scores = {h: SequenceMatcher(None, value, h).ratio() for h in hits}
    top = max(scores.values())
    return tuple(sorted(h for h in hits if scores[h] >= top - 0.01))


def normalise_region(value: str) -> str:
    """The region a person probably meant: no inline comment, quotes or spaces, lower case, dashes."""
    head = strip_inline_comment(value)
    head = head.strip().strip("\"'").strip()
    return re.sub(r"[\s_]+", "-", head.lower())


def _why_not(value: str) -> str:
    if strip_inline_comment(value) != value:
        return "botocore keeps the inline comment as part of the value"
    if any(q in value for q in "\"'"):
        return "botocore keeps the quotes as part of the value"
    if value != value.lower():
        return "region names are lower case"
    if any(c.isspace() for c in value):
        return "region names contain no spaces"
    return "it is not a region in botocore's partition data"


_INLINE_COMMENT = re.compile(r"\s[#;]")


def strip_inline_comment(value: str) -> str:
    """The part of a value before ` #` or ` ;` (configparser keeps the rest as part of the value)."""
    m = _INLINE_COMMENT.search(value)
    return value[: m.start()].rstrip() if m else value


def has_inline_comment(value: str) -> bool:
    return ("#" in value or ";" in value) and _INLINE_COMMENT.search(value) is not None


# --- access-portal start URLs ---------------------------------------------------------------------

# Hosts AWS serves access portals from (aws-facts.md). Anything else is a company's own "vanity"
# URL that redirects to one of these, or a mistake.
AWS_PORTAL_SUFFIXES = (
    ".awsapps.com", ".awsapps.cn", ".app.aws",
    ".portal.amazonaws.com", ".portal.amazonaws.com.cn", ".portal.amazonaws.eu",
)
AWS_PORTAL_HOSTS = frozenset({
    "identitycenter.amazonaws.com", "identitycenter.amazonaws.com.cn", "identitycenter.amazonaws.eu",
    "identitycenter.us-gov.amazonaws.com",
})

# Sign-in pages of identity providers people paste instead of the AWS access portal URL.
IDENTITY_PROVIDER_HOSTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Okta", ("okta.com", "oktapreview.com", "okta-emea.com", "okta-gov.com")),
    ("Microsoft Entra ID (Azure AD)", (
        "login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn",
        "login.microsoft.com", "login.windows.net", "sts.windows.net", "myapps.microsoft.com",
        "myapplications.microsoft.com", "account.activedirectory.windowsazure.com",
    )),
    ("Google", ("accounts.google.com",)),
    ("OneLogin", ("onelogin.com",)),
    ("Ping Identity", ("pingidentity.com", "pingone.com", "pingone.eu", "pingone.asia", "pingone.ca",
                       "pingone.com.au")),
    ("JumpCloud", ("jumpcloud.com",)),
    ("Auth0", ("auth0.com",)),
    ("Duo", ("duosecurity.com",)),
    ("CyberArk", ("cyberark.cloud", "idaptive.app")),
)
# Self-hosted identity providers recognisable by their path.
IDENTITY_PROVIDER_PATHS = (("AD FS", "/adfs/"), ("Shibboleth", "/idp/profile/"))

# AWS pages that are not the access portal.
_AWS_NOT_PORTAL = (
    (re.compile(r"^(.+\.)?(console|signin)\.aws\.amazon\.com$"), "the AWS Management Console sign-in page"),
    (re.compile(r"^oidc\.[a-z0-9-]+\.amazonaws\.(com|com\.cn|eu)$"), "the IAM Identity Center OIDC API endpoint"),
    (re.compile(r"^portal\.sso\.[a-z0-9-]+\.amazonaws\.(com|com\.cn|eu)$"), "the IAM Identity Center portal API endpoint"),
    (re.compile(r"^device\.sso\.[a-z0-9-]+\.amazonaws\.(com|com\.cn|eu)$"), "the device-code verification page"),
)

START_URL_SHAPES = "https://d-xxxxxxxxxx.awsapps.com/start or https://ssoins-xxxxxxxxxxxxxxxx.portal.<region>.app.aws"


def _host_is(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def is_aws_portal_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in AWS_PORTAL_HOSTS or host.endswith(AWS_PORTAL_SUFFIXES)


def identity_provider(host: str, path: str) -> str | None:
    """The identity provider whose sign-in URL this is, if it is one we recognise."""
    host = host.lower().rstrip(".")
    for name, domains in IDENTITY_PROVIDER_HOSTS:
        if any(_host_is(host, d) for d in domains):
            return name
    for name, marker in IDENTITY_PROVIDER_PATHS:
        if marker in path.lower():
            return name
    return None


class StartUrlVerdict(NamedTuple):
    """errors/warnings: short reasons; suggestion: the corrected URL when it can be derived."""

    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    suggestion: str | None = None
    identity_provider: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.warnings


@functools.lru_cache(maxsize=4096)
def judge_start_url(value: str) -> StartUrlVerdict:
    """Judge a start URL exactly as written (botocore passes it on, and hashes it, unchanged)."""
    from urllib.parse import urlsplit

    errors: list[str] = []
    warnings: list[str] = []
    if not value.strip():
        return StartUrlVerdict(("it is empty",))
    url = value
    if any(q in url for q in "\"'"):
        errors.append("botocore keeps the quotes as part of the value")
        url = url.strip().strip("\"'").strip()
    if any(c.isspace() for c in url):
        errors.append("it contains whitespace")
        url = url.split()[0] if url.split() else ""
    if "://" not in url:
        errors.append("it is not an absolute URL (no https://)")
        url = "https://" + url.lstrip("/")
    else:
        scheme, rest = url.split("://", 1)
        if scheme.lower() != "https":
            errors.append(f"it uses {scheme}:// instead of https://")
        elif scheme != "https":
            warnings.append("the scheme is not written in lower case")
        url = "https://" + rest
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or not host or "." not in host:
        return StartUrlVerdict(tuple(errors) + ("it has no valid host name",))
    idp = identity_provider(host, parts.path)
    if idp:
        errors.append(f"it is the sign-in page of your identity provider ({idp}), not the AWS access portal URL of "
                      "your IAM Identity Center instance")
        return StartUrlVerdict(tuple(errors), tuple(warnings), None, idp)
    for pattern, what in _AWS_NOT_PORTAL:
        if pattern.match(host):
            errors.append(f"it is {what}, not the AWS access portal")
            return StartUrlVerdict(tuple(errors), tuple(warnings))
    if not is_aws_portal_host(host):
        warnings.append(
            f"its host {host} is not an AWS access-portal host (a company vanity URL that redirects to the portal?)"
        )
    if "#" in url:
        warnings.append("it carries a '#' fragment")
        url = url.split("#", 1)[0]
    if url.endswith("/"):
        warnings.append("it ends with '/'")
        url = url.rstrip("/")
    return StartUrlVerdict(tuple(errors), tuple(warnings), url if url != value else None)


_APP_AWS_HOST = re.compile(r"^[^.]+\.portal\.([a-z0-9-]+)\.app\.aws$")


class StartUrlHome(NamedTuple):
    """Where a start URL says the Identity Center instance lives: a region, or only a partition."""

    region: str | None
    partition: str
    reason: str


def start_url_home(value: str) -> StartUrlHome | None:
    """The region or partition a start URL names, or None when its shape does not tell."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(value.strip()).hostname or "").rstrip(".")
    except ValueError:
        return None
    m = _APP_AWS_HOST.match(host)
    if m:
        region = m.group(1)
        part = partition_of(region)
        if region not in known_regions() or part is None:
            return None
        return StartUrlHome(region, part.id, f"the host {host} names the region {region}")
    if host.endswith(".us-gov-home.awsapps.com") or host == "identitycenter.us-gov.amazonaws.com":
        return StartUrlHome(None, "aws-us-gov", f"{host} is an AWS GovCloud (US) portal host")
    if host.endswith((".awsapps.cn", ".portal.amazonaws.com.cn")) or host == "identitycenter.amazonaws.com.cn":
        return StartUrlHome(None, "aws-cn", f"{host} is an AWS China portal host")
    if host.endswith(".portal.amazonaws.eu") or host == "identitycenter.amazonaws.eu":
        return StartUrlHome(None, "aws-eusc", f"{host} is an AWS European Sovereign Cloud portal host")
    return None


# --- account ids --------------------------------------------------------------------------------------


class AccountIdVerdict(NamedTuple):
    ok: bool
    suggestion: str | None = None
    reason: str = ""


@functools.lru_cache(maxsize=4096)
def judge_account_id(value: str) -> AccountIdVerdict:
    """An AWS account id is exactly 12 ASCII digits; say what went wrong and what was probably meant."""
    if re.fullmatch(r"[0-9]{12}", value):
        return AccountIdVerdict(True)
    if not value.strip():
        return AccountIdVerdict(False, None, "it is empty")
    digits = re.sub(r"[\s\"'\-]", "", value)
    if re.fullmatch(r"[0-9]{12}", digits):
        if any(q in value for q in "\"'"):
            reason = "botocore keeps the quotes as part of the value"
        elif "-" in value:
            reason = "it contains dashes (the console shows ids as 1234-5678-9012; the config needs the bare digits)"
        else:
            reason = "it contains spaces"
        return AccountIdVerdict(False, digits, reason)
    if re.fullmatch(r"[0-9]{1,11}", digits):
        return AccountIdVerdict(
            False, digits.zfill(12),
            f"it has {len(digits)} digits, not 12 (leading zeros lost, e.g. by a spreadsheet or a YAML/JSON number?)",
        )
    if re.fullmatch(r"[0-9.]+[eE]\+?[0-9]+", digits):
        return AccountIdVerdict(False, None, "it is in scientific notation (a spreadsheet mangled it)")
    if re.fullmatch(r"[0-9]{13,}", digits):
        return AccountIdVerdict(False, None, f"it has {len(digits)} digits, not 12")
    return AccountIdVerdict(False, None, "it is not a 12-digit number")
