"""Settings: every precedence level, every kind of error, and the settings really steering a check.

Real files in temp folders, the real CLI; the working directory is a folder below the project root so
the upward search for the project file is exercised too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import windows_essentials
from test_scenarios import run_cli

from sso_doctor import settings

DUPLICATE = "[profile dev]\nregion = eu-west-1\n\n[profile dev]\nregion = eu-west-2\n"


@pytest.fixture
def world(tmp_path, monkeypatch):
    """HOME, XDG_CONFIG_HOME, a project with a nested working directory, and a clean environment."""
    w = {
        "home": tmp_path / "home",
        "xdg": tmp_path / "xdg",
        "project": tmp_path / "project",
    }
    w["cwd"] = w["project"] / "team" / "aws"
    for p in (w["home"], w["xdg"], w["cwd"]):
        p.mkdir(parents=True)
    w["user_file"] = w["xdg"] / "sso-doctor" / "config.toml"
    w["pyproject"] = w["project"] / "pyproject.toml"
    w["env"] = {"HOME": str(w["home"]), "XDG_CONFIG_HOME": str(w["xdg"]), "PATH": "/nonexistent",
                "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z", **windows_essentials(w["home"])}
    (w["cwd"] / "config").write_text("", encoding="utf-8")  # a file to lint: project files apply to lints
    monkeypatch.chdir(w["cwd"])
    return w


LINT = ("--config", "config")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def show(world, *args: str, env: dict[str, str] | None = None) -> dict:
    result = run_cli(["check", "--show-settings", "--format", "json", *args], {**world["env"], **(env or {})})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- precedence: defaults < user file < project file < SSO_DOCTOR_* < flags ---------------------------

USER = """
select = ["SSO1"]
ignore = ["SSO104"]
extend-select = ["SSO002"]
fail-on = "warning"
offline = true
timeout = 7
[severity]
SSO102 = "warning"
[per-profile-ignores]
"sandbox-*" = ["SSO104"]
"""
PROJECT = """
[tool.sso-doctor]
select = ["SSO10"]
ignore = ["SSO120"]
extend-select = ["SSO001"]
fail-on = "info"
offline = false
timeout = 8
[tool.sso-doctor.severity]
SSO102 = "info"
[tool.sso-doctor.per-profile-ignores]
"dev-*" = ["SSO1"]
"""
ENV = {
    "SSO_DOCTOR_SELECT": "SSO102",
    "SSO_DOCTOR_IGNORE": "SSO101",
    "SSO_DOCTOR_FAIL_ON": "never",
    "SSO_DOCTOR_OFFLINE": "1",
    "SSO_DOCTOR_TIMEOUT": "9",
    "SSO_DOCTOR_SEVERITY": "SSO102=error",
}
FLAGS = ["--select", "SSO120", "--ignore", "SSO002", "--fail-on", "error", "--online", "--timeout", "10",
         "--severity", "SSO102=warning"]
# (value, source) of each key after each level is added on top of the ones below
EXPECTED = {
    "default": {"select": ([], "default"), "ignore": ([], "default"), "fail-on": ("error", "default"),
                "offline": (False, "default"), "timeout": (5.0, "default"), "severity.SSO102": (None, None)},
    "user": {"select": (["SSO1"], "user file"), "ignore": (["SSO104"], "user file"),
             "fail-on": ("warning", "user file"), "offline": (True, "user file"), "timeout": (7.0, "user file"),
             "severity.SSO102": ("warning", "user file")},
    "project": {"select": (["SSO10"], "project file"), "ignore": (["SSO120"], "project file"),
                "fail-on": ("info", "project file"), "offline": (False, "project file"),
                "timeout": (8.0, "project file"), "severity.SSO102": ("info", "project file")},
    "env": {"select": (["SSO102"], "environment SSO_DOCTOR_SELECT"),
            "ignore": (["SSO101"], "environment SSO_DOCTOR_IGNORE"),
            "fail-on": ("never", "environment SSO_DOCTOR_FAIL_ON"),
            "offline": (True, "environment SSO_DOCTOR_OFFLINE"),
            "timeout": (9.0, "environment SSO_DOCTOR_TIMEOUT"),
            "severity.SSO102": ("error", "environment SSO_DOCTOR_SEVERITY")},
    "flag": {"select": (["SSO120"], "flag --select"), "ignore": (["SSO002"], "flag --ignore"),
             "fail-on": ("error", "flag --fail-on"), "offline": (False, "flag --offline/--online"),
             "timeout": (10.0, "flag --timeout"), "severity.SSO102": ("warning", "flag --severity")},
}
LEVELS = list(EXPECTED)


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_overrides_the_ones_below(world, level):
    upto = LEVELS.index(level)
    env, args = {}, []
    if upto >= 1:
        _write(world["user_file"], USER)
    if upto >= 2:
        _write(world["pyproject"], PROJECT)
    if upto >= 3:
        env = ENV
    if upto >= 4:
        args = FLAGS
    doc = show(world, *LINT, *args, env=env)
    for key, (value, source) in EXPECTED[level].items():
        if key.startswith("severity."):
            got = doc["settings"]["severity"].get(key.split(".", 1)[1])
            got_source = doc["sources"].get(key)
        else:
            got, got_source = doc["settings"][key], doc["sources"][key]
        assert got == value, key
        assert (got_source or None) == source or (source and got_source.startswith(source)), (key, got_source)
    if upto >= 1:
        assert doc["files"][0] == {"level": "user", "path": str(world["user_file"]), "table": None, "found": True,
                                   "applied": True}
    if upto >= 2:
        assert doc["sources"]["select"].endswith(f"{world['pyproject']} [tool.sso-doctor]") or upto > 2
    # extend-select adds up over the levels; per-profile-ignores merge per glob
    if upto >= 2:
        assert doc["settings"]["extend-select"] == ["SSO002", "SSO001"]
        assert doc["settings"]["per-profile-ignores"] == {"sandbox-*": ["SSO104"], "dev-*": ["SSO1"]}


def test_show_settings_text_says_where_each_value_came_from(world):
    _write(world["user_file"], 'fail-on = "warning"\n')
    _write(world["project"] / ".sso-doctor.toml", 'timeout = 3\n[severity]\nSSO102 = "info"\n')
    result = run_cli(["check", "--show-settings", *LINT, "--select", "SSO1"],
                     {**world["env"], "SSO_DOCTOR_IGNORE": "SSO104"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()

    def line(prefix: str) -> str:
        return next(ln for ln in lines if ln.startswith(prefix))

    assert line("fail-on = \"warning\"").endswith(f"# user file {world['user_file']}")
    assert line("timeout = 3.0").endswith(f"# project file {world['project'] / '.sso-doctor.toml'}")
    assert line("select = [\"SSO1\"]").endswith("# flag --select")
    assert line("ignore = [\"SSO104\"]").endswith("# environment SSO_DOCTOR_IGNORE")
    assert line("offline = false").endswith("# default")
    assert line("severity.SSO102 = \"info\"").endswith(".sso-doctor.toml")


def test_isolated_ignores_the_files(world):
    _write(world["user_file"], 'fail-on = "warning"\n')
    doc = show(world, "--isolated")
    assert doc["settings"]["fail-on"] == "error" and doc["files"] == []


# --- finding the files -----------------------------------------------------------------------------------


def test_project_file_search_walks_up_and_skips_pyproject_without_our_table(world):
    _write(world["project"] / "team" / "pyproject.toml", "[project]\nname = 'x'\n")
    _write(world["pyproject"], "[tool.sso-doctor]\nfail-on = 'info'\n")
    found = settings.find_project_file(world["cwd"])
    assert found is not None and found.path == world["pyproject"] and found.table == "[tool.sso-doctor]"
    # in one folder .sso-doctor.toml wins over pyproject.toml
    _write(world["project"] / ".sso-doctor.toml", "fail-on = 'warning'\n")
    assert settings.find_project_file(world["cwd"]).path == world["project"] / ".sso-doctor.toml"
    # and the nearest folder wins over a farther one
    _write(world["cwd"] / ".sso-doctor.toml", "")
    assert settings.find_project_file(world["cwd"]).path == world["cwd"] / ".sso-doctor.toml"


@pytest.mark.parametrize("platform,env,expected", [
    ("linux", {"HOME": "/h"}, "/h/.config/sso-doctor/config.toml"),
    ("linux", {"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, "/x/sso-doctor/config.toml"),
    ("darwin", {"HOME": "/h"}, "/h/Library/Application Support/sso-doctor/config.toml"),
    ("darwin", {"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, "/x/sso-doctor/config.toml"),
    ("win32", {"APPDATA": "/AppData/Roaming"}, "/AppData/Roaming/sso-doctor/config.toml"),
    ("linux", {}, None),
])
def test_user_file_location_per_platform(platform, env, expected):
    got = settings.user_config_path(env, platform)
    assert (str(got) if got else None) == expected


# --- errors: exit 2 with a message that names the file or variable and the key --------------------------

ERRORS = [
    ("unknown key in pyproject", {"pyproject": "[tool.sso-doctor]\nselct = ['SSO1']\n"}, {}, [],
     ["pyproject.toml: unknown key 'tool.sso-doctor.selct'", 'Did you mean "select"']),
    ("unknown key in user file", {"user": "fail_on = 'warning'\n"}, {}, [],
     ["config.toml: unknown key 'fail_on'", 'Did you mean "fail-on"']),
    ("unknown rule in select", {"pyproject": "[tool.sso-doctor]\nselect = ['SSO1', 'SSO199x']\n"}, {}, [],
     ["tool.sso-doctor.select: unknown rule 'SSO199x'"]),
    ("unknown rule slug in ignore", {"dotfile": "ignore = ['config-unparsable']\n"}, {}, [],
     [".sso-doctor.toml: ignore: unknown rule 'config-unparsable'", 'Did you mean "config-unparseable"']),
    ("unknown rule in severity", {"pyproject": "[tool.sso-doctor.severity]\nSSO998 = 'warning'\n"}, {}, [],
     ["tool.sso-doctor.severity.SSO998: unknown rule 'SSO998'"]),
    ("unknown rule in per-profile-ignores",
     {"pyproject": "[tool.sso-doctor.per-profile-ignores]\n'sandbox-*' = ['SSO999']\n"}, {}, [],
     ["per-profile-ignores.\"sandbox-*\": unknown rule 'SSO999'"]),
    ("bad severity in a file", {"pyproject": "[tool.sso-doctor.severity]\nSSO102 = 'fatal'\n"}, {}, [],
     ["tool.sso-doctor.severity.SSO102: 'fatal' is not a severity"]),
    ("bad severity in a flag", {}, {}, ["--severity", "SSO102=fatal"], ["--severity.SSO102: 'fatal' is not a severity"]),
    ("bad severity in the environment", {}, {"SSO_DOCTOR_SEVERITY": "SSO102=loud"}, [],
     ["SSO_DOCTOR_SEVERITY.SSO102: 'loud' is not a severity"]),
    ("unknown rule in the environment", {}, {"SSO_DOCTOR_SELECT": "SSO1,SSO999"}, [],
     ["SSO_DOCTOR_SELECT: unknown rule 'SSO999'"]),
    ("unknown rule in a flag", {}, {}, ["--ignore", "SSO888"], ["--ignore: unknown rule 'SSO888'"]),
    ("bad fail-on", {"pyproject": "[tool.sso-doctor]\nfail-on = 'sometimes'\n"}, {}, [],
     ["tool.sso-doctor.fail-on: 'sometimes' is not a fail-on level"]),
    ("bad type", {"pyproject": "[tool.sso-doctor]\nselect = 'SSO1'\n"}, {}, [],
     ["tool.sso-doctor.select: expected a list of rule ids"]),
    ("bad boolean in the environment", {}, {"SSO_DOCTOR_OFFLINE": "maybe"}, [],
     ["SSO_DOCTOR_OFFLINE='maybe' is not a boolean"]),
    ("bad timeout", {"dotfile": "timeout = 0\n"}, {}, [], ["timeout: expected a number of seconds"]),
    ("invalid TOML", {"pyproject": "[tool.sso-doctor\n"}, {}, [], ["pyproject.toml is not valid TOML"]),
]


@pytest.mark.parametrize("files,env,args,needles", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
@pytest.mark.parametrize("show_settings", [False, True], ids=["check", "show-settings"])
def test_settings_errors_exit_2_with_a_clear_message(world, files, env, args, needles, show_settings):
    where = {"pyproject": world["pyproject"], "user": world["user_file"],
             "dotfile": world["project"] / ".sso-doctor.toml"}
    for kind, text in files.items():
        _write(where[kind], text)
    result = run_cli(["check", *(["--show-settings"] if show_settings else []), *LINT, *args],
                     {**world["env"], **env})
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.stderr
    assert result.stderr.startswith("sso-doctor: ")


# --- the settings steer a real check ----------------------------------------------------------------


def _lint(world, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = run_cli(["check", "--format", "json", *args], {**world["env"], **(env or {})})
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_project_severity_and_fail_on_decide_the_exit_code(world):
    _write(world["cwd"] / "config", DUPLICATE)
    code, doc = _lint(world, "--config", "config")
    assert code == 1 and [f["severity"] for f in doc["findings"]] == ["error"]
    _write(world["pyproject"], "[tool.sso-doctor.severity]\nconfig-unparseable = 'warning'\n")
    code, doc = _lint(world, "--config", "config")
    assert code == 0 and [f["severity"] for f in doc["findings"]] == ["warning"]
    code, _ = _lint(world, "--config", "config", env={"SSO_DOCTOR_FAIL_ON": "warning"})
    assert code == 1
    code, _ = _lint(world, "--config", "config", "--fail-on", "never", env={"SSO_DOCTOR_FAIL_ON": "warning"})
    assert code == 0


def test_project_ignore_skips_the_rule_and_says_why(world):
    _write(world["cwd"] / "config", DUPLICATE)
    _write(world["pyproject"], "[tool.sso-doctor]\nignore = ['SSO102']\n")
    code, doc = _lint(world, "--config", "config")
    assert code == 0 and doc["findings"] == []
    rule = next(r for r in doc["rules"] if r["id"] == "SSO102")
    assert rule["status"] == "skipped"
    assert rule["reason"] == f"ignored (ignore from project file {world['pyproject']} [tool.sso-doctor])"


def test_per_profile_ignores_drop_findings_about_matching_profiles_only(world):
    _write(world["cwd"] / "config", "[profile prod]\nregion = eu-west-1\n")
    _write(world["project"] / ".sso-doctor.toml", "[per-profile-ignores]\n'sandbox-*' = ['profile-not-found']\n")
    code, doc = _lint(world, "--config", "config", "-p", "sandbox-1", "-p", "sandbox-2", "-p", "prd")
    assert code == 1
    assert [(f["rule_id"], f["subject"]) for f in doc["findings"]] == [("SSO104", "prd")]
    rule = next(r for r in doc["rules"] if r["id"] == "SSO104")
    assert rule["status"] == "failed" and "2 findings suppressed by per-profile-ignores" in rule["reason"]
    code, doc = _lint(world, "--config", "config", "-p", "sandbox-1")
    assert code == 0 and doc["findings"] == []
    assert next(r for r in doc["rules"] if r["id"] == "SSO104")["status"] == "passed"


# --- scope: project files lint files; a check of this machine uses them only when asked ----------------

NARROWING = "[tool.sso-doctor]\nselect = ['SSO1']\noffline = true\n"
EXPIRED_HOME_CONFIG = """[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
region = us-east-1

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
"""


def _expired_token_home(world) -> None:
    import hashlib

    _write(world["home"] / ".aws" / "config", EXPIRED_HOME_CONFIG)
    token = {"startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1",
             "accessToken": "t", "expiresAt": "2026-11-25T12:00:00Z"}
    _write(world["home"] / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json"),
           json.dumps(token))


def test_a_project_file_does_not_narrow_a_check_of_this_machine(world):
    _expired_token_home(world)
    _write(world["pyproject"], NARROWING)
    env = {**world["env"], "AWS_PROFILE": "dev"}
    result = run_cli(["check", "--offline", "--format", "json"], env)
    doc = json.loads(result.stdout)
    assert result.exit_code == 1
    assert "SSO202" in {f["rule_id"] for f in doc["findings"]}  # the expired token is not hidden
    assert doc["inputs"]["settings_files"] == []
    text = run_cli(["check", "--offline"], env).stdout
    assert "settings from" not in text and "pyproject.toml" not in text
    shown = run_cli(["check", "--show-settings"], env).stdout
    assert f"# project file: {world['pyproject']} [tool.sso-doctor] (found, not applied" in shown


def test_settings_flag_applies_project_settings_to_this_machine_and_says_so(world):
    _expired_token_home(world)
    _write(world["pyproject"], NARROWING)
    env = {**world["env"], "AWS_PROFILE": "dev"}
    result = run_cli(["check", "--settings", str(world["pyproject"]), "--format", "json"], env)
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["findings"] == []
    assert doc["inputs"]["settings_files"] == [str(world["pyproject"])]
    assert doc["inputs"]["offline"] is True
    text = run_cli(["check", "--settings", str(world["pyproject"])], env).stdout
    assert text.splitlines()[1] == f"settings from {world['pyproject']}"


def test_a_lint_applies_the_project_file_and_names_it(world):
    _write(world["project"] / ".sso-doctor.toml", "fail-on = 'never'\n")
    _write(world["cwd"] / "config", DUPLICATE)
    code, doc = _lint(world, *LINT)
    assert code == 0
    assert doc["inputs"]["settings_files"] == [str(world["project"] / ".sso-doctor.toml")]
    text = run_cli(["check", *LINT], world["env"]).stdout
    assert f"settings from {world['project'] / '.sso-doctor.toml'}" in text


def test_the_user_file_applies_everywhere_and_is_named(world):
    _expired_token_home(world)
    _write(world["user_file"], "fail-on = 'never'\n")
    env = {**world["env"], "AWS_PROFILE": "dev"}
    result = run_cli(["check", "--offline", "--format", "json"], env)
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and "SSO202" in {f["rule_id"] for f in doc["findings"]}
    assert doc["inputs"]["settings_files"] == [str(world["user_file"])]


def test_a_broken_project_file_does_not_stop_a_machine_check(world):
    _write(world["pyproject"], "[tool.sso-doctor\n")
    result = run_cli(["check", "--offline"], world["env"])
    assert result.exit_code in (0, 1), result.output
    assert run_cli(["check", *LINT], world["env"]).exit_code == 2  # a lint uses it: the error is reported


def test_settings_flag_errors(world):
    result = run_cli(["check", "--settings", "nowhere.toml"], world["env"])
    assert result.exit_code == 2 and "--settings nowhere.toml: no such file" in result.stderr
    _write(world["cwd"] / "pyproject.toml", "[project]\nname = 'x'\n")
    result = run_cli(["check", "--settings", "pyproject.toml"], world["env"])
    assert result.exit_code == 2 and "no [tool.sso-doctor] table" in result.stderr
