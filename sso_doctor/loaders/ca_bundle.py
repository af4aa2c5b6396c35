"""The CA bundle botocore will verify TLS with, and what is in it.

Which file (installed botocore, checked by tests/test_ca_bundle.py against real clients):
  1. an explicit `verify=` / `--ca-bundle` (session.create_client's argument);
  2. `AWS_CA_BUNDLE`, then the profile's `ca_bundle` (the `ca_bundle` config variable:
     botocore.configprovider, env before config file; an empty variable still counts as set);
  3. `REQUESTS_CA_BUNDLE` (endpoint.EndpointCreator._get_verify_value, read from the environment);
  4. certifi's bundle (`httpsession.get_cert_path` -> `certifi.where()`).
`SSL_CERT_FILE`, `SSL_CERT_DIR`, `CURL_CA_BUNDLE` and the OS trust store are never consulted. A blank
value raises "Invalid CA bundle: ... resolved to an empty or whitespace-only string" (botocore >=
1.43.54). Paths are used as given: botocore expands neither `~` nor `$VAR`.

What it holds: we load the file with the same call urllib3 makes (`SSLContext.load_verify_locations
(cafile=...)`), so "botocore can load it" is OpenSSL's verdict, not ours; the `cryptography` package
then reads each certificate for its names and dates.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import functools
import hashlib
import os
import re
import stat
import warnings
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple

from sso_doctor.loaders.aws_config import Profile

# certifi's bundle is ~300 KiB and the biggest real corporate bundles are 1-2 MiB. Above this we do
# not read the certificates (that costs ~0.1 s of CPU per MiB): SSO304 says the bundle is too large
# to check, and why its size is a problem of its own.
MAX_BUNDLE_BYTES = 8 * 1024 * 1024

AMAZON_ROOTS = frozenset({
    ("Amazon Root CA 1", "Amazon"),
    ("Amazon Root CA 2", "Amazon"),
    ("Amazon Root CA 3", "Amazon"),
    ("Amazon Root CA 4", "Amazon"),
    ("Starfield Services Root Certificate Authority - G2", "Starfield Technologies, Inc."),
})

# Sources, in botocore's order.
SOURCE_VERIFY = "verify"
SOURCE_AWS_CA_BUNDLE = "AWS_CA_BUNDLE"
SOURCE_PROFILE = "profile"
SOURCE_REQUESTS_CA_BUNDLE = "REQUESTS_CA_BUNDLE"
SOURCE_CERTIFI = "certifi"


class BundleChoice(NamedTuple):
    """The CA bundle botocore resolves for one profile, and which setting chose it."""

    source: str  # verify, AWS_CA_BUNDLE, profile, REQUESTS_CA_BUNDLE or certifi
    value: str | None  # the setting as written (None: verification is off, verify=False)
    path: str | None  # the file botocore opens (value itself: no ~ or $ expansion), None if blank/off
    profile: str | None = None  # the profile whose `ca_bundle` chose it
    config_path: str | None = None  # the file and line of that `ca_bundle` key
    config_line: int | None = None
    config_section: str | None = None

    @property
    def env_var(self) -> str | None:
        return self.source if self.source in (SOURCE_AWS_CA_BUNDLE, SOURCE_REQUESTS_CA_BUNDLE) else None

    @property
    def blank(self) -> bool:
        """botocore raises InvalidConfigError for an empty or whitespace-only value."""
        return isinstance(self.value, str) and not self.value.strip()

    @property
    def is_default(self) -> bool:
        return self.source == SOURCE_CERTIFI

    def describe(self) -> str:
        """Where the setting came from, for a message."""
        if self.source == SOURCE_PROFILE:
            return f'the ca_bundle of profile "{self.profile}"'
        if self.source == SOURCE_CERTIFI:
            return "certifi's default bundle"
        if self.source == SOURCE_VERIFY:
            return "the explicit verify / --ca-bundle value"
        return self.source


def effective_bundle(
    env: Mapping[str, str],
    profile: Profile | None = None,
    verify: bool | str | None = None,
    cwd: str | None = None,
) -> BundleChoice:
    """The CA bundle botocore uses for a client of `profile` in `env` (and an explicit `verify`).

    The online probes call this to verify TLS exactly as botocore would.
    """
    if verify is False:
        return BundleChoice(SOURCE_VERIFY, None, None)
    if isinstance(verify, str):
        return BundleChoice(SOURCE_VERIFY, verify, _path(verify, cwd))
    if SOURCE_AWS_CA_BUNDLE in env:
        value = env[SOURCE_AWS_CA_BUNDLE]
        return BundleChoice(SOURCE_AWS_CA_BUNDLE, value, _path(value, cwd))
    if profile is not None and profile.has("ca_bundle"):
        v = profile.values["ca_bundle"]
        value = v.value if isinstance(v.value, str) else ""
        return BundleChoice(SOURCE_PROFILE, value, _path(value, cwd), profile=profile.name,
                            config_path=str(v.path), config_line=v.line, config_section=v.section)
    if SOURCE_REQUESTS_CA_BUNDLE in env:
        value = env[SOURCE_REQUESTS_CA_BUNDLE]
        return BundleChoice(SOURCE_REQUESTS_CA_BUNDLE, value, _path(value, cwd))
    path = certifi_path()
    return BundleChoice(SOURCE_CERTIFI, path, path)


def _path(value: str, cwd: str | None) -> str | None:
    if not value.strip():
        return None
    # botocore hands the string to OpenSSL as is: relative to the process's working directory
    return value if os.path.isabs(value) or cwd is None else os.path.join(cwd, value)


@functools.cache
def certifi_path() -> str:
    """The bundle botocore falls back to: `botocore.httpsession.where()`.

    That is `certifi.where()`, or botocore's own `cacert.pem` when certifi is missing. Repeated here
    because importing botocore.httpsession (urllib3 and all) costs ~0.2 s on every offline run;
    tests/test_ca_bundle.py checks that both give the same path.
    """
    import importlib.util

    # certifi.where() is its package's cacert.pem; importing certifi to ask (importlib.resources,
    # zipfile, tempfile) costs more than the rest of the CA checks, so look for the file first.
    spec = importlib.util.find_spec("certifi")
    if spec is None:  # pragma: no cover - certifi is a dependency of sso-doctor
        import botocore

        return os.path.join(os.path.dirname(botocore.__file__), "cacert.pem")
    for folder in spec.submodule_search_locations or ():
        candidate = os.path.join(folder, "cacert.pem")
        if os.path.isfile(candidate):
            return candidate
    from certifi import where  # a zipped install: certifi extracts the file

    return where()


# --- inspecting a bundle --------------------------------------------------------------------------


class Certificate(NamedTuple):
    subject: str  # RFC 4514
    issuer: str
    common_name: str | None
    organization: str | None
    not_before: dt.datetime
    not_after: dt.datetime
    self_signed: bool
    is_ca: bool | None  # basicConstraints cA, None when the extension is absent
    sha256: str  # of the DER encoding
    line: int  # of its BEGIN line in the bundle
    public: bool  # the very same certificate is in certifi's bundle
    amazon_root: bool  # Amazon Root CA 1-4 or Starfield Services Root CA - G2

    @property
    def name(self) -> str:
        return self.common_name or self.organization or self.subject

    def expired(self, now: dt.datetime) -> bool:
        return self.not_after < now


class BundleFile(NamedTuple):
    """What is at a CA bundle path, as OpenSSL and botocore will find it.

    state: ok, missing, dangling-link, unreadable, directory, not-a-file, too-large, empty, der,
    not-pem, no-certificates, damaged (a PEM block OpenSSL rejects).
    """

    path: str
    state: str
    reason: str | None = None  # unreadable: the OS's reason; damaged: what is wrong
    line: int | None = None  # damaged: the line of the first bad block
    labels: tuple[str, ...] = ()  # PEM block labels seen (no-certificates: what it holds instead)
    openssl_error: str | None = None
    size: int | None = None
    certificates: tuple[Certificate, ...] = ()
    detailed: bool = True  # False: OpenSSL loaded it and we did not read the certificates

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def has_public_root(self) -> bool:
        return any(c.public or c.amazon_root for c in self.certificates)

    def all_expired(self, now: dt.datetime) -> bool:
        return bool(self.certificates) and all(c.expired(now) for c in self.certificates)


_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n?(.*?)-----END \1-----", re.DOTALL)
_PEM_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_CERT_LABELS = (b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CERTIFICATE")


def inspect(path: str | os.PathLike[str], details: bool = True) -> BundleFile:
    """Read the bundle at `path` the way OpenSSL will, and describe every certificate in it.

    With `details=False` (certifi's own bundle, 120 certificates we have no reason to read on every
    run) a file that holds PEM certificates is taken as is; only a suspicious one goes to OpenSSL.
    """
    p = str(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return BundleFile(p, "dangling-link" if os.path.islink(p) else "missing")
    except OSError as e:
        return BundleFile(p, "unreadable", reason=_os_reason(e))
    except ValueError:  # a NUL byte in a ca_bundle value from the config file
        return BundleFile(p, "unreadable", reason="the path contains a NUL byte")
    if stat.S_ISDIR(st.st_mode):
        return BundleFile(p, "directory")
    if not stat.S_ISREG(st.st_mode):
        # a FIFO or a device: opening it could block forever
        return BundleFile(p, "not-a-file")
    if st.st_size > MAX_BUNDLE_BYTES:
        return BundleFile(p, "too-large", size=st.st_size)
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_BUNDLE_BYTES + 1)
    except OSError as e:
        return BundleFile(p, "unreadable", reason=_os_reason(e))
    if not details and b"-----BEGIN CERTIFICATE-----" in data:
        return BundleFile(p, "ok", size=len(data), detailed=False)
    return _inspect_bytes(p, data, _openssl_verdict(p))


def _openssl_verdict(path: str) -> str | None:
    """None when OpenSSL loads the file as urllib3 will, else OpenSSL's error text."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=path)
    except ssl.SSLError as e:
        return _ssl_error_text(e)
    except OSError as e:
        return e.strerror or str(e)
    if not context.cert_store_stats().get("x509"):
        return "no certificate loaded"
    return None


