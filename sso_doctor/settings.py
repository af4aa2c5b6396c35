"""Settings: what to check and when to fail, configured once per user and per repository.

Precedence, lowest first (each value remembers where it came from, for `check --show-settings`):

1. defaults
2. the user file: `$XDG_CONFIG_HOME/sso-doctor/config.toml` (else `~/.config/sso-doctor/config.toml`
   on Linux, `~/Library/Application Support/sso-doctor/config.toml` on macOS,
   `%APPDATA%\\sso-doctor\\config.toml` on Windows)
3. the project file: the nearest `.sso-doctor.toml`, or `pyproject.toml` with a `[tool.sso-doctor]`
   table, walking up from the working directory (in one directory `.sso-doctor.toml` wins), or the
   file given with `--settings FILE`
4. `SSO_DOCTOR_*` environment variables
5. command-line flags

Scope: a project file is about the repository's files, so it applies when `check` lints files
(`--config`, `--credentials`, file arguments), never silently to a check of this machine: there it
applies only when named with `--settings FILE`. The user file, the variables and the flags apply to
every run. (A repository's `select = ["SSO1"]`, `offline = true` must not hide an expired token when
someone runs `sso-doctor check` in that folder.)

Scalars and lists are replaced by a higher level; `extend-select` adds up over all levels;
`severity` and `per-profile-ignores` are merged per rule / per glob. Unknown keys, unknown rule ids,
bad severities and wrong types are errors (exit 2) that name the file or variable and the key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sso_doctor.model import Rule, Severity
from sso_doctor.text import did_you_mean

FAIL_ON = ("error", "warning", "info", "never")
KEYS = ("select", "extend-select", "ignore", "fail-on", "offline", "timeout", "severity", "per-profile-ignores")
LIST_KEYS = ("select", "extend-select", "ignore")
DEFAULTS: dict[str, Any] = {
    "select": (),
    "extend-select": (),
    "ignore": (),
    "fail-on": "error",
    "offline": False,
    "timeout": 5.0,
    "severity": {},
    "per-profile-ignores": {},
}
PROJECT_FILE = ".sso-doctor.toml"
PYPROJECT = "pyproject.toml"
# Variables read here; other SSO_DOCTOR_* variables (SSO_DOCTOR_NOW, ...) belong to other parts.
ENV_KEYS = {
    "SSO_DOCTOR_SELECT": "select",
    "SSO_DOCTOR_EXTEND_SELECT": "extend-select",
    "SSO_DOCTOR_IGNORE": "ignore",
    "SSO_DOCTOR_FAIL_ON": "fail-on",
    "SSO_DOCTOR_OFFLINE": "offline",
    "SSO_DOCTOR_TIMEOUT": "timeout",
    "SSO_DOCTOR_SEVERITY": "severity",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


# A settings file is a few lines; anything this big is not one (and tomllib would hold all of it).
MAX_SETTINGS_BYTES = 1024 * 1024


class SettingsError(ValueError):
    """A settings file, variable or flag that cannot be used: exit 2 with this message."""


class Flags(NamedTuple):
    """What the command line said; None (or empty) means "not given", so lower levels show through."""

    select: Sequence[str] | None = None
    extend_select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    fail_on: str | None = None
    offline: bool | None = None
    timeout: float | None = None
    severity: Sequence[str] | None = None  # "SSO121=warning" items


class SettingsFile(NamedTuple):
    level: str  # "user" or "project"
    path: Path
    table: str | None  # "[tool.sso-doctor]" for pyproject.toml
    found: bool
    applied: bool = True  # False: a project file found but not used for a check of this machine

    def describe(self) -> str:
        return f"{self.path} {self.table}" if self.table else str(self.path)


@dataclass(frozen=True)
class Settings:
    """The merged settings and, for each value, where it came from."""

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    offline: bool = False
    timeout: float = 5.0
    severity: Mapping[str, str] = field(default_factory=dict)  # rule id -> severity label
    per_profile_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # glob -> rule tokens
    sources: Mapping[str, str] = field(default_factory=dict)  # "select", "severity.SSO121", ... -> source
    files: tuple[SettingsFile, ...] = ()
    isolated: bool = False

    @property
    def effective_select(self) -> tuple[str, ...]:
        """select plus extend-select; empty means every rule (so extend-select then adds nothing)."""
        if not self.select:
            return ()
        return tuple(dict.fromkeys((*self.select, *self.extend_select)))

    def source(self, key: str) -> str:
        return self.sources.get(key, "default")

    @property
    def applied_files(self) -> tuple[SettingsFile, ...]:
        """The settings files whose values are in these settings."""
        return tuple(f for f in self.files if f.found and f.applied)

    def as_dict(self) -> dict[str, Any]:
        return {
            "select": list(self.select),
            "extend-select": list(self.extend_select),
            "ignore": list(self.ignore),
            "fail-on": self.fail_on,
            "offline": self.offline,
            "timeout": self.timeout,
            "severity": dict(self.severity),
            "per-profile-ignores": {k: list(v) for k, v in self.per_profile_ignores.items()},
        }


# --- where the files are -----------------------------------------------------------------------------


def user_config_path(env: Mapping[str, str], platform: str | None = None) -> Path | None:
    """The per-user settings file for this platform (it may not exist): sso_doctor.platform decides."""
    from sso_doctor.platform import for_run

    plat = for_run(env, platform)
    found = plat.user_settings_file()
    return plat.host_path(found) if found else None


def find_project_file(start: Path, parse: bool = True) -> SettingsFile | None:
    """The nearest `.sso-doctor.toml`, or `pyproject.toml` that has a [tool.sso-doctor] table.

    parse=False (a file that will not be applied, only mentioned): look for the table's header in the
    text instead of parsing TOML, so a machine check never pays for tomllib nor fails on a broken file."""
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE
        if _is_file(candidate):
            return SettingsFile("project", candidate, None, True)
        pyproject = folder / PYPROJECT
        if _is_file(pyproject):
            if not parse:
                try:
                    text = pyproject.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                if "[tool.sso-doctor" in text:
                    return SettingsFile("project", pyproject, "[tool.sso-doctor]", True)
                continue
            data = _read_toml(pyproject)
            if isinstance(data.get("tool"), dict) and "sso-doctor" in data["tool"]:
                return SettingsFile("project", pyproject, "[tool.sso-doctor]", True)
    return None


def _is_file(path: Path) -> bool:
    """Path.is_file() that answers False for a path the OS refuses outright (a name too long, a NUL
    byte): it comes from XDG_CONFIG_HOME or HOME, and a bad value there is not a crash."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def given_file(path: Path) -> SettingsFile:
    """A settings file named on the command line (`--settings`): a pyproject.toml is read for its
    [tool.sso-doctor] table, any other file is read whole."""
    if not _is_file(path):
        raise SettingsError(f"--settings {path}: no such file")
    if path.name == PYPROJECT:
        data = _read_toml(path)
        if not (isinstance(data.get("tool"), dict) and "sso-doctor" in data["tool"]):
            raise SettingsError(f"--settings {path}: it has no [tool.sso-doctor] table")
        return SettingsFile("project", path, "[tool.sso-doctor]", True)
    return SettingsFile("project", path, None, True)


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when a settings file exists: most runs have none

    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SETTINGS_BYTES + 1)
        if len(raw) > MAX_SETTINGS_BYTES:
            raise SettingsError(f"{path} is over {MAX_SETTINGS_BYTES // 1024} KiB; a settings file is a few lines "
                                "of TOML, so sso-doctor does not read it")
        return tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{path} is not valid TOML: {e}") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise SettingsError(f"{path} is not usable TOML: its arrays or tables are nested too deeply") from None
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise SettingsError(f"cannot read the settings file {path}: {reason}") from None


