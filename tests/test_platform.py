"""sso_doctor/platform.py against botocore: where the AWS files and the token cache are, per OS.

Differential: botocore's own code decides (the Session's `config_file` / `credentials_file` variables
through `configloader.raw_config_parse`, and `SSOTokenProvider._SSO_TOKEN_CACHE_DIR`, computed when
botocore.tokens is executed), with `os.path` patched to `ntpath` (Windows) or `posixpath` and
`os.environ` to the case's env. Ours must name the same paths.

Emulation on this POSIX machine: a Windows path such as `C:\\Users\\x` cannot be opened here. The
acceptance tests set USERPROFILE to a real POSIX temp folder; ntpath then joins with `\\`
(`/tmp/u\\.aws\\sso\\cache`), and Platform.host_path turns `\\` into `/` to open it (a POSIX name cannot
hold a meaningful backslash in these folders). On a real Windows host host_path is the identity.
"""

from __future__ import annotations

import html
import importlib.util
import json
import ntpath
import os
import posixpath
import shutil
import sys
from pathlib import Path
from unittest import mock

import botocore.configloader
import botocore.exceptions
import botocore.session
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scenarios import FIXTURES

from sso_doctor.platform import Platform, detect_shell

PATHMOD = {"win32": ntpath, "darwin": posixpath, "linux": posixpath}
_SESSION = botocore.session.Session()  # its config providers read os.environ when asked


def botocore_paths(platform: str, env: dict[str, str]) -> tuple[str, str, str]:
    """(config file, credentials file, SSO token cache dir) as botocore resolves them on `platform`."""
    pathmod = PATHMOD[platform]
    with mock.patch.object(os, "path", pathmod), mock.patch.dict(os.environ, env, clear=True):
        out = []
        for var in ("config_file", "credentials_file"):
            value = _SESSION.get_config_variable(var)
            # "not a file" makes raw_config_parse name the path it expanded, whether it exists or not
            with mock.patch.object(pathmod, "isfile", return_value=False):
                try:
                    botocore.configloader.raw_config_parse(value)
                    raise AssertionError("unreachable")
                except botocore.exceptions.ConfigNotFound as e:
                    out.append(e.kwargs["path"])
        spec = importlib.util.find_spec("botocore.tokens")
        tokens = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tokens)  # the class attribute is computed from os.path + environ now
        out.append(tokens.SSOTokenProvider._SSO_TOKEN_CACHE_DIR)
    return out[0], out[1], out[2]


def botocore_profiles(platform: str, env: dict[str, str]) -> dict:
    """botocore's own Session.full_config profiles, read from disk with that OS's os.path and env."""
    with mock.patch.object(os, "path", PATHMOD[platform]), mock.patch.dict(os.environ, env, clear=True):
        return botocore.session.Session().full_config["profiles"]


def ours(platform: str, env: dict[str, str]) -> tuple[str, str, str]:
    p = Platform(platform, env)
    return p.config_file()[0], p.credentials_file()[0], p.token_cache_dirs()[1]


WIN_HOME = r"C:\Users\jane"
CASES = [
    ("win32", {"USERPROFILE": WIN_HOME}),
    ("win32", {"USERPROFILE": WIN_HOME, "HOME": "/c/Users/jane/gitbash"}),  # Git Bash: HOME is ignored
    ("win32", {"HOMEDRIVE": "H:", "HOMEPATH": r"\home\jane"}),  # no USERPROFILE: HOMEDRIVE + HOMEPATH
    ("win32", {"HOMEPATH": r"\home\jane"}),
    ("win32", {"HOME": "/home/jane"}),  # nothing Windows knows: ~ stays ~
    ("win32", {"USERPROFILE": WIN_HOME, "AWS_CONFIG_FILE": r"%USERPROFILE%\aws\config",
               "AWS_SHARED_CREDENTIALS_FILE": r"~\aws\creds"}),
    ("win32", {"USERPROFILE": WIN_HOME, "AWS_CONFIG_FILE": "$USERPROFILE/cfg", "AWS_SHARED_CREDENTIALS_FILE": "${X}"}),
    ("win32", {"USERPROFILE": WIN_HOME, "AWS_CONFIG_FILE": "%UNSET%\\cfg", "AWS_SHARED_CREDENTIALS_FILE": ""}),
    ("win32", {"USERPROFILE": WIN_HOME, "USERNAME": "jane", "AWS_CONFIG_FILE": r"~bob\.aws\config"}),
    ("darwin", {"HOME": "/Users/jane"}),
    ("darwin", {"HOME": "/Users/jane/", "AWS_CONFIG_FILE": "$HOME/team/config", "AWS_SHARED_CREDENTIALS_FILE": "~"}),
    ("darwin", {"HOME": "/Users/jane", "USERPROFILE": r"C:\nope", "AWS_CONFIG_FILE": "%HOME%/x"}),
    ("linux", {"HOME": "/home/jane", "AWS_CONFIG_FILE": "${HOME}/c", "AWS_SHARED_CREDENTIALS_FILE": "~/../c"}),
    ("linux", {"HOME": "/"}),
]