def _ssl_error_text(e: Exception) -> str:
    # "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found (_ssl.c:4154)" -> without the C location
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", str(e))


def _inspect_bytes(path: str, data: bytes, openssl_error: str | None) -> BundleFile:
    size = len(data)
    if not data.strip():
        return BundleFile(path, "empty", size=size, openssl_error=openssl_error)
    blocks = list(_PEM_BLOCK.finditer(data))
    labels = tuple(dict.fromkeys(m.group(1).decode() for m in _PEM_BEGIN.finditer(data)))
    if openssl_error is not None:
        if not labels:
            state = "der" if _is_der_certificate(data) else "not-pem"
            return BundleFile(path, state, size=size, openssl_error=openssl_error)
        if not any(label.encode() in _CERT_LABELS for label in labels):
            return BundleFile(path, "no-certificates", labels=labels, size=size, openssl_error=openssl_error)
        line, reason = _first_damaged_block(data, blocks)
        return BundleFile(path, "damaged", reason=reason, line=line, labels=labels, size=size,
                          openssl_error=openssl_error)
    certs = tuple(_certificates(data, blocks))
    if not certs:
        # OpenSSL loaded something (a CRL, say) but no certificate we can read
        return BundleFile(path, "no-certificates", labels=labels, size=size)
    return BundleFile(path, "ok", labels=labels, size=size, certificates=certs)