def _file_table(sf: SettingsFile) -> dict[str, Any]:
    data = _read_toml(sf.path)
    if sf.table:
        data = data["tool"]["sso-doctor"]
        if not isinstance(data, dict):
            raise SettingsError(f"{sf.describe()} must be a table, like [tool.sso-doctor]")
    return data


# --- validation ------------------------------------------------------------------------------------


class _Validator:
    """Turns raw values from one source into checked Python values, with messages naming the source."""

    def __init__(self, rules: Sequence[Rule]):
        self.rules = rules
        self.names = [r.id for r in rules] + [r.slug for r in rules]

    def rule_token(self, token: object, where: str) -> str:
        from sso_doctor import engine

        if not isinstance(token, str) or not token.strip():
            raise SettingsError(f"{where}: {token!r} is not a rule id (use a string like \"SSO201\")")
        try:
            engine.select_rules(self.rules, select=[token])
        except engine.SelectionError:
            raise SettingsError(
                f"{where}: unknown rule {token!r}.{did_you_mean(token, self.names)} Use a rule id (SSO201), an id "
                "prefix (SSO2) or a slug (not-logged-in); `sso-doctor rules` lists them."
            ) from None
        return token.strip()

    def exact_rule(self, name: str, where: str) -> str:
        key = name.strip()
        for r in self.rules:
            if r.id.upper() == key.upper() or r.slug == key.lower():
                return r.id
        raise SettingsError(
            f"{where}: unknown rule {name!r}.{did_you_mean(name, self.names)} Severity overrides take one rule id "
            "(SSO121) or slug (missing-region); `sso-doctor rules` lists them."
        )

    def severity(self, value: object, where: str) -> str:
        if isinstance(value, str):
            try:
                return Severity.parse(value).label
            except ValueError:
                pass
        raise SettingsError(f"{where}: {value!r} is not a severity (expected \"error\", \"warning\" or \"info\")")

    def value(self, key: str, raw: object, where: str) -> Any:
        """Check one setting; `where` names the file and key (or the variable or flag)."""
        if key in LIST_KEYS:
            if isinstance(raw, str) or not isinstance(raw, (list, tuple)):
                raise SettingsError(f"{where}: expected a list of rule ids, like [\"SSO1\", \"SSO201\"]; got {raw!r}")
            return tuple(self.rule_token(t, where) for t in raw)
        if key == "fail-on":
            if not isinstance(raw, str) or raw.strip().lower() not in FAIL_ON:
                raise SettingsError(f"{where}: {raw!r} is not a fail-on level (expected {', '.join(FAIL_ON)})")
            return raw.strip().lower()
        if key == "offline":
            if not isinstance(raw, bool):
                raise SettingsError(f"{where}: expected true or false; got {raw!r}")
            return raw
        if key == "timeout":
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) or raw < 0.1:
                raise SettingsError(f"{where}: expected a number of seconds of at least 0.1; got {raw!r}")
            return float(raw)
        if key == "severity":
            if not isinstance(raw, dict):
                raise SettingsError(f"{where}: expected a table of rule = severity, like SSO121 = \"warning\"")
            return {self.exact_rule(k, f"{where}.{k}"): self.severity(v, f"{where}.{k}") for k, v in raw.items()}
        if key == "per-profile-ignores":
            if not isinstance(raw, dict):
                raise SettingsError(f"{where}: expected a table of \"glob\" = [rule ids], like \"sandbox-*\" = [\"SSO121\"]")
            out = {}
            for glob, tokens in raw.items():
                out[glob] = self.value("ignore", tokens, f"{where}.{_toml_key(glob)}")
            return out
        raise AssertionError(key)


