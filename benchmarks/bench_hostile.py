#!/usr/bin/env python3
"""Hostile-size inputs: each must finish in under 2 s, or be refused with a clear finding.

    .venv/bin/python benchmarks/bench_hostile.py             # all four cases
    .venv/bin/python benchmarks/bench_hostile.py --only config --keep

The four inputs of issue #10 (item 8), generated into a temporary HOME:

- ca-bundle:    a 30 MB CA bundle (certifi's public roots, repeated) named by AWS_CA_BUNDLE,
                `check --offline --format json`;
- sso-sessions: 5,000 [sso-session] sections, each with a profile (all on one portal, so every
                missing token has "the same portal under another key" to look for),
                `check --offline --all-profiles --format json`;
- token-files:  10,000 token files in ~/.aws/sso/cache, one per sso-session of a 10,000-session
                config, `sessions --format json`;
- config:       a 50 MB ~/.aws/config (profiles and sso-sessions, as a generator or a merge gone
                wrong would write), `check --offline --format json`.

Each case runs the real CLI once as its own process (interpreter start and imports included), with a
stub `aws` on PATH. Reported per case: wall time, CPU time, peak RSS of that child (os.wait4's ru_maxrss), exit
code, and what happened (a finished report, or the finding that refused the input). Not a timed test:
the figures depend on the machine; benchmarks/README.md records them.

Exit status 0 when every case cost under 2 s of CPU time (user+sys of the child and the `aws` it
starts; wall time is printed too, but on a shared machine it also measures the neighbours) with a usable report (no crashed rule, exit code
0 or 1, and for a refused input the finding that says so); 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

LIMIT_SECONDS = 2.0
MB = 1000 * 1000


def sso_doctor_command() -> list[str]:
    script = Path(sys.executable).parent / "sso-doctor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sso_doctor"]


def run(cmd: list[str], env: dict[str, str], cwd: Path, kill_after: float) -> tuple[float, float, int, int, str, str]:
    """(wall seconds, CPU seconds, peak RSS in KiB, exit code, stdout, stderr) of one child process."""
    import threading

    out_f = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the child is reaped
    err_f = tempfile.TemporaryFile()  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out_f, stderr=err_f)
    killer = threading.Timer(kill_after, proc.kill)
    killer.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    killer.cancel()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out_f.seek(0)
    err_f.seek(0)
    out, err = out_f.read().decode("utf-8", "replace"), err_f.read().decode("utf-8", "replace")
    out_f.close()
    err_f.close()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode, out, err


# --- the inputs ------------------------------------------------------------------------------------


def make_ca_bundle(home: Path, env: dict[str, str]) -> None:
    import certifi

    roots = Path(certifi.where()).read_bytes()
    path = home / "corp-bundle.pem"
    with path.open("wb") as fh:
        written = 0
        while written < 30 * MB:
            fh.write(roots)
            written += len(roots)
    env["AWS_CA_BUNDLE"] = str(path)
    (home / ".aws" / "config").write_text(_profile_block("dev", "corp", 0) + _session_block("corp", 0))
    env["AWS_PROFILE"] = "dev"


def _session_block(name: str, i: int, url: str | None = None) -> str:
    return (f"[sso-session {name}]\nsso_start_url = {url or 'https://d-9067000000.awsapps.com/start'}\n"
            f"sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n")


def _profile_block(name: str, session: str, i: int) -> str:
    return (f"[profile {name}]\nsso_session = {session}\nsso_account_id = {100000000000 + i}\n"
            f"sso_role_name = Admin\nregion = us-east-1\n\n")


def make_sso_sessions(home: Path, env: dict[str, str]) -> None:
    parts = []
    for i in range(5000):
        parts.append(_session_block(f"s{i}", i))
        parts.append(_profile_block(f"p{i}", f"s{i}", i))
    (home / ".aws" / "config").write_text("".join(parts))


def make_token_files(home: Path, env: dict[str, str]) -> None:
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    parts = []
    for i in range(10000):
        url = f"https://d-{9000000000 + i}.awsapps.com/start"
        parts.append(_session_block(f"s{i}", i, url))
        parts.append(_profile_block(f"p{i}", f"s{i}", i))
        key = hashlib.sha1(f"s{i}".encode()).hexdigest()
        token = {
            "startUrl": url, "region": "us-east-1", "accessToken": f"bench-access-token-{i:06d}-" + "a" * 40,
            "expiresAt": "2099-01-01T00:00:00Z", "refreshToken": f"bench-refresh-token-{i:06d}-" + "r" * 40,
            "clientId": f"bench-client-{i}", "clientSecret": f"bench-client-secret-{i:06d}-" + "s" * 40,
            "registrationExpiresAt": "2099-01-01T00:00:00Z",
        }
        (cache / f"{key}.json").write_text(json.dumps(token))
        (cache / f"{key}.json").chmod(0o600)
    cache.chmod(0o700)
    (home / ".aws" / "config").write_text("".join(parts))


def make_config(home: Path, env: dict[str, str]) -> None:
    path = home / ".aws" / "config"
    block_parts = []
    i = 0
    with path.open("w") as fh:
        written = 0
        while written < 50 * MB:
            block = _session_block(f"s{i}", i) + _profile_block(f"p{i}", f"s{i}", i)
            block_parts.append(block)
            if len(block_parts) == 1000:
                chunk = "".join(block_parts)
                fh.write(chunk)
                written += len(chunk)
                block_parts = []
            i += 1
    env["AWS_PROFILE"] = "p0"


# --- what a good outcome looks like ------------------------------------------------------------------


def _report(stdout: str) -> dict:
    return json.loads(stdout)


def finished(stdout: str) -> str | None:
    """A whole report with no crashed rule, or what is wrong."""
    try:
        doc = _report(stdout)
    except ValueError:
        return "stdout is not a JSON report"
    crashed = [f for f in doc.get("findings", []) if f.get("rule_id") == "SSO001"]
    if crashed:
        return f"{len(crashed)} rule(s) crashed: {crashed[0].get('message')}"
    return None


def refused(rule: str, words: str) -> Callable[[str], str | None]:
    """A whole report whose `rule` finding says the input is too large to check."""

    def check(stdout: str) -> str | None:
        problem = finished(stdout)
        if problem:
            return problem
        for f in _report(stdout).get("findings", []):
            if f.get("rule_id") == rule and words in f.get("message", ""):
                return None
        return f"no {rule} finding that says the input is too large"

    return check


def sessions_listed(count: int) -> Callable[[str], str | None]:
    def check(stdout: str) -> str | None:
        try:
            doc = json.loads(stdout)
        except ValueError:
            return "stdout is not JSON"
        rows = doc.get("sessions") if isinstance(doc, dict) else None
        if not isinstance(rows, list):
            return "no sessions list"
        n = sum(1 for r in rows if r.get("file"))
        if n < count:
            return f"only {n} of {count} token files listed"
        return None

    return check


CASES: dict[str, tuple[str, Callable[[Path, dict[str, str]], None], list[str], Callable[[str], str | None]]] = {
    "ca-bundle": ("30 MB CA bundle (AWS_CA_BUNDLE)", make_ca_bundle,
                  ["check", "--offline", "--format", "json"], refused("SSO304", "MiB")),
    "sso-sessions": ("5,000 sso-sessions", make_sso_sessions,
                     ["check", "--offline", "--all-profiles", "--format", "json"], finished),
    "token-files": ("10,000 token files, sessions --format json", make_token_files,
                    ["sessions", "--format", "json"], sessions_listed(10000)),
    "config": ("50 MB config", make_config, ["check", "--offline", "--format", "json"],
               refused("SSO102", "MiB")),
}


def refusal(stdout: str) -> str:
    """The finding that refused the input, if any (rule id and message), for the printout."""
    try:
        doc = json.loads(stdout)
    except ValueError:
        return ""
    for f in doc.get("findings", []) if isinstance(doc, dict) else []:
        if "MiB" in f.get("message", ""):
            return f"{f['rule_id']}: {f['message']}"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(CASES), action="append", help="run only this case (repeatable)")
    parser.add_argument("--kill-after", type=float, default=120.0, metavar="S",
                        help="stop a case that runs longer than this (default 120 s); it counts as failed")
    parser.add_argument("--keep", action="store_true", help="keep the generated inputs and print where")
    args = parser.parse_args()
    cmd = sso_doctor_command()
    work = Path(tempfile.mkdtemp(prefix="sso-doctor-hostile-"))
    bad = 0
    try:
        for name in args.only or list(CASES):
            title, make, argv, judge = CASES[name]
            home = work / name
            (home / ".aws").mkdir(parents=True)
            bindir = home / "bin"
            bindir.mkdir()
            stub = bindir / "aws"
            stub.write_text("#!/bin/sh\necho 'aws-cli/2.22.0 Python/3.12.6 Linux/6.1.0 exe/x86_64.ubuntu.22'\n")
            stub.chmod(0o755)
            env = {"HOME": str(home), "PATH": str(bindir), "LANG": "C.UTF-8", "SSO_DOCTOR_NOW": "2026-06-01T00:00:00Z"}
            t0 = time.perf_counter()
            make(home, env)
            made = time.perf_counter() - t0
            wall, cpu, rss_kib, code, out, err = run([*cmd, *argv], env, home, args.kill_after)
            problem = judge(out) if code in (0, 1) else f"exit code {code}: {err.strip()[-300:]}"
            # The limit holds for the CPU time the run costs: on a shared machine its wall time also
            # measures the neighbours (both are printed).
            if problem is None and cpu >= LIMIT_SECONDS:
                problem = f"took {cpu:.2f} s of CPU (limit {LIMIT_SECONDS:.0f} s)"
            verdict = "ok" if problem is None else "FAIL: " + problem
            why = refusal(out)
            print(f"{name:<13} {title:<44} wall {wall:6.2f} s  CPU {cpu:6.2f} s  peak RSS {rss_kib / 1024:7.1f} MiB  exit {code}  "
                  f"{verdict}  (input made in {made:.1f} s)")
            if why:
                print(f"{'':<13} refused: {why}")
            bad += problem is not None
    finally:
        if args.keep:
            print(f"inputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
