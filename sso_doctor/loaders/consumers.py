"""Other consumers of ~/.aws on this machine (SDKs, tools, IDE toolkits, credential helpers), as facts.

Static reads first: dist-info metadata of the Python environments (never imported), the working
directory's lock files, install-path names, the package.json beside a script. Only tools whose version
can't be read statically are executed (`terraform version -json`, `terragrunt --version`, ...), all at
once on their own threads, each in its own session with a short timeout, killed on hang. `start()`
launches them and returns at once, so they overlap the config load; `Pending.result()` collects them.

Every child gets the known opt-outs of phoning home (CHECKPOINT_DISABLE=1 for HashiCorp tools,
PULUMI_SKIP_UPDATE_CHECK=true); a tool that has no such opt-out is not executed with --offline.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shlex
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

PROBE_TIMEOUT = 2.0
MAX_FILE = 4 * 1024 * 1024  # lock files and metadata larger than this are read up to here
MAX_OUTPUT = 16 * 1024

# What every executed child gets: the known "don't phone home" switches.
OFFLINE_ENV = {
    "CHECKPOINT_DISABLE": "1",  # terraform/terragrunt/packer: no checkpoint.hashicorp.com call
    "PULUMI_SKIP_UPDATE_CHECK": "true",  # pulumi: no update check against api.pulumi.com
}

PYTHON_DISTS = {  # dist-info name (normalised) -> knowledge-base id
    "botocore": "botocore",
    "boto3": "boto3",
    "awscli": "awscli-v1",
    "awsebcli": "eb-cli",
    "aws_sam_cli": "sam-cli",
    "aws2_wrap": "aws2-wrap",
}


TOOLS: dict[str, tuple[str, tuple[str, ...], str, bool]] = {
    # command: (consumer, version args, how to parse, offline_safe: runnable with --offline)
    "terraform": ("terraform", ("version", "-json"), "terraform-json", True),
    "terragrunt": ("terragrunt", ("--version",), "semver", True),
    "pulumi": ("pulumi", ("version",), "semver", True),
    "aws-vault": ("aws-vault", ("--version",), "semver", True),
    "granted": ("granted", ("--version",), "semver", False),
    "session-manager-plugin": ("session-manager-plugin", ("--version",), "semver", True),
}
# Read without running them: a console script's dist-info, an npm package.json.
STATIC_TOOLS = {"sam": "sam-cli", "eb": "eb-cli", "aws2-wrap": "aws2-wrap", "cdk": "cdk", "assume": "granted",
                "aws": "awscli-v1"}  # aws: only when it is awscli v1's Python script (v2 is SSO4xx's business)


# --- the knowledge base ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    kind: str
    data: Mapping[str, Any]

    def get(self, key: str) -> Any:
        return self.data.get(key)

    @property
    def source(self) -> str:
        return str(self.data.get("source") or "")


@dataclass(frozen=True)
class Consumer:
    id: str
    name: str
    ecosystem: str
    upgrade: str = ""
    find: str = ""
    version: str = ""
    note: str = ""
    facts: tuple[Fact, ...] = ()

    def error_text(self, case: str, profile: str) -> str:
        """What this consumer prints in that case (a sourced error_text fact), or ""."""
        for f in self.facts_of("error_text"):
            if f.get("case") == case:
                return str(f.get("text")).replace("{profile}", profile)
        return ""

    def facts_of(self, kind: str) -> list[Fact]:
        return [f for f in self.facts if f.kind == kind]

    def since(self, kind: str) -> str | None:
        for f in self.facts_of(kind):
            if f.get("since"):
                return str(f.get("since"))
        return None


@cache
def knowledge() -> dict[str, Consumer]:
    """The knowledge base shipped in sso_doctor/data/consumers.toml, loaded on first use."""
    import tomllib  # only when a consumer was found: a plain check of a bare machine never reads the file
    from importlib import resources

    doc = tomllib.loads(resources.files("sso_doctor").joinpath("data/consumers.toml").read_text("utf-8"))
    out: dict[str, Consumer] = {}
    for c in doc.get("consumer", []):
        facts = tuple(Fact(str(f.get("kind")), dict(f)) for f in c.get("fact", []))
        out[c["id"]] = Consumer(
            id=c["id"], name=c.get("name", c["id"]), ecosystem=c.get("ecosystem", ""), upgrade=c.get("upgrade", ""),
            find=c.get("find", ""), version=c.get("version", ""), note=c.get("note", ""), facts=facts,
        )
    return out


# --- facts about this machine ------------------------------------------------------------------------


class Found(NamedTuple):
    """One consumer found here: which, what version, where (file + line, or a path) and how."""

    consumer: str
    version: str | None
    path: str
    line: int | None = None
    how: str = ""  # "virtualenv", "lock file", "PATH", ...
    modules: frozenset[str] = frozenset()  # Java/.NET: the SDK modules the project declares
    detail: str = ""


class Helper(NamedTuple):
    """A `credential_process` program named by a profile and whether it can be started."""

    profile: str
    command: str
    program: str
    resolved: str | None
    state: str  # ok | missing | not-executable | unparseable
    config_path: str | None
    line: int | None
    consumer: str | None = None  # knowledge-base id when it is a known helper
    version: str | None = None
    section: str | None = None  # the section header it is written in ("profile ci", "default", ...)


class ProbeRun(NamedTuple):
    consumer: str
    path: str
    argv: tuple[str, ...]
    state: str  # ok | hung | failed | not-run
    version: str | None = None
    reason: str = ""


class Consumers(NamedTuple):
    found: tuple[Found, ...]
    helpers: tuple[Helper, ...]
    probes: tuple[ProbeRun, ...]
    cwd: str

    def of(self, consumer: str) -> list[Found]:
        return [f for f in self.found if f.consumer == consumer]


# --- reading files -----------------------------------------------------------------------------------


def _read(path: str | Path, limit: int = MAX_FILE) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


# --- Python environments -----------------------------------------------------------------------------


def _site_dirs(prefix: str) -> list[str]:
    out = []
    for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages", "lib/python3/dist-packages",
                    "Lib/site-packages", "lib64/python3*/site-packages"):
        out.extend(str(p) for p in sorted(Path(prefix).glob(pattern)))
    return out


_DIST = re.compile(r"^(?P<name>[A-Za-z0-9_.]+?)-(?P<version>[^-]+)\.dist-info$")


def _dists_in(site: str) -> list[tuple[str, str | None, str]]:
    """(knowledge-base id, version, METADATA path) of the AWS distributions in one site-packages."""
    out = []
    try:
        entries = list(os.scandir(site))
    except OSError:
        return out
    for e in entries:
        m = _DIST.match(e.name)
        if not m:
            continue
        name = m.group("name").lower().replace("-", "_").replace(".", "_")
        consumer = PYTHON_DISTS.get(name)
        if consumer is None:
            continue
        meta = os.path.join(e.path, "METADATA")
        text = _read(meta, 64 * 1024) or ""
        v = re.search(r"^Version:\s*(\S+)", text, re.MULTILINE)
        out.append((consumer, v.group(1) if v else m.group("version"), meta))
    return out


def _which(name: str, env: Mapping[str, str], platform: str) -> str | None:
    names = [name]
    if platform == "win32":
        names = [name + e.lower() for e in env.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(";") if e] + [name]
    path = env.get("PATH")
    for d in (path.split(os.pathsep) if path else []):
        for n in names:
            p = os.path.join(os.path.abspath(d or os.curdir), n)
            try:
                st = os.stat(p)
            except (OSError, ValueError):
                continue
            if stat.S_ISREG(st.st_mode):
                return p
    return None


def _python_envs(env: Mapping[str, str], platform: str, home: str | None) -> list[tuple[str, str]]:
    """(how, prefix) of the Python environments a user's tools run in."""
    envs = []
    if env.get("VIRTUAL_ENV"):
        envs.append(("virtualenv (VIRTUAL_ENV)", env["VIRTUAL_ENV"]))
    if env.get("CONDA_PREFIX"):
        envs.append(("conda environment (CONDA_PREFIX)", env["CONDA_PREFIX"]))
    py = _which("python3", env, platform)
    if py:
        prefix = _prefix_of(py)
        envs.append(("python3 on PATH", prefix))
        if prefix == "/usr":
            envs.append(("python3 on PATH", "/usr/local"))  # where Debian's pip installs
        if home and not (Path(prefix) / "pyvenv.cfg").exists():
            # `pip install --user`: seen by that python3 outside a virtualenv
            envs.append((USER_SITE, os.path.join(home, ".local")))
    return envs