def _is_der_certificate(data: bytes) -> bool:
    from cryptography import x509

    if not data.startswith(b"\x30"):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x509.load_der_x509_certificate(data)
    except ValueError:
        return False
    return True


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _first_damaged_block(data: bytes, blocks: list[re.Match[bytes]]) -> tuple[int | None, str]:
    """The first certificate block OpenSSL would choke on: unterminated, or not valid base64/DER."""
    from cryptography import x509

    closed = {m.start() for m in blocks}
    for begin in _PEM_BEGIN.finditer(data):
        if begin.start() not in closed:
            return _line_of(data, begin.start()), f"the {begin.group(1).decode()} block has no END line (truncated)"
    for m in blocks:
        if m.group(1) not in _CERT_LABELS:
            continue
        try:
            der = base64.b64decode(_base64_body(m.group(2)), validate=True)
        except ValueError:
            return _line_of(data, m.start()), "a certificate block is not valid base64"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x509.load_der_x509_certificate(der)
        except ValueError:
            return _line_of(data, m.start()), "a certificate block does not hold a valid certificate"
    return None, "OpenSSL rejects the PEM data"


def _base64_body(body: bytes) -> bytes:
    # RFC 7468 text: drop header lines ("Proc-Type: ...") and whitespace
    lines = [ln for ln in body.splitlines() if b":" not in ln]
    return b"".join(b"".join(lines).split())


