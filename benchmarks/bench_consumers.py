#!/usr/bin/env python3
"""SSO8xx probe overlap: eight tools on PATH whose version command takes 0.5 s each.

    python benchmarks/bench_consumers.py            # 7 timed runs of each case, interleaved
    python benchmarks/bench_consumers.py --runs 11

The cases, each `sso-doctor check` as its own process (interpreter start and imports included), with
a fresh HOME holding one sso-session profile, and a PATH that holds only the fake tools:
- none:   no tools on PATH;
- eight:  terraform, terragrunt, pulumi, aws-vault, granted, session-manager-plugin, sam and eb, each a
          shell script that sleeps 0.5 s before printing a version. `check --offline` executes the five
          that can be kept offline (granted has no known opt-out of its update check, so --offline never
          starts it) and reads sam/eb statically; the `online` column runs without --offline on a
          config whose only profile has no SSO keys (nothing to probe on the network), where granted is
          executed too: six probes.
The probes run side by side on their own threads from the start of the run, overlapping the config
load, so the cost is one probe's time, not eight: the goal is at most 0.9 s over `none`.

Exit status: 0 when every case stays within 0.9 s of `none`, 1 when one does not.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOOLS = {
    "terraform": '{"terraform_version": "1.5.7"}',
    "terragrunt": "terragrunt version v0.55.0",
    "pulumi": "v3.90.0",
    "aws-vault": "v7.2.0",
    "granted": "Granted v0.20.0",
    "session-manager-plugin": "1.2.497.0",
    "sam": "SAM CLI, version 1.90.0",
    "eb": "EB CLI 3.20.10 (Python 3.11.4)",
}
SLEEP = 0.5
BUDGET = 0.9

SESSION_CONFIG = """[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = ReadOnly
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
"""
PLAIN_CONFIG = "[profile dev]\nregion = eu-west-1\n"


def _setup(root: Path, with_tools: bool, config: str) -> dict[str, str]:
    home, bindir = root / "home", root / "bin"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(config)
    bindir.mkdir()
    if with_tools:
        for name, line in TOOLS.items():
            script = bindir / name
            script.write_text(f"#!/bin/sh\n/bin/sleep {SLEEP}\necho '{line}'\n")
            script.chmod(0o755)
    return {"HOME": str(home), "PATH": str(bindir), "AWS_PROFILE": "dev", "LANG": "C.UTF-8",
            "SSO_DOCTOR_CWD": str(home)}


def _time(env: dict[str, str], args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sso_doctor", "check", "--format", "json", *args], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    cases = {
        # name: (tools on PATH, config, args)
        "offline, none": (False, SESSION_CONFIG, ["--offline"]),
        "offline, eight": (True, SESSION_CONFIG, ["--offline"]),
        "online, none": (False, PLAIN_CONFIG, ["--timeout", "2"]),
        "online, eight": (True, PLAIN_CONFIG, ["--timeout", "2"]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        envs = {name: _setup(Path(tmp) / str(i), tools, cfg) for i, (name, (tools, cfg, _)) in enumerate(cases.items())}
        times: dict[str, list[float]] = {name: [] for name in cases}
        for name in cases:  # one untimed warm-up each
            _time(envs[name], cases[name][2])
        for _ in range(opts.runs):
            for name in cases:
                times[name].append(_time(envs[name], cases[name][2]))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"{'case':<16} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, t in times.items():
        print(f"{name:<16} {med[name]:>9.3f} {min(t):>7.3f} {max(t):>7.3f}")
    ok = True
    for mode in ("offline", "online"):
        delta = med[f"{mode}, eight"] - med[f"{mode}, none"]
        verdict = "ok" if delta <= BUDGET else "OVER BUDGET"
        ok = ok and delta <= BUDGET
        print(f"{mode}: eight tools x {SLEEP} s cost {delta:+.3f} s over none (budget {BUDGET} s): {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