USER_SITE = "user site-packages (pip install --user)"


def _prefix_of(interpreter: str) -> str:
    """The environment prefix of an interpreter: a venv's pyvenv.cfg beside bin/, else <prefix>/bin/python."""
    unresolved = Path(interpreter).parent.parent
    if (unresolved / "pyvenv.cfg").exists():
        return str(unresolved)
    return str(Path(os.path.realpath(interpreter)).parent.parent)


def _scan_python(env: Mapping[str, str], platform: str, home: str | None = None) -> list[Found]:
    found, seen = [], set()
    for how, prefix in _python_envs(env, platform, home):
        for site in _site_dirs(prefix):
            real = os.path.realpath(site)
            if real in seen:
                continue
            seen.add(real)
            for consumer, version, meta in _dists_in(site):
                found.append(Found(consumer, version, meta, None, how, detail=prefix))
    return found


def _script_env(script: str) -> str | None:
    """The environment prefix of a Python console script's #! interpreter, or None."""
    first = (_read(script, 512) or "").splitlines()[:1]
    if not first or not first[0].startswith("#!"):
        return None
    parts = first[0][2:].split()
    if not parts:
        return None
    interp = parts[1] if os.path.basename(parts[0]) == "env" and len(parts) > 1 else parts[0]
    if not os.path.isabs(interp) or not os.path.basename(interp).lower().startswith("python"):
        return None  # a shell or node script: no Python environment to read
    return _prefix_of(interp)


