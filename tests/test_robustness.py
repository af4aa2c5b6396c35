"""Bad input never crashes: the real CLI, as a subprocess, against a HOME full of broken things.

Each case runs `python -m sso_doctor check --offline` twice:
- `--format json` with every rule: the report validates against the schema, no rule errored (so every
  other check still ran, whoever wrote it), the expected finding is there with its location and a fix,
  and the exit code is 1 exactly when an error-severity finding is present;
- `--format text` with only the engine and config-file rules (SSO0, SSO1): the exact exit code.
Neither output, nor stderr, may hold a traceback.

We run as root, and root reads a chmod 000 file. The "unreadable" cases therefore run the CLI as root
*without* the capabilities that let root ignore file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH are
dropped from the bounding set before exec), so the kernel really refuses the read. "HOME unset" runs
as `nobody` (whose home in the password database is /nonexistent) with only CAP_DAC_READ_SEARCH kept,
so it can still load the interpreter from /root.
"""

from __future__ import annotations

import ctypes
import gzip
import io
import json
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scenarios import validate_report

NOW = "2026-11-26T12:00:00Z"
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
IS_ROOT = os.geteuid() == 0


def _drop_dac_capabilities() -> None:
    """preexec_fn: after exec this root process can no longer read files whose mode forbids it."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_cli(args: list[str], env: dict[str, str], as_user: str = "root", cwd: Path | None = None):
    cmd = [sys.executable, "-m", "sso_doctor", "check", "--offline", *args]
    preexec = None
    if as_user == "no-dac" and IS_ROOT:
        preexec = _drop_dac_capabilities
    elif as_user == "nobody":
        cmd = [shutil.which("setpriv") or "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", "--", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, preexec_fn=preexec,
                          cwd=cwd or "/")


def first_bad_byte_line(raw: bytes) -> int:
    """Text-mode line of the first byte that is not UTF-8 (independent of the loader's own code)."""
    text = raw.decode("utf-8", errors="surrogateescape")
    for n, line in enumerate(io.StringIO(text, newline=None), start=1):
        if any("\udc80" <= ch <= "\udcff" for ch in line):
            return n
    raise AssertionError("every byte decodes")


@dataclass
class Case:
    name: str
    setup: Callable[[Path], dict[str, str] | None]  # gets HOME; returns extra env (None: unset HOME)
    rule: str | None  # the finding that must be there (None: no SSO0/SSO1 finding at all)
    path: str | None = None  # its location.path, relative to HOME ("~/...") or absolute
    line: int | None | Callable[[Path], int] = None
    contains: tuple[str, ...] = ()
    exit_code: int = 1  # with --select SSO0 --select SSO1
    as_user: str = "root"
    absent: tuple[str, ...] = ()  # strings that must not appear anywhere (secrets)
    skipped: tuple[str, ...] = ()  # rules that must be skipped (not errored) in this case
    env: dict[str, str] = field(default_factory=dict)


def _config(data: bytes, name: str = "config") -> Callable[[Path], dict[str, str]]:
    def setup(home: Path) -> dict[str, str]:
        (home / ".aws").mkdir(exist_ok=True)
        (home / ".aws" / name).write_bytes(data)
        return {}

    return setup


def _random_50mb(home: Path) -> dict[str, str]:
    (home / ".aws").mkdir()
    with open(home / ".aws" / "config", "wb") as f:
        for _ in range(50):
            f.write(os.urandom(1024 * 1024))
    return {}


def _line_of_first_bad_byte(home: Path) -> int:
    with open(home / ".aws" / "config", "rb") as f:
        return first_bad_byte_line(f.read(1024 * 1024))


def _sparse_huge(home: Path) -> dict[str, str]:
    (home / ".aws").mkdir()
    with open(home / ".aws" / "config", "wb") as f:
        f.truncate(100 * 1024 * 1024)  # 100 MiB of NULs, almost no disk
    return {}


def _directory(home: Path) -> dict[str, str]:
    (home / ".aws" / "config").mkdir(parents=True)
    return {}


def _fifo(home: Path) -> dict[str, str]:
    (home / ".aws").mkdir()
    os.mkfifo(home / ".aws" / "config")  # opening it for reading would hang forever
    return {}


def _unreadable(home: Path) -> dict[str, str]:
    _config(b"[profile dev]\nregion = us-east-1\n")(home)
    os.chmod(home / ".aws" / "config", 0o000)
    return {"AWS_PROFILE": "dev"}


def _symlink_loop(home: Path) -> dict[str, str]:
    (home / ".aws").mkdir()
    os.symlink("config.b", home / ".aws" / "config")
    os.symlink("config", home / ".aws" / "config.b")
    return {}


def _dangling(home: Path) -> dict[str, str]:
    (home / ".aws").mkdir()
    os.symlink("/nonexistent/sso-doctor/config", home / ".aws" / "config")
    return {}


def _home_unset(home: Path) -> None:
    return None


def _home_missing(home: Path) -> dict[str, str]:
    shutil.rmtree(home)
    return {}


def _credentials_broken(home: Path) -> dict[str, str]:
    _config(b"[profile dev]\nregion = us-east-1\n")(home)
    _config(b"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n[dev]\n", "credentials")(home)
    return {"AWS_PROFILE": "dev"}


CASES = [
    Case("utf8-bom", _config(b"\xef\xbb\xbf[default]\nregion = us-east-1\n"), "SSO102", "~/.aws/config", 1,
         ("byte-order mark", "tail -c +4")),
    Case("control-characters", _config(b"\x00\x01\x02\x03garbage\x7f\n\x00\n"), "SSO102", "~/.aws/config", 1,
         ("before the first [section] header",)),
    Case("gzip-blob", _config(gzip.compress(b"[default]\nregion = us-east-1\n" * 50, mtime=0)), "SSO102",
         "~/.aws/config", lambda home: first_bad_byte_line((home / ".aws" / "config").read_bytes()),
         ("can't be decoded as utf-8",)),
    Case("random-50mb", _random_50mb, "SSO102", "~/.aws/config", _line_of_first_bad_byte, ("can't be decoded",)),
    # too large to read whole, but its first line already fails botocore's parser: that is the finding
    Case("sparse-100mib", _sparse_huge, "SSO102", "~/.aws/config", 1, ("100 MiB", "read only its beginning")),
    Case("directory", _directory, "SSO120", "~/.aws/config", None, ("directory",)),
    Case("fifo", _fifo, "SSO120", "~/.aws/config", None, ("not a regular file",)),
    Case("unreadable", _unreadable, "SSO120", "~/.aws/config", None, ("permission denied", 'sudo chown "$USER"'),
         as_user="no-dac"),
    Case("symlink-loop", _symlink_loop, "SSO120", "~/.aws/config", None, ("symbolic link loop",)),
    Case("dangling-symlink", _dangling, "SSO120", "~/.aws/config", None, ("dangling",)),
    Case("home-unset", _home_unset, "SSO002", "/nonexistent/.aws/config", None, ("aws configure sso",),
         exit_code=0, as_user="nobody"),
    Case("home-missing", _home_missing, "SSO002", "~/.aws/config", None, ("aws configure sso",), exit_code=0),
    Case("empty-file", _config(b""), None, exit_code=0),
    Case("empty-file-profile-selected", _config(b""), "SSO104", "~/.aws/config", None,
         ("aws configure list-profiles",), env={"AWS_PROFILE": "dev"}),
    Case("credentials-unparseable", _credentials_broken, "SSO102", "~/.aws/credentials", 1,
         ("credentials file", "aws_secret_access_key = …"), absent=("wJalrXUtnFEMI",), skipped=("SSO104",)),
]


@pytest.fixture
def home_dir(tmp_path):
    # tmp_path's parents are private to root; a home the dropped-capability process must reach needs
    # traversable parents, so it lives in its own world-traversable folder.
    base = Path(__import__("tempfile").mkdtemp(prefix="sso-doctor-robust-"))
    base.chmod(0o755)
    home = base / "home"
    home.mkdir()
    yield home
    for p in (home / ".aws", home / ".aws" / "config"):
        if p.exists() and not p.is_symlink():
            p.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


def _prepare(case: Case, home: Path) -> dict[str, str]:
    if case.as_user == "nobody":
        if not IS_ROOT or shutil.which("setpriv") is None:
            pytest.skip("needs root and setpriv to run as nobody")
    extra = case.setup(home)
    env = {"PATH": str(home.parent / "bin"), "LANG": "C.UTF-8", "SSO_DOCTOR_NOW": NOW, **case.env}
    (home.parent / "bin").mkdir(exist_ok=True)
    (home.parent / "bin").chmod(0o755)
    if extra is not None:
        env["HOME"] = str(home)
        env.update(extra)
    return env


def _shown(path: str | None, home: Path) -> str | None:
    return str(home) + path[1:] if path and path.startswith("~") else path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gives_a_finding_not_a_traceback(case, home_dir):
    env = _prepare(case, home_dir)
    line = case.line(home_dir) if callable(case.line) else case.line

    proc = run_cli(["--format", "json"], env, case.as_user)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    validate_report(doc)
    statuses = {r["id"]: r["status"] for r in doc["rules"]}
    assert "errored" not in statuses.values(), statuses
    assert not [f for f in doc["findings"] if f["rule_id"] == "SSO001"]
    assert sum(s in ("passed", "failed") for s in statuses.values()) >= 2, statuses  # the other checks ran
    for rule_id in case.skipped:
        assert statuses[rule_id] == "skipped"
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert proc.returncode == (1 if errors else 0), doc["findings"]
    for secret in case.absent:
        assert secret not in proc.stdout + proc.stderr

    if case.rule is None:
        assert not [f for f in doc["findings"] if f["rule_id"].startswith(("SSO0", "SSO1"))], doc["findings"]
    else:
        found = [f for f in doc["findings"] if f["rule_id"] == case.rule
                 and f["location"].get("path") == _shown(case.path, home_dir)]
        assert len(found) == 1, json.dumps(doc["findings"], indent=1)
        finding = found[0]
        assert finding["location"].get("line") == line, finding
        assert finding["fix"]["summary"] and finding["fix"]["commands"], finding
        text = "\n".join([finding["message"], finding["fix"]["summary"],
                          *(c["command"] for c in finding["fix"]["commands"])]).lower()
        for needle in case.contains:
            assert needle.lower() in text, (needle, finding)

    narrow = run_cli(["--format", "text", "--select", "SSO0", "--select", "SSO1"], env, case.as_user)
    assert "Traceback" not in narrow.stdout + narrow.stderr, narrow.stderr
    assert narrow.returncode == case.exit_code, narrow.stdout + narrow.stderr
    if case.rule is not None:
        assert case.rule in narrow.stdout and "Fix:" in narrow.stdout, narrow.stdout
    for secret in case.absent:
        assert secret not in narrow.stdout + narrow.stderr


def test_home_unset_reads_the_password_database_home():
    """With HOME unset, paths come from the password database as os.path.expanduser does."""
    if not IS_ROOT or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run as nobody")
    proc = run_cli(["--format", "json", "--select", "SSO1"], {"PATH": "/nonexistent", "LANG": "C.UTF-8"}, "nobody")
    doc = json.loads(proc.stdout)
    home = pwd.getpwnam("nobody").pw_dir
    assert doc["inputs"]["config_file"] == f"{home}/.aws/config"
    assert doc["inputs"]["credentials_file"] == f"{home}/.aws/credentials"


def test_unreadable_really_is_unreadable_for_the_cli(home_dir):
    """The capability drop is real: the same process setup cannot open the file at all."""
    _unreadable(home_dir)
    target = home_dir / ".aws" / "config"
    probe = subprocess.run(
        [sys.executable, "-c", f"open({str(target)!r}).read()"], capture_output=True, text=True,
        preexec_fn=_drop_dac_capabilities if IS_ROOT else None,
    )
    assert probe.returncode != 0 and "PermissionError" in probe.stderr