@pytest.mark.parametrize("platform,env", CASES, ids=[f"{p}-{i}" for i, (p, _) in enumerate(CASES)])
def test_paths_agree_with_botocore(platform, env):
    assert ours(platform, env) == botocore_paths(platform, env)


_piece = st.sampled_from(["~", "~jane", "%USERPROFILE%", "%HOMEPATH%", "$HOME", "${HOME}", "$USERPROFILE", "%",
                          "$", "\\", "/", ".aws", "config", "C:", "a b", "%UNSET%", "'x'"])
_value = st.lists(_piece, min_size=0, max_size=5).map("".join)
_home = st.sampled_from([WIN_HOME, "/home/jane", "H:", r"\\server\share\jane", "C:\\"])


@settings(max_examples=120, deadline=None)
@given(platform=st.sampled_from(["win32", "darwin"]), config=_value, creds=_value,
       userprofile=st.one_of(st.none(), _home), homepath=st.one_of(st.none(), _home), home=st.one_of(st.none(), _home))
def test_generated_envs_agree_with_botocore(platform, config, creds, userprofile, homepath, home):
    env = {"AWS_CONFIG_FILE": config, "AWS_SHARED_CREDENTIALS_FILE": creds, "USERNAME": "jane"}
    for name, value in (("USERPROFILE", userprofile), ("HOMEPATH", homepath), ("HOME", home)):
        if value is not None:
            env[name] = value
    if "HOME" not in env and platform != "win32":
        env["HOME"] = "/home/fallback"  # else posixpath asks the password database: the same, but slow
    assert ours(platform, env) == botocore_paths(platform, env)


def test_windows_variable_names_are_case_insensitive_like_os_environ_there():
    p = Platform("win32", {"UserProfile": WIN_HOME, "aws_config_file": r"%userprofile%\cfg"})
    assert p.home == WIN_HOME
    assert p.config_file() == (WIN_HOME + r"\cfg", "AWS_CONFIG_FILE")


@pytest.mark.parametrize("platform,env,path,shown", [
    ("win32", {"USERPROFILE": WIN_HOME}, WIN_HOME + r"\.aws\config", r"%USERPROFILE%\.aws\config"),
    ("win32", {"USERPROFILE": WIN_HOME}, "c:/users/JANE/.aws/sso/cache", r"%USERPROFILE%\.aws\sso\cache"),
    ("win32", {"HOMEDRIVE": "C:", "HOMEPATH": r"\Users\jane"}, WIN_HOME + r"\.aws\config", r"~\.aws\config"),
    ("win32", {"USERPROFILE": WIN_HOME}, r"D:\team\config", r"D:\team\config"),
    ("darwin", {"HOME": "/Users/jane"}, "/Users/jane/.aws/config", "~/.aws/config"),
    ("linux", {"HOME": "/home/jane"}, "/home/janet/.aws/config", "/home/janet/.aws/config"),
])
def test_paths_are_shown_in_the_users_own_form(platform, env, path, shown):
    assert Platform(platform, env).show(path) == shown


def test_user_settings_file_per_os():
    assert Platform("win32", {"APPDATA": r"C:\Users\jane\AppData\Roaming"}).user_settings_file() == \
        r"C:\Users\jane\AppData\Roaming\sso-doctor\config.toml"
    assert Platform("darwin", {"HOME": "/Users/j"}).user_settings_file() == \
        "/Users/j/Library/Application Support/sso-doctor/config.toml"
    assert Platform("linux", {"HOME": "/h", "XDG_CONFIG_HOME": "/x"}).user_settings_file() == "/x/sso-doctor/config.toml"


# --- shell detection --------------------------------------------------------------------------------