def _script_dists(script: str) -> tuple[str | None, list[tuple[str, str | None, str]]]:
    """(environment prefix, AWS distributions in it) of a Python console script."""
    prefix = _script_env(script)
    if prefix is None:
        return None, []
    return prefix, [d for site in _site_dirs(prefix) for d in _dists_in(site)]


def _script_dist(script: str, consumer: str) -> tuple[str | None, str | None]:
    """Version of a Python console script's distribution, from the environment of its #! interpreter."""
    for c, version, meta in _script_dists(script)[1]:
        if c == consumer:
            return version, meta
    return None, None


def _npm_package_version(script: str, package: str) -> str | None:
    real = Path(os.path.realpath(script))
    for parent in list(real.parents)[:4]:
        pj = parent / "package.json"
        if pj.is_file():
            try:
                doc = json.loads(_read(pj, 256 * 1024) or "{}")
            except ValueError:
                return None
            if doc.get("name") == package:
                return str(doc.get("version") or "") or None
    return None


# --- project lock files --------------------------------------------------------------------------------


def _scan_project(cwd: str) -> list[Found]:
    found: list[Found] = []
    try:
        names = sorted(os.listdir(cwd))
    except OSError:
        return found
    for name in names:
        path = os.path.join(cwd, name)
        if not os.path.isfile(path):
            continue
        lower = name.lower()
        try:
            if lower == "package-lock.json":
                found += _npm_lock(path)
            elif lower == "yarn.lock":
                found += _yarn_lock(path)
            elif lower == "pnpm-lock.yaml":
                found += _pnpm_lock(path)
            elif lower == "go.mod":
                found += _go_mod(path)
            elif lower == ".terraform.lock.hcl":
                found += _terraform_lock(path)
            elif lower.endswith(".csproj") or lower == "packages.lock.json":
                found += _dotnet(path)
            elif lower in ("pom.xml", "build.gradle", "build.gradle.kts"):
                found += _java(path)
            elif lower == "cargo.lock":
                found += _cargo_lock(path)
            elif (lower.startswith("requirements") and lower.endswith(".txt")) or lower in (
                    "poetry.lock", "uv.lock", "pipfile.lock"):
                found += _python_lock(path)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a malformed lock file is not a consumer we can judge
    return found