def _toml_key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else f'"{key}"'


# --- the levels ------------------------------------------------------------------------------------


def _from_file(sf: SettingsFile, v: _Validator) -> dict[str, Any]:
    table = _file_table(sf)
    prefix = "tool.sso-doctor." if sf.table else ""
    out = {}
    for key, raw in table.items():
        if key not in KEYS:
            raise SettingsError(
                f"{sf.path}: unknown key '{prefix}{key}'.{did_you_mean(key, KEYS)} Valid keys: {', '.join(KEYS)}."
            )
        out[key] = v.value(key, raw, f"{sf.path}: {prefix}{key}")
    return out


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def _from_env(env: Mapping[str, str], v: _Validator) -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {}
    for var, key in ENV_KEYS.items():
        raw = env.get(var)
        if raw is None or not raw.strip():
            continue  # an empty variable is unset (CI templates often define them empty)
        where = var
        if key in LIST_KEYS:
            value: Any = v.value(key, _split(raw), where)
        elif key == "offline":
            low = raw.strip().lower()
            if low not in _TRUE + _FALSE:
                raise SettingsError(f"{var}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")
            value = low in _TRUE
        elif key == "timeout":
            try:
                number = float(raw)
            except ValueError:
                raise SettingsError(f"{var}={raw!r} is not a number of seconds") from None
            value = v.value(key, number, where)
        elif key == "severity":
            value = v.value(key, _pairs(_split(raw), where), where)
        else:
            value = v.value(key, raw, where)
        out[key] = (value, var)
    return out