def _certificates(data: bytes, blocks: Iterable[re.Match[bytes]]) -> Iterable[Certificate]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    public = _certifi_fingerprints()
    # Line numbers counted on from the previous block: counting from the top for every certificate
    # made a 30 MB bundle quadratic (minutes).
    line, counted_to = 1, 0
    for m in blocks:
        if m.group(1) not in _CERT_LABELS:
            continue
        line += data.count(b"\n", counted_to, m.start())
        counted_to = m.start()
        # Real bundles hold roots with negative serial numbers; cryptography warns about those when the
        # certificate is loaded *and* when its extensions are read, so both stay inside the filter
        # (the warning would otherwise reach the user's stderr).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                der = base64.b64decode(_base64_body(m.group(2)))
                cert = x509.load_der_x509_certificate(der)
            except ValueError:
                continue
            cn = _name_attr(cert.subject, NameOID.COMMON_NAME)
            org = _name_attr(cert.subject, NameOID.ORGANIZATION_NAME)
            try:
                bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
                is_ca: bool | None = bc.ca
            except (x509.ExtensionNotFound, ValueError):
                is_ca = None
        fingerprint = hashlib.sha256(der).hexdigest()
        yield Certificate(
            subject=cert.subject.rfc4514_string(),
            issuer=cert.issuer.rfc4514_string(),
            common_name=cn,
            organization=org,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            self_signed=cert.subject == cert.issuer,
            is_ca=is_ca,
            sha256=fingerprint,
            line=line,
            public=fingerprint in public,
            amazon_root=(cn, org) in AMAZON_ROOTS and cert.subject == cert.issuer,
        )


def _name_attr(name: object, oid: object) -> str | None:
    attrs = name.get_attributes_for_oid(oid)  # type: ignore[attr-defined]
    if not attrs:
        return None
    value = attrs[0].value
    return value if isinstance(value, str) else None


@cache
def _certifi_fingerprints() -> frozenset[str]:
    """SHA-256 of every certificate in certifi's bundle: the public roots botocore trusts by default."""
    try:
        data = Path(certifi_path()).read_bytes()
    except OSError:
        return frozenset()
    out = set()
    for m in _PEM_BLOCK.finditer(data):
        if m.group(1) in _CERT_LABELS:
            try:
                out.add(hashlib.sha256(base64.b64decode(_base64_body(m.group(2)))).hexdigest())
            except ValueError:
                continue
    return frozenset(out)


def _os_reason(e: OSError) -> str:
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ELOOP:
        return "it is a symbolic link loop"
    return e.strerror or type(e).__name__


# --- the facts for one run ------------------------------------------------------------------------


class ResolvedBundle(NamedTuple):
    """One effective bundle, the selected profiles that use it, and what is in the file."""

    choice: BundleChoice
    profiles: tuple[str, ...]  # selected profiles (names, existing or not) that resolve to it
    file: BundleFile | None  # None when the value is blank or verification is off


class CaBundleFacts(NamedTuple):
    bundles: tuple[ResolvedBundle, ...]  # one per distinct choice, in selection order

    def for_profile(self, name: str) -> ResolvedBundle | None:
        for b in self.bundles:
            if name in b.profiles:
                return b
        return None


def load(env: Mapping[str, str], profiles: Iterable[tuple[str, Profile | None]], cwd: str | None = None) -> CaBundleFacts:
    """Resolve and inspect the bundle of every selected profile (name, profile-or-None if missing)."""
    groups: dict[BundleChoice, list[str]] = {}
    shared: BundleChoice | None = None  # every profile without its own ca_bundle resolves the same way
    for name, profile in profiles:
        if profile is None or not profile.has("ca_bundle"):
            if shared is None:
                shared = effective_bundle(env, None, cwd=cwd)
            choice = shared
        else:
            choice = effective_bundle(env, profile, cwd=cwd)
        groups.setdefault(choice, []).append(name)
    inspected: dict[str, BundleFile] = {}
    out = []
    for choice, names in groups.items():
        file = None
        if choice.path is not None:
            file = inspected.get(choice.path) or inspect(choice.path, details=not choice.is_default)
            inspected[choice.path] = file
        out.append(ResolvedBundle(choice, tuple(names), file))
    return CaBundleFacts(tuple(out))