_NPM = {"@aws-sdk/credential-provider-sso": "aws-sdk-js-v3", "aws-sdk": "aws-sdk-js-v2"}


def _npm_lock(path: str) -> list[Found]:
    text = _read(path) or ""
    doc = json.loads(text)
    out = []
    packages = doc.get("packages") or {}
    for pkg, consumer in _NPM.items():
        key = f"node_modules/{pkg}"
        version = None
        if key in packages:
            version = packages[key].get("version")
        elif pkg in (doc.get("dependencies") or {}):
            version = doc["dependencies"][pkg].get("version")
        if version:
            i = text.find(f'"{key}"')
            i = i if i >= 0 else text.find(f'"{pkg}"')
            out.append(Found(consumer, str(version), path, _line_of(text, max(i, 0)), "lock file"))
    return out


def _scan(path: str, table: Iterable[tuple[str, str]], pattern: Callable[[str], str], kind: str) -> list[Found]:
    """For each (package, consumer): the version in the first match of `pattern(escaped package)`, with
    its line. The readers of line-based lock files differ only in that pattern."""
    text = _read(path) or ""
    out = []
    for name, consumer in table:
        m = re.search(pattern(re.escape(name)), text, re.MULTILINE)
        if m:
            out.append(Found(consumer, m.group(1), path, _line_of(text, m.start()), kind))
    return out


def _yarn_lock(path: str) -> list[Found]:
    return _scan(path, _NPM.items(),
                 lambda pkg: r'^"?' + pkg + r'@[^\n]*:\n(?:[ \t]+[^\n]*\n)*?[ \t]+version:?\s+"?([^"\s]+)"?',
                 "lock file")


def _pnpm_lock(path: str) -> list[Found]:
    return _scan(path, _NPM.items(), lambda pkg: r"^\s+['\"]?/?" + pkg + r"[@/](\d+\.\d+\.\d+)", "lock file")


_GO_MODULES = (("github.com/aws/aws-sdk-go", "aws-sdk-go"), ("github.com/aws/aws-sdk-go-v2/config", "aws-sdk-go-v2"))


def _go_mod(path: str) -> list[Found]:
    return _scan(path, _GO_MODULES, lambda module: r"^\s*(?:require\s+)?" + module + r"\s+v(\d+\.\d+\.\d+)", "go.mod")


def _terraform_lock(path: str) -> list[Found]:
    text = _read(path) or ""
    m = re.search(r'provider\s+"registry\.(?:terraform|opentofu)\.io/hashicorp/aws"\s*\{[^}]*?version\s*=\s*"([^"]+)"',
                  text, re.DOTALL)
    if not m:
        return []
    return [Found("terraform-provider-aws", m.group(1), path, _line_of(text, m.start()), "lock file")]


def _dotnet(path: str) -> list[Found]:
    text = _read(path) or ""
    if path.lower().endswith("packages.lock.json"):
        names = set(re.findall(r'"(AWSSDK\.[A-Za-z0-9.]+)"\s*:', text))
        versions = re.findall(r'"AWSSDK\.Core"\s*:\s*\{[^}]*?"resolved"\s*:\s*"([^"]+)"', text, re.DOTALL)
    else:
        names = set(re.findall(r'<PackageReference\s+Include="(AWSSDK\.[A-Za-z0-9.]+)"', text, re.IGNORECASE))
        versions = re.findall(r'<PackageReference\s+Include="AWSSDK\.[A-Za-z0-9.]+"\s+Version="([^"]+)"', text,
                              re.IGNORECASE)
    if not names:
        return []
    i = text.find("AWSSDK.")
    return [Found("aws-sdk-net", versions[0] if versions else None, path, _line_of(text, i), "project file",
                  modules=frozenset(n.upper() for n in names))]


