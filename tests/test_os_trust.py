"""The OS trust store loader (#14.4): what it reads per OS, and how an issuer is matched in it.

The store itself is injected (a PEM file, or the `security` runner): Windows' ROOT store and macOS'
keychains exist only on those machines. The rule that uses it (SSO504) is proven end to end against a
real intercepting TLS server in tests/test_online_e2e.py (the `windows-store-…` and `macos-…` cases).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import trustme

from sso_doctor.loaders import os_trust
from sso_doctor.platform import Platform


@pytest.fixture(scope="module")
def cas():
    corp = trustme.CA(organization_name="Intercept Corp Root CA")
    other = trustme.CA(organization_name="Intercept Corp Root CA")  # same name, another key
    public = trustme.CA(organization_name="Test Public Trust Services")
    return corp, other, public


def _store(platform: str, *cas: trustme.CA) -> os_trust.OsTrustStore:
    data = b"".join(ca.cert_pem.bytes() for ca in cas)
    return os_trust.OsTrustStore(platform, "x", tuple(os_trust.StoreCert(d, "ROOT") for d in os_trust._pem_blocks(data)),
                                 True)


def test_issuer_is_matched_by_subject_and_signature_not_by_name_alone(cas):
    corp, other, public = cas
    leaf_top = corp.create_child_ca().cert_pem.bytes().decode()  # an intermediate the proxy sends
    assert os_trust.issuer_in_store(_store("win32", public, corp), leaf_top) is not None
    # same subject name, different key: browsers would not trust the chain either
    assert os_trust.issuer_in_store(_store("win32", public, other), leaf_top) is None
    assert os_trust.issuer_in_store(_store("win32", public), leaf_top) is None


def test_root_is_matched_by_sha256_when_the_server_sent_it(cas):
    corp, _other, public = cas
    store = _store("darwin", public, corp)
    root = store.certs[1]
    assert os_trust.issuer_in_store(store, "not a pem", root.sha256) == root
    assert len(root.sha1) == 40 and root.sha1 == root.sha1.upper()  # the Windows thumbprint format


def test_injected_file_stands_for_the_os_store(cas, tmp_path):
    corp, _other, public = cas
    path = tmp_path / "store.pem"
    path.write_bytes(public.cert_pem.bytes() + b"garbage\n-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"
                     + corp.cert_pem.bytes())
    store = os_trust.load(Platform("win32", {"SSO_DOCTOR_OS_TRUST_STORE": str(path)}))
    assert store.read and len(store.certs) == 2 and store.label == "the Windows certificate store"
    missing = os_trust.load(Platform("darwin", {"SSO_DOCTOR_OS_TRUST_STORE": str(tmp_path / "nope.pem")}))
    assert not missing.read and "cannot read" in missing.problem


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="this host has a real OS store to read")
@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_an_emulated_os_store_is_not_read_and_says_why(platform):
    store = os_trust.load(Platform(platform, {}))
    assert not store.read and "emulated" in store.problem


def test_linux_has_no_separate_os_store():
    store = os_trust.load(Platform("linux", {}))
    assert not store.read and store.certs == ()


def test_macos_reads_both_keychains_with_security_time_boxed(cas):
    corp, _other, public = cas
    calls = []

    def run(argv, **kw):
        calls.append((argv, kw["timeout"]))
        out = corp.cert_pem.bytes() if argv[-1].startswith("/Library") else public.cert_pem.bytes()
        return subprocess.CompletedProcess(argv, 0, out, b"")

    store = os_trust._macos(run)
    assert [c[0][-1] for c in calls] == list(os_trust.MACOS_KEYCHAINS)
    assert all(c[0][:4] == ["security", "find-certificate", "-a", "-p"] and c[1] == os_trust.SECURITY_TIMEOUT
               for c in calls)
    assert [c.where for c in store.certs] == list(os_trust.MACOS_KEYCHAINS)


def test_macos_security_that_hangs_or_is_missing_gives_a_reason():
    def hangs(argv, **kw):
        raise subprocess.TimeoutExpired(argv, kw["timeout"])

    store = os_trust._macos(hangs)
    assert not store.read and "TimeoutExpired" in store.problem

    def missing(argv, **kw):
        raise FileNotFoundError(2, "No such file")

    assert "FileNotFoundError" in os_trust._macos(missing).problem


@pytest.mark.skipif(sys.platform != "win32", reason="ssl.enum_certificates exists on Windows only")
def test_real_windows_store_is_enumerated():
    store = os_trust.load(Platform("win32", {}))
    assert store.read and store.certs  # every Windows machine has roots
