"""Scenario harness: one folder per case under fixtures/, inputs beside expected output.

A scenario folder holds:
  home/            a fake HOME (copied to a temp dir, so tests may chmod it)
  bin/             optional executables put alone on PATH (e.g. a fake `aws`)
  scenario.toml    rule = "SSO105", kind = "fires" | "near-miss", args = [...], select = [...],
                   now = "2026-11-26T12:00:00Z", [env] (values may use {home} and {bin}),
                   [setup] chmod = {"rel/path" = "000"}, symlink = {"link" = "target"}, mkdir = [...],
                   chown = {"rel/path" = "65534"} (owner uid), mtime = {"rel/path" = "2026-11-26T02:00:00Z"}
                   (scenarios run with --offline unless they say online = true)
  expected.json    {"exit_code": N, "findings": [{"rule_id", "severity", "subject", "path", "line",
                   "env_var"?}], "contains": {"SSO105": ["did you mean"]}, "rules": {"SSO104": "skipped"}}
Paths in expected.json are written with "~" for the fake HOME and "{bin}" for the scenario's bin/.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SCHEMA_PATH = ROOT / "sso_doctor" / "schemas" / "report.schema.json"
DEFAULT_NOW = "2026-11-26T12:00:00Z"


@cache
def schema_validator() -> jsonschema.Draft202012Validator:
    from importlib import resources

    schema = json.loads(resources.files("sso_doctor").joinpath("schemas/report.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def validate_report(doc: dict[str, Any]) -> None:
    schema_validator().validate(doc)


@dataclass
class Scenario:
    name: str
    folder: Path
    meta: dict[str, Any]
    expected: dict[str, Any]

    @property
    def rule(self) -> str | None:
        return self.meta.get("rule")

    @property
    def kind(self) -> str | None:
        return self.meta.get("kind")


def all_scenarios() -> list[Scenario]:
    out = []
    for toml_path in sorted(FIXTURES.glob("*/scenario.toml")):
        folder = toml_path.parent
        meta = tomllib.loads(toml_path.read_text())
        expected = json.loads((folder / "expected.json").read_text())
        out.append(Scenario(folder.name, folder, meta, expected))
    return out


@dataclass
class Prepared:
    home: Path
    bin: Path
    env: dict[str, str]
    args: list[str]


def prepare(sc: Scenario, tmp: Path) -> Prepared:
    home = tmp / "home"
    bindir = tmp / "bin"
    if (sc.folder / "home").exists():
        shutil.copytree(sc.folder / "home", home, symlinks=True)
    else:
        home.mkdir()
    bindir.mkdir()
    if (sc.folder / "bin").exists():
        for f in (sc.folder / "bin").iterdir():
            shutil.copy2(f, bindir / f.name)
            (bindir / f.name).chmod(0o755)
    setup = sc.meta.get("setup", {})
    for rel in setup.get("mkdir", []):
        (home / rel).mkdir(parents=True, exist_ok=True)
    for link, target in setup.get("symlink", {}).items():
        (home / link).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, home / link)
    for rel, mode in setup.get("chmod", {}).items():
        os.chmod(home / rel, int(mode, 8))
    for rel, when in setup.get("mtime", {}).items():
        # a file's last-write time, as an ISO time (e.g. relative to the scenario's `now`)
        import datetime as _dt
        stamp = _dt.datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()
        os.utime(home / rel, (stamp, stamp))
    for rel, uid in setup.get("chown", {}).items():
        os.chown(home / rel, int(uid), -1)  # the suite runs as root: "owned by another user"
    subst = {"home": str(home), "bin": str(bindir)}
    env = {
        "HOME": str(home),
        "USERPROFILE": str(home),  # `~` on a real Windows host (ignored elsewhere)
        "PATH": str(bindir),
        "LANG": "C.UTF-8",
        "SSO_DOCTOR_NOW": sc.meta.get("now", DEFAULT_NOW),
        # the SSO8xx project scan reads the working directory: the fake HOME, not this checkout
        "SSO_DOCTOR_CWD": str(home),
    }
    for k, v in sc.meta.get("env", {}).items():
        env[k] = str(v).format(**subst)
    if "SSO_DOCTOR_ROOT" not in env:
        # OS markers (/.dockerenv, /proc/version) and installers' folders (/usr/local/aws-cli, /snap/bin)
        # come from an empty root unless the scenario brings its own: the machine running the tests has no say
        (tmp / "empty-root").mkdir(exist_ok=True)
        env["SSO_DOCTOR_ROOT"] = str(tmp / "empty-root")
    for k in sc.meta.get("unset", []):
        env.pop(k, None)
    args = ["check", "--format", "json"]
    if not sc.meta.get("online", False):
        args.append("--offline")  # static fixtures never reach a network; online rules have their own e2e tests
    for token in sc.meta.get("select", []):
        args += ["--select", token]
    args += [str(a).format(**subst) for a in sc.meta.get("args", [])]
    return Prepared(home, bindir, env, args)


def normalise(finding: dict[str, Any], home: Path, bindir: Path | None = None) -> dict[str, Any]:
    loc = finding["location"]
    path = loc.get("path")
    if path and (path == str(home) or path.startswith(str(home) + "/")):
        path = "~" + path[len(str(home)):]
    elif path and bindir and path.startswith(str(bindir) + "/"):
        path = "{bin}" + path[len(str(bindir)):]  # the scenario's own bin/ folder, as in [env]
    out = {
        "rule_id": finding["rule_id"],
        "severity": finding["severity"],
        "subject": finding["subject"],
        "path": path,
        "line": loc.get("line"),
    }
    if loc.get("env_var"):
        out["env_var"] = loc["env_var"]
    return out


def sort_key(d: dict[str, Any]) -> str:
    return json.dumps(d, sort_keys=True)