def _java(path: str) -> list[Found]:
    text = _read(path) or ""
    if path.endswith(".xml"):
        arts = re.findall(r"<groupId>\s*software\.amazon\.awssdk\s*</groupId>\s*<artifactId>\s*([\w.-]+)\s*</artifactId>"
                          r"(?:\s*<version>\s*([^<\s]+)\s*</version>)?", text)
    else:
        arts = re.findall(r"software\.amazon\.awssdk:([\w.-]+)(?::([\w.${}-]+))?", text)
    if not arts:
        return []
    modules = frozenset(a for a, _ in arts if a != "bom")
    version = next((v for a, v in arts if v and v[0].isdigit()), None)
    i = text.find("software.amazon.awssdk")
    return [Found("aws-sdk-java-v2", version, path, _line_of(text, i), "build file", modules=modules)]


def _cargo_lock(path: str) -> list[Found]:
    text = _read(path) or ""
    m = re.search(r'^name = "aws-config"\nversion = "([^"]+)"', text, re.MULTILINE)
    return [Found("aws-sdk-rust", m.group(1), path, _line_of(text, m.start()), "lock file")] if m else []


def _python_lock(path: str) -> list[Found]:
    text = _read(path) or ""
    out = []
    lower = os.path.basename(path).lower()
    for dist in ("botocore", "boto3", "awscli"):
        consumer = PYTHON_DISTS[dist]
        if lower.endswith(".txt"):
            m = re.search(r"^\s*" + dist + r"\s*==\s*([\w.]+)", text, re.MULTILINE | re.IGNORECASE)
        elif lower == "pipfile.lock":
            m = re.search(r'"' + dist + r'"\s*:\s*\{[^}]*?"version"\s*:\s*"==([\w.]+)"', text, re.DOTALL)
        else:  # poetry.lock, uv.lock
            m = re.search(r'^name = "' + dist + r'"\nversion = "([^"]+)"', text, re.MULTILINE)
        if m:
            out.append(Found(consumer, m.group(1), path, _line_of(text, m.start()), "lock file"))
    return out


# --- IDE toolkits ------------------------------------------------------------------------------------------


def _scan_ides(home: str | None) -> list[Found]:
    if not home:
        return []
    out = []
    for d in (".vscode/extensions", ".vscode-server/extensions", ".vscode-insiders/extensions", ".cursor/extensions"):
        base = os.path.join(home, d)
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for n in names:
            m = re.match(r"amazonwebservices\.aws-toolkit-vscode-(\d+\.\d+\.\d+)", n)
            if m:
                out.append(Found("vscode-toolkit", m.group(1), os.path.join(base, n), None, "VS Code extension"))
    for pattern in (".local/share/JetBrains/*/aws-toolkit-jetbrains*",
                    "Library/Application Support/JetBrains/*/plugins/aws-toolkit-jetbrains*",
                    "AppData/Roaming/JetBrains/*/plugins/aws-toolkit-jetbrains*"):
        for p in sorted(Path(home).glob(pattern)):
            out.append(Found("jetbrains-toolkit", None, str(p), None, "JetBrains plugin"))
    return out


# --- executed probes -----------------------------------------------------------------------------------------


class _Running:
    def __init__(self, consumer: str, path: str, argv: tuple[str, ...], parse: str) -> None:
        self.consumer, self.path, self.argv, self.parse = consumer, path, argv, parse
        self.output = b""
        self.state = "failed"
        self.reason = ""
        self.thread: threading.Thread | None = None


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    out = dict(env)
    out.update(OFFLINE_ENV)
    return out


