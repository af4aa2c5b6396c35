"""Throwaway CAs and server certificates with chosen validity, for CA-bundle tests.

trustme makes CAs valid from now on; the cases here need fixed dates: a corporate root valid until
2100 (so committed fixtures never expire) and a root that expired in 2001. Run this module to rewrite
the committed fixture certificates: `python tests/fakes/certs.py <dir>`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FAR_AWAY = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
EXPIRED = dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn: str, org: str = "Example Corp", not_before: dt.datetime = LONG_AGO,
            not_after: dt.datetime = FAR_AWAY) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(cn, org)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def make_server(ca: Issued, host: str = "127.0.0.1", not_before: dt.datetime | None = None,
                not_after: dt.datetime | None = None) -> Issued:
    """A server certificate for `host` signed by `ca`, valid from yesterday for a year by default."""
    now = dt.datetime.now(dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        san = x509.DNSName(host)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host, "Example Server")).issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return Issued(cert, key)


def write_fixture_certs(folder: Path) -> None:
    """The committed certificates the SSO3xx scenarios copy into their fake HOMEs."""
    import certifi

    folder.mkdir(parents=True, exist_ok=True)
    corp = make_ca("Example Corp TLS Inspection Root CA")
    (folder / "corp-root.pem").write_bytes(corp.pem)
    (folder / "corp-root.der").write_bytes(corp.der)
    (folder / "expired-root.pem").write_bytes(make_ca("Example Expired Root CA", not_after=EXPIRED).pem)
    (folder / "truncated.pem").write_bytes(corp.pem[: len(corp.pem) // 2])
    public_key = corp.cert.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    (folder / "public-key-only.pem").write_bytes(public_key)
    amazon = [c for c in x509.load_pem_x509_certificates(Path(certifi.where()).read_bytes())
              if c.subject.rfc4514_string() == "CN=Amazon Root CA 1,O=Amazon,C=US"]
    (folder / "corp-plus-amazon.pem").write_bytes(corp.pem + amazon[0].public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    write_fixture_certs(Path(sys.argv[1]))