PS_MODULES = r"C:\Users\jane\Documents\WindowsPowerShell\Modules;C:\Program Files\WindowsPowerShell\Modules"
SYSTEM_MODULES = r"C:\Program Files\WindowsPowerShell\Modules;C:\WINDOWS\system32\WindowsPowerShell\v1.0\Modules"


@pytest.mark.parametrize("platform,env,parent,want", [
    ("win32", {"PSModulePath": PS_MODULES, "ComSpec": "cmd.exe"}, None, "powershell"),
    # cmd started from Explorer sees only the system module folders
    ("win32", {"PSModulePath": SYSTEM_MODULES, "ComSpec": r"C:\WINDOWS\system32\cmd.exe"}, None, "cmd"),
    ("win32", {"MSYSTEM": "MINGW64", "PSModulePath": PS_MODULES, "ComSpec": "cmd.exe"}, None, "bash"),
    ("win32", {}, None, "powershell"),
    ("win32", {"PSModulePath": PS_MODULES}, "cmd", "cmd"),  # the parent process wins (real Windows only)
    ("darwin", {"SHELL": "/bin/zsh"}, None, "zsh"),
    ("linux", {"SHELL": "/usr/bin/fish"}, None, "fish"),
    ("linux", {"SHELL": "/bin/dash"}, None, "bash"),
    ("linux", {"SHELL": "/usr/bin/pwsh"}, None, "powershell"),
    ("linux", {}, None, "bash"),
])
def test_shell_detection(platform, env, parent, want):
    # parent "" = no parent shell known (on a real Windows host the real parent would be asked)
    assert detect_shell(Platform(platform, env), parent="" if parent is None else parent)[0] == want


@pytest.mark.skipif(sys.platform != "win32", reason="the parent-process walk exists on Windows only")
def test_real_windows_parent_shell_is_found_or_none():
    from sso_doctor.platform import SHELLS, _windows_parent_shell

    assert _windows_parent_shell() in (*SHELLS, None)


# --- acceptance: Windows + Git Bash HOME, through the real CLI ---------------------------------------

VALID_HOME = FIXTURES / "sso201-near-miss-token-under-session-key" / "home"