def _run(r: _Running, env: dict[str, str], timeout: float) -> None:
    """Run one probe on this thread: output kept up to MAX_OUTPUT (the rest read and dropped, so a chatty
    tool can neither fill memory nor block on a full pipe), its whole process group killed at the deadline."""
    deadline = time.monotonic() + timeout
    try:
        proc = subprocess.Popen([r.path, *r.argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, start_new_session=os.name == "posix",
                                close_fds=True)
    except OSError as e:
        r.reason = f"it cannot be started ({e.strerror or type(e).__name__})"
        return
    try:
        _collect(proc, r, deadline, timeout)
    except Exception as e:  # noqa: BLE001 - a probe's own failure must never leave its process running
        if proc.poll() is None:
            _stop(proc, r, timeout)
        r.state, r.reason = "failed", f"its version could not be read ({type(e).__name__})"


def _collect(proc: subprocess.Popen[bytes], r: _Running, deadline: float, timeout: float) -> None:
    assert proc.stdout is not None
    if os.name != "posix":  # pragma: no cover - no select() on Windows pipes
        try:
            r.output = proc.communicate(timeout=timeout)[0][:MAX_OUTPUT]
        except subprocess.TimeoutExpired:
            _stop(proc, r, timeout)
            return
    else:
        kept: list[bytes] = []
        size = 0
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    r.output = b"".join(kept)
                    _stop(proc, r, timeout)
                    return
                if not sel.select(remaining):
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    break
                if size < MAX_OUTPUT:
                    kept.append(chunk[: MAX_OUTPUT - size])
                    size += len(kept[-1])
        r.output = b"".join(kept)
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _stop(proc, r, timeout)
            return
    proc.stdout.close()
    r.state = "ok" if proc.returncode == 0 else "failed"
    if proc.returncode != 0:
        r.reason = f"it exited with code {proc.returncode}"


def _stop(proc: subprocess.Popen[bytes], r: _Running, timeout: float) -> None:
    from sso_doctor.loaders.cli_version import kill_group

    kill_group(proc)
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    r.state = "hung"
    r.reason = f"it did not answer within {timeout:g} s and was stopped"


def _parse_version(r: _Running) -> str | None:
    text = r.output.decode("utf-8", errors="replace")
    if r.parse == "terraform-json":
        try:
            v = json.loads(text).get("terraform_version")
            if v:
                return str(v)
        except (ValueError, AttributeError):
            pass
    m = re.search(r"v?(\d+\.\d+\.\d+(?:\.\d+)?)", text)
    return m.group(1) if m else None


@dataclass
class Pending:
    """Consumers being found: executed probes run on their threads until result() collects them."""

    env: Mapping[str, str]
    home: str | None
    cwd: str
    platform: str
    offline: bool
    timeout: float = PROBE_TIMEOUT
    running: list[_Running] = field(default_factory=list)
    not_run: list[ProbeRun] = field(default_factory=list)
    static: list[Found] = field(default_factory=list)
    _result: Consumers | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def launch(self) -> None:
        child_env = _child_env(self.env)
        seen: set[str] = set()
        for command, (consumer, argv, parse, offline_safe) in TOOLS.items():
            path = _which(command, self.env, self.platform)
            if path is None or os.path.realpath(path) in seen:
                continue
            seen.add(os.path.realpath(path))
            if self.offline and not offline_safe:
                self.not_run.append(ProbeRun(consumer, path, argv, "not-run", None,
                                             "not run with --offline: it has no known switch to stop its update check"))
                self.static.append(Found(consumer, None, path, None, "PATH"))
                continue
            r = _Running(consumer, path, argv, parse)
            r.thread = threading.Thread(target=_run, args=(r, child_env, self.timeout), daemon=True,
                                        name=f"sso-doctor-probe-{command}")
            self.running.append(r)
        for r in self.running:
            assert r.thread is not None
            r.thread.start()
        for command, consumer in STATIC_TOOLS.items():
            path = _which(command, self.env, self.platform)
            if path is None:
                continue
            if consumer == "cdk":
                version = _npm_package_version(path, "aws-cdk")
            elif consumer == "granted":
                version = None
            else:
                # a Python tool (often installed with pipx) loads profiles with the botocore of its own
                # environment: that botocore is judged too, wherever the environment is
                prefix, dists = _script_dists(path)
                own = [d for d in dists if d[0] == consumer]
                for c, v, meta in dists:
                    if c == consumer or c in ("botocore", "boto3"):
                        # where the version was read, so the same environment met through VIRTUAL_ENV or
                        # the python3 on PATH counts once
                        self.static.append(Found(c, v, meta, None, f"environment of {command}", detail=prefix or ""))
                if own or consumer == "awscli-v1":
                    continue  # (an aws that is not awscli v1's script is a v2 binary: SSO4xx judge it)
                version = None
            self.static.append(Found(consumer, version, path, None, "PATH"))

    def finish(self) -> None:
        """Wait for every probe: each one's thread stops its tool at the deadline, so none outlives the run."""
        for r in self.running:
            assert r.thread is not None
            r.thread.join(self.timeout + 1.0)

    def result(self, helpers: Sequence[tuple] = ()) -> Consumers:
        """Static reads (while the probes run), then the probes' answers; helpers: (profile, command,
        config path, line) of every credential_process to judge."""
        with self._lock:
            if self._result is None:
                found = [*_scan_python(self.env, self.platform, self.home), *_scan_project(self.cwd), *_scan_ides(self.home),
                         *self.static]
                seen: set[tuple[str, str]] = set()
                # the same environment reached twice (VIRTUAL_ENV and the tool run from it) counts once
                found = [f for f in found if (f.consumer, f.path) not in seen and not seen.add((f.consumer, f.path))]
                runs = list(self.not_run)
                for r in self.running:
                    assert r.thread is not None
                    r.thread.join(self.timeout + 1.0)
                    version = _parse_version(r) if r.state == "ok" else None
                    runs.append(ProbeRun(r.consumer, r.path, r.argv, r.state, version, r.reason))
                    found.append(Found(r.consumer, version, r.path, None, "PATH",
                                       detail="" if version else r.reason))
                self._result = Consumers(tuple(found), tuple(_helpers(helpers, self.env, self.platform)), tuple(runs),
                                         self.cwd)
            return self._result


def start(env: Mapping[str, str], *, home: str | None, cwd: str, platform: str, offline: bool,
          timeout: float = PROBE_TIMEOUT) -> Pending:
    """Find the tools on PATH and launch the version probes that must be executed; returns at once."""
    pending = Pending(env=env, home=home, cwd=cwd, platform=platform, offline=offline, timeout=timeout)
    pending.launch()
    return pending


# --- credential_process helpers ----------------------------------------------------------------------------

KNOWN_HELPERS = {"aws2-wrap": "aws2-wrap", "aws-vault": "aws-vault", "granted": "granted", "assume": "granted"}


def _helpers(items: Iterable[tuple], env: Mapping[str, str], platform: str) -> list[Helper]:
    """items: (profile, command, config path, line[, section])."""
    out = []
    for item in items:
        profile, command, cfg_path, line = item[:4]
        section = item[4] if len(item) > 4 else None
        try:
            # botocore splits the value with shlex (POSIX rules) and runs it without a shell: no ~ or $VAR.
            argv = shlex.split(command, posix=platform != "win32")
        except ValueError:
            out.append(Helper(profile, command, "", None, "unparseable", cfg_path, line, section=section))
            continue
        if not argv:
            out.append(Helper(profile, command, "", None, "unparseable", cfg_path, line, section=section))
            continue
        program = argv[0]
        if os.sep in program or (os.altsep and os.altsep in program):
            resolved = program if os.path.isfile(program) else None
        else:
            resolved = _which(program, env, platform)
        base = os.path.basename(program)
        for ext in (".exe", ".cmd", ".bat"):
            if base.lower().endswith(ext):
                base = base[: -len(ext)]
        consumer = KNOWN_HELPERS.get(base)
        if resolved is None:
            state = "missing"
        elif platform != "win32" and not os.access(resolved, os.X_OK):
            state = "not-executable"
        else:
            state = "ok"
        version = None
        if state == "ok" and consumer == "aws2-wrap":
            version, _ = _script_dist(resolved, "aws2-wrap")  # type: ignore[arg-type]
        out.append(Helper(profile, command, program, resolved, state, cfg_path, line, consumer, version, section))
    return out
