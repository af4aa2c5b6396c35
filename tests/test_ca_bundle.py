"""The CA bundle botocore uses, proved against real botocore clients and a real TLS server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import http.server
import itertools
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest
import trustme
from botocore.config import Config
from botocore.exceptions import InvalidConfigError
from botocore.httpsession import get_cert_path
from pyfakefs.fake_filesystem_unittest import Patcher

from fakes.certs import EXPIRED, make_ca, make_server
from sso_doctor.context import Context, RunSettings
from sso_doctor.loaders import ca_bundle
from sso_doctor.rules import environment as env_rules
from conftest import windows_essentials

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


_LOADER = None


def _session() -> botocore.session.Session:
    """A fresh botocore session (it reads the environment when created) sharing one data loader, so
    the service models and endpoints.json are parsed once, not for every case."""
    global _LOADER
    session = botocore.session.Session()
    if _LOADER is None:
        _LOADER = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _LOADER)
    return session


def _ctx(home: Path, env: dict[str, str], profiles: tuple[str, ...] = ()) -> Context:
    return Context(RunSettings(profiles=profiles), env={"HOME": str(home), **windows_essentials(home), **env}, now=NOW)


def _findings(ctx: Context, rule) -> list:
    return list(rule.check(ctx))


# --- which bundle: botocore's precedence, on every combination -----------------------------------------


@pytest.mark.parametrize("aws, profile, requests", list(itertools.product((None, "", "A"), repeat=3)))
def test_precedence_matches_botocore(aws, profile, requests, clean_env, monkeypatch, tmp_path):
    files = {name: tmp_path / f"{name}.pem" for name in "APR"}
    for p in files.values():
        p.write_text("placeholder")
    config = clean_env / ".aws" / "config"
    config.parent.mkdir()
    config.write_text("[profile dev]\nregion = us-east-1\n" + (
        "" if profile is None else f"ca_bundle = {'' if profile == '' else files['P']}\n"))
    env = {"AWS_PROFILE": "dev"}
    if aws is not None:
        env["AWS_CA_BUNDLE"] = "" if aws == "" else str(files["A"])
    if requests is not None:
        env["REQUESTS_CA_BUNDLE"] = "" if requests == "" else str(files["R"])
    for k, v in env.items():
        monkeypatch.setenv(k, v)

    choice = _ctx(clean_env, env).ca_bundle.for_profile("dev").choice
    try:
        client = _session().create_client("sso-oidc", region_name="us-east-1")
    except InvalidConfigError as e:
        assert "empty or whitespace-only string" in str(e)
        assert choice.blank
        return
    assert not choice.blank
    assert get_cert_path(client._endpoint.http_session._verify) == choice.path


def test_explicit_verify_wins_and_false_turns_verification_off():
    assert ca_bundle.effective_bundle({"AWS_CA_BUNDLE": "/a"}, None, verify="/v").path == "/v"
    off = ca_bundle.effective_bundle({"AWS_CA_BUNDLE": "/a"}, None, verify=False)
    assert (off.source, off.path) == ("verify", None)


def test_relative_and_tilde_paths_are_not_expanded(clean_env, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    rel = _ctx(clean_env, {"AWS_CA_BUNDLE": "certs/corp.pem"}).ca_bundle.bundles[0].choice
    assert rel.path == str(tmp_path / "certs/corp.pem")
    tilde = _ctx(clean_env, {"AWS_CA_BUNDLE": "~/corp.pem"}).ca_bundle.bundles[0].choice
    assert tilde.path == str(tmp_path / "~/corp.pem")


# --- what is in it --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corp() -> trustme.CA:
    return trustme.CA(organization_name="Example Corp")


def test_inspect_describes_each_certificate(tmp_path, corp):
    bundle = tmp_path / "bundle.pem"
    amazon = (ROOT / "fixtures/sso306-near-miss-corp-plus-amazon-root/home/certs/corp-plus-amazon.pem").read_bytes()
    bundle.write_bytes(b"# corporate\n" + corp.cert_pem.bytes() + amazon)
    f = ca_bundle.inspect(bundle)
    assert f.state == "ok" and len(f.certificates) == 3
    first = f.certificates[0]
    assert first.line == 2 and first.self_signed and first.is_ca and not first.public
    assert "Example Corp" in first.subject and first.not_after > NOW
    amazon_root = f.certificates[2]
    assert amazon_root.name == "Amazon Root CA 1" and amazon_root.amazon_root and amazon_root.public
    assert f.has_public_root()


def test_inspect_a_damaged_block_in_the_middle(tmp_path, corp):
    pem = corp.cert_pem.bytes()
    lines = pem.splitlines(keepends=True)
    broken = b"".join(lines[:3] + [b"!!!!" + lines[3][4:]] + lines[4:])
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(pem + broken)
    f = ca_bundle.inspect(bundle)
    assert (f.state, f.line) == ("damaged", pem.count(b"\n") + 1)
    assert "PEM lib" in f.openssl_error


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: POSIX mode bits (chmod has no such effect on Windows)')
def test_unreadable_bundle_with_a_non_root_filesystem(corp):
    with Patcher(allow_root_user=False) as patcher:
        patcher.fs.create_file("/certs/corp.pem", contents=corp.cert_pem.bytes().decode())
        os.chmod("/certs/corp.pem", 0)
        patcher.fs.create_dir("/home/u")
        f = ca_bundle.inspect("/certs/corp.pem")
        ctx = _ctx(Path("/home/u"), {"AWS_CA_BUNDLE": "/certs/corp.pem"})
        findings = _findings(ctx, env_rules.ca_bundle_invalid)
    assert (f.state, f.reason) == ("unreadable", "permission denied")
    assert len(findings) == 1 and "cannot be read (permission denied)" in findings[0].message


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv (util-linux) to drop to nobody")
def test_unreadable_bundle_as_another_user(tmp_path, corp):
    """The same, for real: a root-only file seen by `nobody`."""
    bundle = Path("/tmp") / f"sso-doctor-envtls-{os.getpid()}.pem"
    bundle.write_bytes(corp.cert_pem.bytes())
    bundle.chmod(0o600)
    try:
        code = f"from sso_doctor.loaders import ca_bundle; f = ca_bundle.inspect({str(bundle)!r}); print(f.state, f.reason)"
        done = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
                               "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    finally:
        bundle.unlink()
    if "Permission denied" in done.stderr and "sso_doctor" in done.stderr:
        pytest.skip("nobody cannot read the virtualenv")
    assert done.stdout.strip() == "unreadable permission denied", done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: FIFOs')
def test_fifo_is_not_opened(tmp_path):
    fifo = tmp_path / "bundle.pem"
    os.mkfifo(fifo)
    assert ca_bundle.inspect(fifo).state == "not-a-file"  # would block forever if opened


def test_default_bundle_is_checked_cheaply(clean_env):
    b = _ctx(clean_env, {}).ca_bundle.bundles[0]
    assert b.choice.source == "certifi" and b.file.ok and not b.file.detailed


# --- ground truth: what botocore does with each bundle against a real TLS server ------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve(context: ssl.SSLContext) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def tls_server(corp) -> Iterator[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    corp.issue_cert("127.0.0.1").configure_cert(context)
    yield from _serve(context)


@pytest.fixture(scope="module")
def expired_ca_server(tmp_path_factory) -> Iterator[tuple[str, bytes]]:
    """A server whose (valid) certificate is issued by a root that expired in 2001."""
    root = make_ca("Example Expired Root CA", not_after=EXPIRED)
    leaf = make_server(root)
    folder = tmp_path_factory.mktemp("expired")
    (folder / "leaf.pem").write_bytes(leaf.pem)
    (folder / "leaf.key").write_bytes(leaf.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "leaf.pem", folder / "leaf.key")
    for url in _serve(context):
        yield url, root.pem


def _botocore_call(url: str, monkeypatch: pytest.MonkeyPatch) -> Exception | None:
    """One real sso-oidc call, as `aws sso login` makes it, to the local server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", url)
    try:
        client = _session().create_client(
            "sso-oidc", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
        client.register_client(clientName="sso-doctor-test", clientType="public")
    except Exception as e:  # noqa: BLE001 - the exception is what we compare
        return e
    return None


def _bundle_files(tmp_path: Path, corp: trustme.CA) -> dict[str, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    pem = corp.cert_pem.bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    contents = {
        "good.pem": pem, "good-with-comments.pem": b"# Issuer: corp\n" + pem + b"\n# end\n",
        "der.cer": der, "truncated.pem": pem[: len(pem) // 2], "empty.pem": b"", "notes.txt": b"ask IT\n",
        "key-only.pem": corp.private_key_pem.bytes(), "other-ca.pem": trustme.CA().cert_pem.bytes(),
    }
    out = {}
    for name, data in contents.items():
        out[name] = tmp_path / name
        out[name].write_bytes(data)
    (tmp_path / "dir").mkdir()
    out["dir"] = tmp_path / "dir"
    out["missing.pem"] = tmp_path / "missing.pem"
    return out


# (bundle file, what botocore says, our inspect() state, the SSO3xx rules that must fire)
CASES = [
    # the corporate root alone verifies the (intercepting) local server: works, but only there
    ("good.pem", None, "ok", {"SSO306"}),
    ("good-with-comments.pem", None, "ok", {"SSO306"}),
    ("other-ca.pem", "CERTIFICATE_VERIFY_FAILED", "ok", {"SSO306"}),
    ("missing.pem", "No such file or directory", "missing", {"SSO304"}),
    ("dir", "Is a directory", "directory", {"SSO304"}),
    ("der.cer", "no certificate or crl found", "der", {"SSO304"}),
    ("notes.txt", "no certificate or crl found", "not-pem", {"SSO304"}),
    ("key-only.pem", "no certificate or crl found", "no-certificates", {"SSO304"}),
    ("empty.pem", "no certificate or crl found", "empty", {"SSO304"}),
    ("truncated.pem", "PEM lib", "damaged", {"SSO304"}),
]
CA_RULES = (env_rules.ca_bundle_invalid, env_rules.ca_variable_ignored, env_rules.ca_bundle_without_public_roots)


@pytest.mark.parametrize("name, botocore_says, state, fires", CASES, ids=[c[0] for c in CASES])
def test_bundle_verdict_matches_a_real_handshake(name, botocore_says, state, fires, tls_server, corp, clean_env,
                                                 monkeypatch, tmp_path):
    path = _bundle_files(tmp_path, corp)[name]
    monkeypatch.setenv("AWS_CA_BUNDLE", str(path))
    error = _botocore_call(tls_server, monkeypatch)
    if botocore_says is None:
        assert error is None, error
    else:
        assert botocore_says in str(error), error
    ctx = _ctx(clean_env, {"AWS_CA_BUNDLE": str(path)})
    assert ctx.ca_bundle.bundles[0].file.state == state
    assert {f.rule_id for r in CA_RULES for f in r.check(ctx)} == fires


def test_relative_bundle_path_works_from_its_directory(tls_server, corp, clean_env, monkeypatch, tmp_path):
    (tmp_path / "good.pem").write_bytes(corp.cert_pem.bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_CA_BUNDLE", "good.pem")
    assert _botocore_call(tls_server, monkeypatch) is None
    ctx = _ctx(clean_env, {"AWS_CA_BUNDLE": "good.pem"})
    assert ctx.ca_bundle.bundles[0].file.ok and not _findings(ctx, env_rules.ca_bundle_invalid)


def test_only_expired_roots_fail_verification(expired_ca_server, clean_env, monkeypatch, tmp_path):
    url, root_pem = expired_ca_server
    bundle = tmp_path / "expired.pem"
    bundle.write_bytes(root_pem)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    assert "certificate has expired" in str(_botocore_call(url, monkeypatch))
    ctx = _ctx(clean_env, {"AWS_CA_BUNDLE": str(bundle)})
    (finding,) = _findings(ctx, env_rules.ca_bundle_invalid)
    assert "only expired certificates (the last one expired on 2001-01-01)" in finding.message


def test_ssl_cert_file_is_ignored_by_botocore(tls_server, corp, clean_env, monkeypatch, tmp_path):
    bundle = tmp_path / "corp.pem"
    bundle.write_bytes(corp.cert_pem.bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    assert "CERTIFICATE_VERIFY_FAILED" in str(_botocore_call(tls_server, monkeypatch))
    (finding,) = _findings(_ctx(clean_env, {"SSL_CERT_FILE": str(bundle)}), env_rules.ca_variable_ignored)
    assert finding.location.env_var == "SSL_CERT_FILE"
    # near-miss: REQUESTS_CA_BUNDLE is read, so the same file works and the rule is quiet
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert _botocore_call(tls_server, monkeypatch) is None
    assert not _findings(_ctx(clean_env, {"SSL_CERT_FILE": str(bundle), "REQUESTS_CA_BUNDLE": str(bundle)}),
                         env_rules.ca_variable_ignored)


def test_profile_ca_bundle_is_used_and_reported_at_its_line(tls_server, corp, clean_env, monkeypatch, tmp_path):
    bundle = tmp_path / "corp.pem"
    bundle.write_bytes(corp.cert_pem.bytes())
    config = clean_env / ".aws" / "config"
    config.parent.mkdir()
    config.write_text(f"[profile dev]\nregion = us-east-1\n\n[profile corp]\nregion = us-east-1\nca_bundle = {bundle}\n")
    monkeypatch.setenv("AWS_PROFILE", "corp")
    assert _botocore_call(tls_server, monkeypatch) is None  # the profile's ca_bundle is what botocore verified with
    ctx = _ctx(clean_env, {}, profiles=("dev", "corp"))
    assert [b.profiles for b in ctx.ca_bundle.bundles] == [("dev",), ("corp",)]
    (finding,) = _findings(ctx, env_rules.ca_bundle_without_public_roots)
    assert (finding.subject, finding.location.path, finding.location.line, finding.location.key) == (
        "corp", str(config), 6, "ca_bundle")
    # certifi's roots by the path sso-doctor found, plus the corporate CA; the profile's line is edited
    # in the file it is written in (not `aws configure set`, which ignores `check --config`)
    public = ca_bundle.certifi_path()
    assert [c.text for c in finding.fix.commands] == [
        'mkdir -p "$HOME/.aws"', f'cat {public} {bundle} > "$HOME/.aws/ca-bundle.pem"']
    assert all(c.safe for c in finding.fix.commands)
    (edit,) = finding.fix.edits
    target = clean_env / ".aws" / "ca-bundle.pem"
    assert (edit.path, edit.section, edit.key, edit.old, edit.new, edit.safe) == (
        str(config), "profile corp", "ca_bundle", str(bundle), str(target), True)
    # run the plan as printed: then botocore verifies the corporate server, and SSO306 is satisfied
    for c in finding.fix.commands:
        subprocess.run(["sh", "-c", c.text], check=True, env={"HOME": str(clean_env), "PATH": os.defpath})
    from sso_doctor.edits import apply
    config.write_text(apply(config.read_text(), [edit]))
    assert _botocore_call(tls_server, monkeypatch) is None
    assert not _findings(_ctx(clean_env, {}, profiles=("dev", "corp")), env_rules.ca_bundle_without_public_roots)


def test_blank_bundle_is_rejected_by_botocore(clean_env, monkeypatch):
    monkeypatch.setenv("AWS_CA_BUNDLE", "  ")
    assert "empty or whitespace-only string" in str(_botocore_call("https://127.0.0.1:9", monkeypatch))
    (finding,) = _findings(_ctx(clean_env, {"AWS_CA_BUNDLE": "  "}), env_rules.ca_bundle_invalid)
    assert finding.location.env_var == "AWS_CA_BUNDLE" and finding.location.path is None


def test_rebuilt_bundle_never_overwrites_the_one_it_reads(clean_env, corp):
    target = clean_env / ".aws" / "ca-bundle.pem"
    target.parent.mkdir()
    target.write_bytes(corp.cert_pem.bytes())
    (finding,) = _findings(_ctx(clean_env, {"AWS_CA_BUNDLE": str(target)}), env_rules.ca_bundle_without_public_roots)
    assert [c.text for c in finding.fix.commands][1:] == [
        f'cat {ca_bundle.certifi_path()} {target} > "$HOME/.aws/ca-bundle-full.pem"',
        'export AWS_CA_BUNDLE="$HOME/.aws/ca-bundle-full.pem"']


def test_default_bundle_is_botocores():
    from botocore.httpsession import where

    assert ca_bundle.certifi_path() == where() == get_cert_path(True)


def test_a_real_bundle_prints_no_warnings(tmp_path):
    """Debian's system bundle holds public roots with serial number 0 (tests/data/
    zero-serial-roots.pem, copied from it); cryptography warns when such a certificate is read.
    Inspecting a bundle that holds it must not print that warning on the user's stderr."""
    import certifi

    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(Path(certifi.where()).read_bytes() + (Path(__file__).parent / "data" /
                                                            "zero-serial-roots.pem").read_bytes())
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path), "LANG": "C.UTF-8", "AWS_CA_BUNDLE": str(bundle),
           **windows_essentials(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "sso_doctor", "check", "--offline", "--select", "SSO3"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
