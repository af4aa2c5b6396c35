from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """A controlled environment: a temp HOME, no AWS or proxy variables from the developer's machine."""
    for k in list(os.environ):
        if k == "AWS_EC2_METADATA_DISABLED":  # set by _no_network_escape: tests never ask the metadata service
            continue
        if k.startswith(("AWS_", "SSO_DOCTOR_")) or k.lower().endswith("_proxy") or k in (
            "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
            "XDG_CONFIG_HOME", "GITHUB_WORKSPACE"):  # the user settings file and the CI workspace
            monkeypatch.delenv(k, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    # on Windows `~` is USERPROFILE (botocore ignores HOME there): the same temp home on every OS
    monkeypatch.setenv("USERPROFILE", str(home))
    # fix commands are rendered for the detected shell: the developer's own must not change the output
    for k in ("SHELL", "PSModulePath", "ComSpec", "MSYSTEM"):
        monkeypatch.delenv(k, raising=False)
    # no `aws` from the developer's machine either: an empty PATH of our own
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    return home


# --- tests never leave the machine ----------------------------------------------------------------
# Any in-process attempt to resolve or connect to a non-loopback address fails the test loudly, so a
# test that forgets --offline (or to point endpoints at its local servers) can't reach the internet.

import ipaddress  # noqa: E402
import socket  # noqa: E402

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


class NetworkEscape(AssertionError):
    pass


def _loopback_host(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_escapes: list[str] = []


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _loopback_host(host):
        _escapes.append(f"resolve {host!r}")
        raise NetworkEscape(f"test tried to resolve {host!r}: tests may only talk to 127.0.0.1")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback_host(address[0]):
        _escapes.append(f"connect {address!r}")
        raise NetworkEscape(f"test tried to connect to {address!r}: tests may only talk to 127.0.0.1")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network_escape(monkeypatch):
    # a botocore client made without credentials walks the chain down to the instance metadata
    # service (169.254.169.254); tests that build such clients must not reach for it
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    _escapes.clear()
    yield
    # raised inside sso-doctor's own worker threads the error becomes a finding, so check here too
    escaped, _escapes[:] = list(_escapes), []
    assert not escaped, f"the test tried to leave 127.0.0.1: {escaped[:3]}"


NETGUARD = str(Path(__file__).resolve().parent / "netguard")


def aws_v2_bin(folder: Path, version: str = "2.15.0") -> Path:
    """A folder holding a stand-in `aws` that reports AWS CLI v2 (`aws sso login` exists). 2.15.0 logs in
    with the device code by default, so no `--use-device-code` depends on the test machine's display."""
    folder.mkdir(parents=True, exist_ok=True)
    aws = folder / "aws"
    aws.write_text(f"#!/bin/sh\necho 'aws-cli/{version} Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12'\n")
    aws.chmod(0o755)
    return folder


def windows_essentials(home: Path | str | None = None) -> dict[str, str]:
    """On a Windows host, what a child process needs from the parent's environment: SYSTEMROOT (without it
    Winsock cannot load and any socket fails with WinError 10106), TEMP/TMP, and USERPROFILE =
    `home` (Windows' `~`; botocore there never reads HOME). Empty elsewhere: POSIX children get exactly the
    environment their test wrote."""
    if sys.platform != "win32":
        return {}
    out = {k: os.environ[k] for k in ("SYSTEMROOT", "TEMP", "TMP") if k in os.environ}
    if home is not None:
        out["USERPROFILE"] = str(home)
    return out


def guarded_env(env: dict[str, str]) -> dict[str, str]:
    """`env` for a subprocess that must stay on loopback (see tests/netguard/sitecustomize.py)."""
    return {**env, "PYTHONPATH": NETGUARD + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")}


@pytest.fixture(scope="session")
def moto_server():
    """moto's server on 127.0.0.1 for the whole run (its backends are process-global anyway)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


# --- the real AWS CLI v1, in a virtualenv of its own ------------------------------------------------
# Not in the test extra: `pip install -e '.[test]'` must not put a v1 `aws` on the developer's PATH
# (sso-doctor would then report SSO402 about its own venv, and `aws sso login` breaks in that shell).
# Tests that need the real v1 get it here: a virtualenv made once per machine under the user's cache
# folder ($XDG_CACHE_HOME or ~/.cache, sso-doctor-tests/), reused by later runs; only its `aws` goes on
# the PATH of the process under test.

AWSCLI_V1_SPEC = "awscli>=1.46,<2"


def _tests_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sso-doctor-tests"


def real_awscli_v1_venv() -> Path:
    """The cached virtualenv holding the real AWS CLI v1 from PyPI; made on first use (~20 s)."""
    import fcntl
    import shutil
    import subprocess

    tag = f"py{sys.version_info.major}.{sys.version_info.minor}"
    venv = _tests_cache() / f"awscli-v1-{tag}"
    done = venv / ".complete"
    if done.exists():
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    # a venv cannot be moved (its scripts name it in their #! line): build it in place, one builder at a time
    with open(venv.parent / f"awscli-v1-{tag}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", AWSCLI_V1_SPEC], check=True, capture_output=True)
            done.write_text(AWSCLI_V1_SPEC + "\n")
    return venv


@pytest.fixture(scope="session")
def awscli_v1() -> Path:
    """Path of the real AWS CLI v1 `aws` script (its own cached virtualenv; see real_awscli_v1_venv)."""
    if os.name != "posix":  # pragma: no cover - the venv layout below is POSIX's
        pytest.skip("the cached AWS CLI v1 virtualenv is built with a POSIX layout")
    return real_awscli_v1_venv() / "bin" / "aws"


# --- figures a test wants in the summary even when it passes ------------------------------------------
# tests/test_explain_corpus.py scores `sso-doctor explain` on the real-world corpus and puts its top-1 /
# top-3 figures on config.summary_lines; they are printed at the end of every run that includes it.


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    lines = getattr(config, "summary_lines", None)
    if lines:
        terminalreporter.write_sep("-", "figures")
        for line in lines:
            terminalreporter.write_line(line)
