#!/usr/bin/env python3
"""Offline benchmark: sso-doctor vs aws-sso-util on a config with 2,500 SSO profiles.

    python benchmarks/bench_offline.py            # 11 timed runs of each, interleaved
    python benchmarks/bench_offline.py --runs 21 --keep

What is compared (see benchmarks/README.md for why this is the fair pairing):
- `sso-doctor check --offline --all-profiles` on a config with one [sso-session] and 500 accounts x 5
  roles = 2,500 profiles that reference it — every offline rule over every SSO profile;
- `aws-sso-util check --skip-token-check` on the same 2,500 profiles written the legacy way
  (sso_start_url/sso_region inline), which is the only shape aws-sso-util reads: it loads botocore's
  full_config, collects the Identity Center instance of every profile, checks there is exactly one,
  and stops before the token (that is what --skip-token-check does).
- for reference (not gated): sso-doctor on the legacy config too, so both tools read the same bytes.

Each tool runs as its own process, as a user runs it (interpreter start and imports included), with a
fresh empty HOME (no token cache), the generated file as AWS_CONFIG_FILE, no AWS variables, and a PATH
that holds only a stub `aws` printing a CLI v2 version line (so tooling checks take their normal path
without starting a real AWS CLI). One untimed warm-up run each, then --runs timed runs, interleaved so
machine load hits both alike. Reported: median, min and max wall time, and median CPU time (user+sys
of the child). Results go to benchmarks/results/bench_offline.json.

--aws v1 puts the real AWS CLI v1 from PyPI on that PATH instead of the stub (installed into
benchmarks/.venv-awscli-v1 on first use): the case of issue #11, where running `aws --version` (a
Python process importing botocore, ~0.4 s) used to dominate the check.

Exit status: 0 when sso-doctor's median wall time is below half of aws-sso-util's, 1 when it is not,
2 when something could not run.

aws-sso-util is installed from PyPI into benchmarks/.venv-aws-sso-util on first use (not into the
environment that runs sso-doctor: its dependencies must not change what sso-doctor imports).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv-aws-sso-util"
RESULTS = HERE / "results"
AWS_SSO_UTIL_VERSION = "4.33.0"
AWSCLI_V1_VENV = HERE / ".venv-awscli-v1"
AWSCLI_V1_SPEC = "awscli>=1.46,<2"

START_URL = "https://d-9067c0ffee.awsapps.com/start"
SSO_REGION = "us-east-1"
ROLES = ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "ViewOnlyAccess", "Billing")
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")


def account_id(i: int) -> str:
    return f"{100000000000 + i * 7919:012d}"


def generate(accounts: int, legacy: bool) -> str:
    """accounts x 5 role profiles; one [sso-session] (or the legacy inline keys in every profile)."""
    out = []
    if not legacy:
        out.append(f"[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n"
                   "sso_registration_scopes = sso:account:access\n")
    for a in range(accounts):
        for role in ROLES:
            sso = (f"sso_start_url = {START_URL}\nsso_region = {SSO_REGION}\n" if legacy
                   else "sso_session = corp\n")
            out.append(f"[profile acct{a:03d}-{role}]\n{sso}sso_account_id = {account_id(a)}\n"
                       f"sso_role_name = {role}\nregion = {REGIONS[a % len(REGIONS)]}\noutput = json\n")
    return "\n".join(out)


def ensure_aws_sso_util(version: str) -> Path:
    exe = VENV / "bin" / "aws-sso-util"
    if exe.exists():
        return exe
    print(f"installing aws-sso-util=={version} into {VENV.relative_to(ROOT)} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"aws-sso-util=={version}"], check=True)
    return exe


def ensure_awscli_v1() -> Path:
    exe = AWSCLI_V1_VENV / "bin" / "aws"
    if exe.exists():
        return exe
    print(f"installing {AWSCLI_V1_SPEC} into {AWSCLI_V1_VENV.relative_to(ROOT)} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_V1_VENV)], check=True)
    subprocess.run([str(AWSCLI_V1_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", AWSCLI_V1_SPEC], check=True)
    return exe


def sso_doctor_command() -> list[str]:
    try:
        import sso_doctor  # noqa: F401
    except ImportError:
        sys.exit("sso-doctor is not importable by this Python: run it with the project's virtualenv, e.g. "
                 ".venv/bin/python benchmarks/bench_offline.py")
    # The console script pip made, as a user runs it (aws-sso-util runs through its own too).
    script = Path(sys.executable).parent / "sso-doctor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sso_doctor"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode, proc.stdout + proc.stderr


def summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    walls = [w for w, _ in samples]
    return {
        "median_s": round(statistics.median(walls), 4),
        "min_s": round(min(walls), 4),
        "max_s": round(max(walls), 4),
        "median_cpu_s": round(statistics.median(c for _, c in samples), 4),
        "runs": len(walls),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs of each command (default 11)")
    parser.add_argument("--accounts", type=int, default=500, help="accounts; 5 roles each (default 500)")
    parser.add_argument("--aws-sso-util-version", default=AWS_SSO_UTIL_VERSION)
    parser.add_argument("--keep", action="store_true", help="keep the temporary HOME and configs")
    parser.add_argument("--aws", choices=("stub", "v1"), default="stub",
                        help="the aws on PATH: a stub printing a v2 line (default), or the real AWS CLI v1")
    parser.add_argument("--output", type=Path, default=None,
                        help="default: results/bench_offline.json (results/bench_offline_aws_v1.json with --aws v1)")
    args = parser.parse_args()
    if args.output is None:
        args.output = RESULTS / ("bench_offline.json" if args.aws == "stub" else "bench_offline_aws_v1.json")
    args.aws_path = ensure_awscli_v1() if args.aws == "v1" else None

    sso_doctor = sso_doctor_command()
    aws_sso_util = ensure_aws_sso_util(args.aws_sso_util_version)

    work = Path(tempfile.mkdtemp(prefix="sso-doctor-bench-offline-"))
    try:
        return _run(args, sso_doctor, aws_sso_util, work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, sso_doctor: list[str], aws_sso_util: Path, work: Path) -> int:
    home = work / "home"
    home.mkdir()
    bindir = work / "bin"
    bindir.mkdir()
    stub = bindir / "aws"
    if args.aws_path is not None:
        stub.symlink_to(args.aws_path)  # the real v1, as `pip install awscli` leaves it on a PATH
    else:
        stub.write_text("#!/bin/sh\necho 'aws-cli/2.22.0 Python/3.12.6 Linux/6.1.0 exe/x86_64.ubuntu.22'\n")
        stub.chmod(0o755)
    session_cfg = work / "config-sso-session"
    legacy_cfg = work / "config-legacy"
    session_cfg.write_text(generate(args.accounts, legacy=False))
    legacy_cfg.write_text(generate(args.accounts, legacy=True))

    def env_for(config: Path) -> dict[str, str]:
        return {"HOME": str(home), "PATH": str(bindir), "LANG": "C.UTF-8", "AWS_CONFIG_FILE": str(config),
                "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials")}

    contenders = {
        "sso-doctor (sso-session config)": (
            [*sso_doctor, "check", "--offline", "--all-profiles"], env_for(session_cfg), (0, 1)),
        "aws-sso-util (legacy config)": (
            [str(aws_sso_util), "check", "--skip-token-check"], env_for(legacy_cfg), (0,)),
        "sso-doctor (legacy config, reference)": (
            [*sso_doctor, "check", "--offline", "--all-profiles"], env_for(legacy_cfg), (0, 1)),
    }

    # What each one did, once, untimed (also the warm-up).
    described = {}
    for name, (cmd, env, ok_codes) in contenders.items():
        _, _, code, output = timed(cmd, env, work)
        if code not in ok_codes:
            print(f"{name} failed with exit code {code}:\n{output}", file=sys.stderr)
            return 2
        described[name] = {"command": " ".join(["python", *cmd[1:]] if cmd[0] == sys.executable
                                               else [Path(cmd[0]).name, *cmd[1:]]),
                           "exit_code": code, "output_head": output.strip().splitlines()[:3]}
    report = subprocess.run([*sso_doctor, "check", "--offline", "--all-profiles", "--format", "json"],
                            env=env_for(session_cfg), cwd=work, capture_output=True, text=True)
    doc = json.loads(report.stdout)
    work_done = {"profiles_checked": len(doc["inputs"]["profiles"]), "summary": doc["summary"]}

    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(args.runs):
        for name, (cmd, env, _) in contenders.items():
            wall, cpu, _, _ = timed(cmd, env, work)
            samples[name].append((wall, cpu))

    results = {name: summary(s) for name, s in samples.items()}
    doctor, util = results["sso-doctor (sso-session config)"], results["aws-sso-util (legacy config)"]
    ratio = doctor["median_s"] / util["median_s"]
    cpu_ratio = doctor["median_cpu_s"] / util["median_cpu_s"]
    min_ratio = doctor["min_s"] / util["min_s"]
    passed = ratio < 0.5
    payload = {
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "input": {"accounts": args.accounts, "roles_per_account": len(ROLES),
                  "profiles": args.accounts * len(ROLES),
                  "sso_session_config_bytes": session_cfg.stat().st_size,
                  "legacy_config_bytes": legacy_cfg.stat().st_size},
        "aws_sso_util_version": args.aws_sso_util_version,
        "aws_on_path": "stub printing a v2 version line" if args.aws_path is None else "real AWS CLI v1 " + next(
            (p.name.removeprefix("awscli-").removesuffix(".dist-info")
             for p in AWSCLI_V1_VENV.glob("lib/python3.*/site-packages/awscli-*.dist-info")), "?"),
        "commands": described,
        "sso_doctor_work": work_done,
        "results": results,
        "ratio_sso_doctor_to_aws_sso_util": round(ratio, 3),
        "ratio_of_median_cpu": round(cpu_ratio, 3),
        "ratio_of_min_wall": round(min_ratio, 3),
        "goal": "sso-doctor median < 0.5 x aws-sso-util median",
        "passed": passed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2) + "\n")

    width = max(len(n) for n in results)
    print(f"{args.accounts * len(ROLES)} profiles, {args.runs} runs each (wall seconds; cpu = user+sys); aws on PATH: "
          f"{payload['aws_on_path']}")
    for name, r in results.items():
        print(f"  {name:<{width}}  median {r['median_s']:.3f}  min {r['min_s']:.3f}  max {r['max_s']:.3f}"
              f"  cpu {r['median_cpu_s']:.3f}")
    print(f"sso-doctor / aws-sso-util = {ratio:.2f} of median wall time (goal < 0.50): {'PASS' if passed else 'FAIL'}"
          f"; {cpu_ratio:.2f} of median CPU time, {min_ratio:.2f} of the fastest runs")
    print(f"results: {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