# On a real Windows host the shell comes from the parent process (the CI's bash), not from the env the
# tests set: there the PowerShell acceptance asks for PowerShell explicitly.
AS_POWERSHELL = ["--shell", "powershell"] if sys.platform == "win32" else []


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from sso_doctor.cli import app

    full = {k: None for k in os.environ}
    full.update({"PATH": "", "LANG": "C.UTF-8", "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z", **env})
    result = CliRunner().invoke(app, ["check", "--offline", *args], env=full, catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture
def windows_user(tmp_path):
    """USERPROFILE: a home with a valid SSO setup; HOME: a different, empty folder (Git Bash)."""
    profile = tmp_path / "Users" / "jane"
    shutil.copytree(VALID_HOME, profile)
    gitbash = tmp_path / "gitbash-home"
    gitbash.mkdir()
    return profile, gitbash


def _rules(doc):
    return {r["id"]: r["status"] for r in doc["rules"]}


def test_acceptance_windows_reads_userprofile_not_home_like_botocore(windows_user):
    profile, gitbash = windows_user
    env = {"SSO_DOCTOR_PLATFORM": "win32", "USERPROFILE": str(profile), "HOME": str(gitbash),
           "AWS_PROFILE": "dev", "PSModulePath": PS_MODULES}
    # SSO207 (POSIX file modes) is left out: its Windows semantics are #14.5, not path resolution
    code, out = _run(env, "--format", "json", "--select", "SSO1,SSO2", "--ignore", "SSO207", *AS_POWERSHELL)
    doc = json.loads(out)
    # botocore on Windows, with this env, reads exactly these files
    config, credentials, cache = botocore_paths("win32", env)
    assert Path(doc["inputs"]["config_file"]) == Path(config.replace("\\", "/")) == profile / ".aws" / "config"
    assert Path(doc["inputs"]["credentials_file"]) == Path(credentials.replace("\\", "/"))
    assert cache.startswith(str(profile))
    assert "dev" in botocore_profiles("win32", env)  # botocore itself finds the profile there …
    assert "dev" not in botocore_profiles("linux", env)  # … which $HOME (the Git Bash folder) lacks
    # the valid setup is found: the same verdicts as on Linux with HOME = that folder
    assert doc["findings"] == [], doc["findings"]
    assert _rules(doc)["SSO201"] == "passed"  # the token was found in %USERPROFILE%\.aws\sso\cache
    assert doc["inputs"]["platform"] == "win32" and doc["inputs"]["shell"] == "powershell"
    _code, linux_out = _run({"HOME": str(profile), "AWS_PROFILE": "dev"}, "--format", "json", "--select", "SSO1,SSO2",
                            "--ignore", "SSO207")
    assert _rules(json.loads(linux_out)) == _rules(doc)
    assert code == 0


def test_acceptance_windows_fixes_are_powershell_and_paths_are_userprofile(windows_user):
    profile, gitbash = windows_user
    env = {"SSO_DOCTOR_PLATFORM": "win32", "USERPROFILE": str(profile), "HOME": str(gitbash),
           "AWS_PROFILE": "dve", "PSModulePath": PS_MODULES, "ComSpec": r"C:\WINDOWS\system32\cmd.exe"}
    _code, out = _run(env, "--format", "json", *AS_POWERSHELL)
    doc = json.loads(out)
    commands = [c["command"] for f in doc["findings"] for c in f["fix"]["commands"]]
    assert commands, "the typo must give a fix"
    assert not [c for c in commands if c.startswith(("export ", "unset ")) or " export " in c or "unset " in c]
    assert '$env:AWS_PROFILE = "dev"' in commands
    _code, text = _run(env, *AS_POWERSHELL)
    assert r"%USERPROFILE%\.aws\config" in text and "~/.aws" not in text
    # cmd when asked for, the same setup
    _code, out = _run(env, "--format", "json", "--shell", "cmd")
    doc = json.loads(out)
    assert doc["inputs"]["shell"] == "cmd" and doc["inputs"]["shell_source"] == "--shell"
    assert "set AWS_PROFILE=dev" in [c["command"] for f in doc["findings"] for c in f["fix"]["commands"]]


@pytest.mark.parametrize("shell,line", [("fish", "set -gx AWS_PROFILE dev"), ("zsh", "export AWS_PROFILE=dev"),
                                        ("powershell", '$env:AWS_PROFILE = "dev"')])
def test_every_format_renders_for_the_chosen_shell(windows_user, shell, line):
    profile, _ = windows_user
    env = {"HOME": str(profile), "USERPROFILE": str(profile), "AWS_PROFILE": "dve"}
    for fmt in ("text", "json", "sarif", "github", "junit", "markdown"):
        _code, out = _run(env, "--format", fmt, "--shell", shell, "--no-redact")
        forms = (line, json.dumps(line)[1:-1], html.escape(line), line.replace('"', "&quot;"))
        assert any(form in out for form in forms), (fmt, out)


def test_explain_renders_the_fix_section_for_the_shell():
    from typer.testing import CliRunner

    from sso_doctor.cli import app

    out = CliRunner().invoke(app, ["explain", "SSO304", "--shell", "powershell"]).stdout
    assert '$env:AWS_CA_BUNDLE = "$HOME/.aws/ca-bundle.pem"' in out
    assert "Remove-Item Env:AWS_CA_BUNDLE" in out and "\n    unset " not in out
    out = CliRunner().invoke(app, ["explain", "SSO304", "--shell", "cmd"]).stdout
    assert r'set "AWS_CA_BUNDLE=%USERPROFILE%\.aws\ca-bundle.pem"' in out


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX host maps emulated Windows paths; Windows opens them")
def test_host_path_maps_backslashes_only_when_windows_is_emulated():
    assert Platform("win32", {}).host_path("/tmp/u\\.aws\\sso\\cache") == Path("/tmp/u/.aws/sso/cache")
    assert Platform("linux", {}).host_path("/tmp/a\\b") == Path("/tmp/a\\b")  # a legal POSIX name


def test_ci_workflow_runs_the_readme_commands_on_three_oses():
    import re

    import yaml

    root = Path(__file__).resolve().parent.parent
    wf = yaml.safe_load((root / ".github" / "workflows" / "ci.yml").read_text())
    job = wf["jobs"]["test"]
    assert set(job["strategy"]["matrix"]["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    runs = [s["run"] for s in job["steps"] if "run" in s]
    readme = (root / "README.md").read_text()
    test_command = re.search(r"To run the tests:\n\n```sh\n(.+)\n```", readme).group(1)
    assert " && ".join(runs) == test_command