def _pairs(items: Sequence[str], where: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, level = item.partition("=")
        if not sep or not name.strip():
            raise SettingsError(f"{where}: {item!r} must look like SSO121=warning")
        out[name.strip()] = level.strip()
    return out


def _from_flags(flags: Flags, v: _Validator) -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {}
    given = {
        "select": ("--select", list(flags.select) if flags.select else None),
        "extend-select": ("--extend-select", list(flags.extend_select) if flags.extend_select else None),
        "ignore": ("--ignore", list(flags.ignore) if flags.ignore else None),
        "fail-on": ("--fail-on", flags.fail_on),
        "offline": ("--offline/--online", flags.offline),
        "timeout": ("--timeout", flags.timeout),
        "severity": ("--severity", _pairs(flags.severity, "--severity") if flags.severity else None),
    }
    for key, (flag, raw) in given.items():
        if raw is not None:
            out[key] = (v.value(key, raw, flag), flag)
    return out


def resolve(
    flags: Flags | None = None,
    *,
    env: Mapping[str, str],
    cwd: Path,
    rules: Sequence[Rule],
    isolated: bool = False,
    platform: str | None = None,
    project: bool = True,
    settings_file: Path | None = None,
) -> Settings:
    """Merge every level into one Settings. Raises SettingsError for anything that cannot be used.

    `project`: apply the project file found from `cwd` (a lint of files) or only record it as found
    and not applied (a check of this machine). `settings_file` (`--settings`) is applied in any case,
    in place of the project file."""
    v = _Validator(rules)
    levels: list[tuple[str, dict[str, Any]]] = []
    files: list[SettingsFile] = []
    if not isolated:
        user = user_config_path(env, platform)
        if user is not None:
            found = _is_file(user)
            uf = SettingsFile("user", user, None, found)
            files.append(uf)
            if found:
                levels.append((f"user file {user}", _from_file(uf, v)))
    if settings_file is not None:
        given = given_file(settings_file)
        files.append(given)
        levels.append((f"settings file {given.describe()} (--settings)", _from_file(given, v)))
    elif not isolated:
        # a file this run will not apply is only looked for, never parsed: it cannot stop a machine check
        found_project = find_project_file(cwd, parse=project)
        if found_project is not None and project:
            files.append(found_project)
            levels.append((f"project file {found_project.describe()}", _from_file(found_project, v)))
        elif found_project is not None:
            files.append(found_project._replace(applied=False))
    env_values = _from_env(env, v)
    flag_values = _from_flags(flags or Flags(), v)

    merged: dict[str, Any] = {k: (dict(d) if isinstance(d, dict) else d) for k, d in DEFAULTS.items()}
    sources: dict[str, str] = {}
    extend: list[str] = []
    extend_sources: list[str] = []

    def apply(key: str, value: Any, source: str) -> None:
        if key == "extend-select":
            extend.extend(value)
            extend_sources.append(source)
        elif key in ("severity", "per-profile-ignores"):
            for k, item in value.items():
                merged[key][k] = item
                sources[f"{key}.{k}"] = source
        else:
            merged[key] = value
            sources[key] = source

    for source, values in levels:
        for key, value in values.items():
            apply(key, value, source)
    for key, (value, var) in env_values.items():
        apply(key, value, f"environment {var}")
    for key, (value, flag) in flag_values.items():
        apply(key, value, f"flag {flag}")
    if extend_sources:
        sources["extend-select"] = "; ".join(dict.fromkeys(extend_sources))

    return Settings(
        select=tuple(merged["select"]),
        extend_select=tuple(dict.fromkeys(extend)),
        ignore=tuple(merged["ignore"]),
        fail_on=merged["fail-on"],
        offline=merged["offline"],
        timeout=merged["timeout"],
        severity=merged["severity"],
        per_profile_ignores=merged["per-profile-ignores"],
        sources=sources,
        files=tuple(files),
        isolated=isolated,
    )


# --- showing them ----------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json.dumps(x) for x in value) + "]"
    return json.dumps(value)


def show(settings: Settings) -> str:
    """The merged settings as TOML-like lines, each with `# where it came from`."""
    lines = ["# sso-doctor settings, merged (lowest first: default < user file < project file < "
             "SSO_DOCTOR_* variables < flags)"]
    for sf in settings.files:
        state = "used" if sf.found else "not found"
        if sf.found and not sf.applied:
            state = ("found, not applied: project settings apply when linting files (--config or file "
                     "arguments); pass --settings to use them for this machine")
        lines.append(f"# {sf.level} file: {sf.describe()} ({state})")
    if settings.isolated:
        lines.append("# settings files: not read (--isolated)")
    elif not any(sf.level == "project" for sf in settings.files):
        lines.append(f"# project file: none ({PROJECT_FILE} or {PYPROJECT} with [tool.sso-doctor], "
                     "from the working directory up)")
    rows: list[tuple[str, str]] = []
    for key in KEYS:
        if key in ("severity", "per-profile-ignores"):
            continue
        value = getattr(settings, key.replace("-", "_"))
        rows.append((f"{key} = {_toml_value(value)}", settings.source(key)))
    rows.append(("effective select = " + (_toml_value(settings.effective_select) if settings.effective_select
                                          else '"every rule"'), "select + extend-select"))
    for key in ("severity", "per-profile-ignores"):
        table = getattr(settings, key.replace("-", "_"))
        if not table:
            rows.append((f"[{key}] (empty)", "default"))
        for name, value in table.items():
            rows.append((f"{key}.{_toml_key(name)} = {_toml_value(value)}", settings.source(f"{key}.{name}")))
    width = max(len(r[0]) for r in rows)
    lines.extend(f"{text:<{width}}  # {source}" for text, source in rows)
    return "\n".join(lines) + "\n"


def show_json(settings: Settings) -> str:
    import json

    doc = {
        "settings": settings.as_dict(),
        "effective_select": list(settings.effective_select),
        "sources": {k: settings.source(k) for k in KEYS if k not in ("severity", "per-profile-ignores")}
        | {k: s for k, s in settings.sources.items() if "." in k},
        "files": [{"level": f.level, "path": str(f.path), "table": f.table, "found": f.found, "applied": f.applied}
                  for f in settings.files],
    }
    return json.dumps(doc, indent=2) + "\n"
