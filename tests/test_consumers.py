"""The SSO8xx knowledge base (every fact sourced), the consumer loader on real files and real child
processes, and --offline: no child runs with a known way to phone home left open.

Runtime: ~5 s (the probe tests start real shell scripts that sleep).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest
from packaging.version import Version
from sso_doctor.rules import ALL_RULES
from test_scenarios import run_cli

from sso_doctor import error_texts
from sso_doctor.loaders import consumers as loader

KINDS = {"sso", "sso_session", "sso_session_missing", "token_refresh", "cache_key", "module", "bug", "error_text"}
URL = re.compile(r"https://[^\s)]+")


# --- the knowledge base -------------------------------------------------------------------------------


def test_every_fact_has_a_public_source():
    kb = loader.knowledge()
    assert len(kb) >= 20
    missing = [(c.id, f.kind) for c in kb.values() for f in c.facts if not URL.search(f.source)]
    assert missing == [], "facts without a public source (a changelog line, release note or issue URL)"


def test_every_fact_is_well_formed():
    for c in loader.knowledge().values():
        assert c.name and c.ecosystem and c.find and c.version, c.id
        for f in c.facts:
            assert f.kind in KINDS, (c.id, f.kind)
            for key in ("since", "through", "from", "to"):
                if f.get(key) is not None:
                    Version(str(f.get(key)))  # a boundary is a real version, never prose
            if f.kind == "bug":
                assert Version(f.get("from")) < Version(f.get("to")) and f.get("text"), c.id
                assert f.get("when") in (None, "sso-session", "source-profile-to-sso-session", "profile-from-env")
            if f.kind in ("error_text", "module"):
                assert f.get("text") or f.get("name"), c.id
            if f.kind == "error_text":
                assert f.get("case") in (None, "sso-session", "no-sso"), c.id


def test_the_knowledge_base_ships_in_the_package_and_loads_lazily(tmp_path):
    import subprocess
    import sys

    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert '"data/*.toml"' in pyproject
    probe = ("import sys; from sso_doctor.cli import main; sys.argv = ['sso-doctor', 'check', '--offline']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "from sso_doctor.loaders import consumers\nprint(consumers.knowledge.cache_info().currsize)")
    (tmp_path / ".aws").mkdir()
    env = {"HOME": str(tmp_path), "PATH": str(tmp_path), "SSO_DOCTOR_CWD": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=False)
    assert out.stdout.strip().splitlines()[-1] == "0", out.stderr  # nothing found: the file is never read
    (tmp_path / "requirements.txt").write_text("botocore==1.29.9\n")
    (tmp_path / ".aws" / "config").write_text("[profile dev]\nsso_session = corp\nsso_account_id = 1\n"
                                              "sso_role_name = r\n")
    env["AWS_PROFILE"] = "dev"
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                         check=False)
    assert out.stdout.strip().splitlines()[-1] == "1", out.stderr


def test_every_error_text_of_a_consumer_is_explained_by_an_sso8_rule():
    texts = [(c.id, str(f.get("text")).replace("{profile}", "dev")) for c in loader.knowledge().values()
             for f in c.facts if f.kind == "error_text" and f.get("case") != "no-sso"]
    assert len(texts) >= 8
    for consumer, text in texts:
        rules = [r for m in error_texts.match(text) for r in m.known.rules]
        assert any(r.startswith("SSO8") for r in rules), (consumer, text, rules)


@pytest.mark.parametrize("message,first", [
    (('Error: configuring Terraform AWS Provider: loading configuration: profile "dev" is configured to use SSO '
      "but is missing required configuration: sso_region, sso_start_url"), "SSO801"),
    ('The profile "dev" is configured to use SSO but is missing required configuration: sso_start_url, sso_region',
     "SSO801"),
    (('CredentialsProviderError: Profile is configured with invalid SSO credentials. Required parameters '
      '"sso_account_id", "sso_region", "sso_role_name", "sso_start_url". Got sso_session'), "SSO801"),
    (("java.lang.IllegalStateException: To use SSO OIDC related properties in the 'dev' profile, the 'ssooidc' "
      "service module must be on the class path."), "SSO803"),
    ("Get-ORGAccountList : Assembly AWSSDK.SSO could not be found or loaded.", "SSO803"),
    ("AttributeError: 'NoneType' object has no attribute 'get_frozen_token'", "SSO804"),
])
def test_explain_names_the_sso8_rule_first(message, first):
    assert error_texts.match(message)[0].known.rules[0] == first


def test_sso8_area_and_rules():
    from sso_doctor.model import AREAS

    assert AREAS["8"] == ("consumers", "Other tools and SDKs")
    ids = [r.id for r in ALL_RULES if r.id.startswith("SSO8")]
    assert ids == ["SSO801", "SSO802", "SSO803", "SSO804", "SSO805", "SSO806"]
    for r in ALL_RULES:
        if r.id.startswith("SSO8"):
            assert r.area == "consumers" and "consumers" in r.needs
            for part in ("## What it checks", "## Why it matters", "## How to fix", "## Example"):
                assert part in r.doc, (r.id, part)


# --- the loader on real files -------------------------------------------------------------------------------


def _write(path: Path, text: str, mode: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)
    return path


def _found(tmp_path: Path, env: dict[str, str] | None = None, offline: bool = True, helpers=()):
    pending = loader.start(env or {"PATH": str(tmp_path / "nobin")}, home=str(tmp_path / "home"),
                           cwd=str(tmp_path / "proj"), platform="linux", offline=offline)
    return pending.result(helpers)


def test_lock_files_of_every_ecosystem_with_their_lines(tmp_path):
    proj = tmp_path / "proj"
    _write(proj / "yarn.lock", '# yarn\n\n"@aws-sdk/credential-provider-sso@^3.200.0":\n  version "3.208.0"\n')
    _write(proj / "pnpm-lock.yaml", "packages:\n\n  /@aws-sdk/credential-provider-sso@3.210.0:\n    resolution: {}\n")
    _write(proj / "poetry.lock", '[[package]]\nname = "boto3"\nversion = "1.26.9"\n\n[[package]]\nname = "botocore"\n'
                                 'version = "1.29.9"\n')
    _write(proj / "Pipfile.lock", json.dumps({"default": {"botocore": {"version": "==1.29.8"}}}, indent=4))
    _write(proj / "Cargo.lock", 'version = 3\n\n[[package]]\nname = "aws-config"\nversion = "0.55.3"\n')
    _write(proj / "build.gradle.kts", 'dependencies {\n  implementation(platform("software.amazon.awssdk:bom:2.20.0"))\n'
                                      '  implementation("software.amazon.awssdk:s3")\n}\n')
    _write(proj / "packages.lock.json", json.dumps({"dependencies": {"net8.0": {
        "AWSSDK.Core": {"type": "Transitive", "resolved": "3.7.300"}, "AWSSDK.SSO": {"resolved": "3.7.300"}}}}))
    found = {(f.consumer, os.path.basename(f.path)): f for f in _found(tmp_path).found}
    assert found[("aws-sdk-js-v3", "yarn.lock")][1:4:2] == ("3.208.0", 3)
    assert found[("aws-sdk-js-v3", "pnpm-lock.yaml")].version == "3.210.0"
    assert found[("botocore", "poetry.lock")].line == 6 and found[("botocore", "poetry.lock")].version == "1.29.9"
    assert found[("boto3", "poetry.lock")].version == "1.26.9"
    assert found[("botocore", "Pipfile.lock")].version == "1.29.8"
    assert found[("aws-sdk-rust", "Cargo.lock")].version == "0.55.3"
    java = found[("aws-sdk-java-v2", "build.gradle.kts")]
    assert java.modules == {"s3"} and java.line == 2
    dotnet = found[("aws-sdk-net", "packages.lock.json")]
    assert dotnet.modules == {"AWSSDK.CORE", "AWSSDK.SSO"} and dotnet.version == "3.7.300"


def test_a_huge_or_broken_lock_file_is_read_capped_and_never_crashes(tmp_path):
    proj = tmp_path / "proj"
    _write(proj / "package-lock.json", "{" + " " * (loader.MAX_FILE + 10) + "}")
    _write(proj / "requirements.txt", "\x00\xff garbage\n")
    _write(proj / "pom.xml", "<project><groupId>software.amazon.awssdk")
    assert _found(tmp_path).found == ()


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_python_environments_from_metadata_never_imported(tmp_path):
    venv = tmp_path / "venv"
    _write(venv / "pyvenv.cfg", "home = /usr/bin\n")
    site = venv / "lib" / "python3.11" / "site-packages"
    # METADATA decides; a botocore package that would explode on import is never touched
    _write(site / "botocore" / "__init__.py", "raise SystemExit('imported!')\n")
    _write(site / "botocore-1.29.9.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: botocore\nVersion: 1.29.9\n")
    conda = tmp_path / "conda"
    _write(conda / "lib" / "python3.10" / "site-packages" / "boto3-1.20.0.dist-info" / "METADATA", "Version: 1.20.0\n")
    _write(venv / "bin" / "python3", "#!/bin/sh\n", 0o755)
    env = {"VIRTUAL_ENV": str(venv), "CONDA_PREFIX": str(conda), "PATH": str(venv / "bin")}
    found = _found(tmp_path, env).found
    got = sorted((f.consumer, f.version, f.how) for f in found)
    # the python3 on PATH is the same venv: read once
    assert got == [("boto3", "1.20.0", "conda environment (CONDA_PREFIX)"),
                   ("botocore", "1.29.9", "virtualenv (VIRTUAL_ENV)")]


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_user_site_packages_of_the_python3_on_path(tmp_path):
    prefix = tmp_path / "py"
    _write(prefix / "bin" / "python3", "#!/bin/sh\n", 0o755)
    home = tmp_path / "home"
    _write(home / ".local" / "lib" / "python3.11" / "site-packages" / "botocore-1.29.0.dist-info" / "METADATA",
           "Version: 1.29.0\n")
    found = _found(tmp_path, {"PATH": str(prefix / "bin")}).found
    assert [(f.consumer, f.version, f.how) for f in found] == [("botocore", "1.29.0", loader.USER_SITE)]


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), symbolic links (need admin or Developer Mode on Windows)')
def test_static_versions_of_console_scripts_cdk_and_ide_toolkits(tmp_path):
    env_prefix = tmp_path / "samenv"
    _write(env_prefix / "pyvenv.cfg", "home = /usr/bin\n")
    _write(env_prefix / "bin" / "python", "#!/bin/sh\n", 0o755)
    _write(env_prefix / "lib" / "python3.11" / "site-packages" / "aws_sam_cli-1.90.0.dist-info" / "METADATA",
           "Version: 1.90.0\n")
    _write(env_prefix / "lib" / "python3.11" / "site-packages" / "aws2_wrap-1.3.0.dist-info" / "METADATA",
           "Version: 1.3.0\n")
    bindir = tmp_path / "bin"
    _write(bindir / "sam", f"#!{env_prefix}/bin/python\nimport sys\n", 0o755)
    _write(bindir / "aws2-wrap", f"#!/usr/bin/env {env_prefix}/bin/python\n", 0o755)
    cdk = tmp_path / "npm" / "lib" / "node_modules" / "aws-cdk"
    _write(cdk / "package.json", json.dumps({"name": "aws-cdk", "version": "2.100.0"}))
    _write(cdk / "bin" / "cdk", "#!/usr/bin/env node\n", 0o755)
    os.symlink(cdk / "bin" / "cdk", bindir / "cdk")
    home = tmp_path / "home"
    (home / ".vscode" / "extensions" / "amazonwebservices.aws-toolkit-vscode-1.99.0").mkdir(parents=True)
    (home / ".local" / "share" / "JetBrains" / "IntelliJIdea2023.2" / "aws-toolkit-jetbrains-standalone").mkdir(
        parents=True)
    _write(bindir / "aws", "\x7fELF binary of AWS CLI v2", 0o755)
    found = {f.consumer: f for f in _found(tmp_path, {"PATH": str(bindir)}).found}
    assert "awscli-v1" not in found  # a v2 binary is not read as v1
    assert found["sam-cli"].version == "1.90.0" and found["sam-cli"].how == "environment of sam"
    assert found["aws2-wrap"].version == "1.3.0"
    assert found["cdk"].version == "2.100.0"
    assert found["vscode-toolkit"].version == "1.99.0"
    assert found["jetbrains-toolkit"].path.endswith("aws-toolkit-jetbrains-standalone")


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_awscli_v1_met_twice_is_one_consumer(tmp_path):
    """The aws script of awscli v1 in the active virtualenv: found through VIRTUAL_ENV and on PATH, reported once."""
    venv = tmp_path / "venv"
    _write(venv / "pyvenv.cfg", "home = /usr/bin\n")
    _write(venv / "bin" / "python", "#!/bin/sh\n", 0o755)
    _write(venv / "bin" / "aws", f"#!{venv}/bin/python\n", 0o755)
    _write(venv / "lib" / "python3.11" / "site-packages" / "awscli-1.27.9.dist-info" / "METADATA", "Version: 1.27.9\n")
    found = _found(tmp_path, {"PATH": str(venv / "bin"), "VIRTUAL_ENV": str(venv)}).found
    assert [(f.consumer, f.version, f.how) for f in found] == [("awscli-v1", "1.27.9", "virtualenv (VIRTUAL_ENV)")]


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_the_botocore_of_a_python_tools_own_environment_is_judged(tmp_path):
    """`eb` installed with pipx runs on the botocore of its own venv, found through the script's #! line."""
    venv = tmp_path / "pipx" / "venvs" / "awsebcli"
    _write(venv / "pyvenv.cfg", "home = /usr/bin\n")
    _write(venv / "bin" / "python", "#!/bin/sh\n", 0o755)
    site = venv / "lib" / "python3.11" / "site-packages"
    _write(site / "awsebcli-3.20.3.dist-info" / "METADATA", "Version: 3.20.3\n")
    _write(site / "botocore-1.29.9.dist-info" / "METADATA", "Version: 1.29.9\n")
    bindir = tmp_path / "bin"
    _write(bindir / "eb", f"#!{venv}/bin/python\n", 0o755)
    home = tmp_path / "home"
    _write(home / ".aws" / "config", "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
                                     "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n")
    result = run_cli(["check", "--offline", "--format", "json", "--select", "SSO8"],
                     {"HOME": str(home), "PATH": str(bindir), "AWS_PROFILE": "dev", "SSO_DOCTOR_CWD": str(home)})
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["rule_id"], finding["subject"]) == ("SSO801", "botocore")
    assert "environment of eb" in finding["message"] and "1.29.9" in finding["message"]
    assert any(f"{venv}/bin/python -m pip install -U 'botocore>=1.29.10'" in c["command"]
               for c in finding["fix"]["commands"])


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
@pytest.mark.parametrize("aws_line,offered", [("aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64", True),
                                              ("aws-cli/2.8.12 Python/3.9.11 Linux/6.1 exe/x86_64", False)])
def test_the_credential_process_workaround_only_with_an_aws_cli_that_has_export_credentials(tmp_path, aws_line,
                                                                                               offered):
    home, bindir = tmp_path / "home", tmp_path / "bin"
    _write(home / ".aws" / "config", "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
                                     "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n")
    _write(home / "proj" / "requirements.txt", "botocore==1.29.9\n")
    _write(bindir / "aws", f"#!/bin/sh\necho '{aws_line}'\n", 0o755)
    result = run_cli(["check", "--offline", "--format", "json", "--select", "SSO801"],
                     {"HOME": str(home), "PATH": str(bindir), "AWS_PROFILE": "dev", "SSO_DOCTOR_CWD": str(home / "proj")})
    (finding,) = json.loads(result.stdout)["findings"]
    steps = " ".join(c["command"] for c in finding["fix"]["commands"])
    assert "[profile dev-legacy]" in steps
    assert ("credential_process = aws configure export-credentials --profile dev --format process" in steps) == offered


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_credential_helpers_missing_not_executable_and_known(tmp_path):
    bindir = tmp_path / "bin"
    _write(bindir / "ok-helper", "#!/bin/sh\n", 0o755)
    plain = _write(tmp_path / "plain-helper", "#!/bin/sh\n", 0o644)
    helpers = [("a", "ok-helper --x", "/c", 1), ("b", "no-such-helper", "/c", 2), ("c", f"{plain} --y", "/c", 3),
               ("d", "'unbalanced", "/c", 4), ("e", "~/bin/ok-helper", "/c", 5)]
    got = {h.profile: h.state for h in _found(tmp_path, {"PATH": str(bindir)}, helpers=helpers).helpers}
    assert got == {"a": "ok", "b": "missing", "c": "not-executable", "d": "unparseable", "e": "missing"}


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_sso805_an_aws2_wrap_too_old_for_the_sso_session_profile_it_wraps(tmp_path):
    def run(version: str) -> list:
        root = tmp_path / version
        venv = root / "venv"
        _write(venv / "pyvenv.cfg", "home = /usr/bin\n")
        _write(venv / "bin" / "python", "#!/bin/sh\n", 0o755)
        _write(venv / "lib" / "python3.11" / "site-packages" / f"aws2_wrap-{version}.dist-info" / "METADATA",
               f"Version: {version}\n")
        bindir = root / "bin"
        _write(bindir / "aws2-wrap", f"#!{venv}/bin/python\n", 0o755)
        home = root / "home"
        _write(home / ".aws" / "config", "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
                                         "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\n"
                                         "sso_region = eu-west-1\n[profile ci]\n"
                                         "credential_process = aws2-wrap --profile dev --process\n")
        result = run_cli(["check", "--offline", "--format", "json", "--select", "SSO805", "--profile", "ci",
                          "--profile", "dev"], {"HOME": str(home), "PATH": str(bindir), "SSO_DOCTOR_CWD": str(home)})
        return json.loads(result.stdout)["findings"]

    (finding,) = run("1.3.0")
    assert (finding["rule_id"], finding["subject"], finding["location"]["line"]) == ("SSO805", "ci", 9)
    assert "aws2-wrap 1.3.0" in finding["message"] and "'sso_start_url' not found in profile" in finding["message"]
    assert any("pip install -U 'aws2-wrap>=1.3.1'" in c["command"] for c in finding["fix"]["commands"])
    assert run("1.3.1") == []


# --- executed probes: side by side, killed on hang, never phoning home with --offline -----------------------


def _recording_tool(bindir: Path, name: str, log: Path, output: str, sleep: float = 0.0) -> None:
    """A fake tool that records its argv and the environment variables it was given."""
    _write(bindir / name, f"""#!/bin/sh
{{ echo "argv=$*"; /usr/bin/env | /usr/bin/sort; }} > "{log}/{name}.env"
/bin/sleep {sleep}
echo '{output}'
""", 0o755)


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_probes_run_side_by_side_and_a_hung_one_is_killed(tmp_path):
    bindir, log = tmp_path / "bin", tmp_path / "log"
    log.mkdir()
    _recording_tool(bindir, "terragrunt", log, "terragrunt version v0.50.0", sleep=0.8)
    _recording_tool(bindir, "pulumi", log, "v3.90.0", sleep=0.8)
    _recording_tool(bindir, "aws-vault", log, "v7.2.0", sleep=0.8)
    _recording_tool(bindir, "session-manager-plugin", log, "1.2.497.0", sleep=30)
    started = time.monotonic()
    pending = loader.start({"PATH": str(bindir)}, home=None, cwd=str(tmp_path), platform="linux", offline=True,
                           timeout=1.5)
    result = pending.result()
    elapsed = time.monotonic() - started
    assert elapsed < 2.6, "probes ran one after another, or the hung one was not stopped"
    runs = {r.consumer: r for r in result.probes}
    assert (runs["terragrunt"].state, runs["terragrunt"].version) == ("ok", "0.50.0")
    assert runs["pulumi"].version == "3.90.0" and runs["aws-vault"].version == "7.2.0"
    assert runs["session-manager-plugin"].state == "hung"
    assert "stopped" in runs["session-manager-plugin"].reason


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_a_tool_that_never_stops_talking_is_capped_and_stopped(tmp_path):
    bindir = tmp_path / "bin"
    _write(bindir / "pulumi", "#!/bin/sh\necho v3.1.0\nexec /usr/bin/yes\n", 0o755)
    started = time.monotonic()
    result = loader.start({"PATH": str(bindir)}, home=None, cwd=str(tmp_path), platform="linux", offline=True,
                          timeout=1.0).result()
    assert time.monotonic() - started < 2.5
    (run,) = result.probes
    assert run.state == "hung" and run.version is None  # no version from a tool that was stopped


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_offline_no_child_runs_with_a_known_way_to_phone_home(tmp_path):
    """--offline: terraform gets CHECKPOINT_DISABLE=1, pulumi PULUMI_SKIP_UPDATE_CHECK, and granted (no known
    switch for its update check) is not executed at all; nothing else is executed."""
    home, bindir, log = tmp_path / "home", tmp_path / "bin", tmp_path / "log"
    log.mkdir()
    _write(home / ".aws" / "config", "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
                                     "[sso-session corp]\nsso_start_url = https://x.awsapps.com/start\nsso_region = eu-west-1\n")
    _recording_tool(bindir, "terraform", log, '{"terraform_version": "1.5.7", "platform": "linux_amd64"}')
    _recording_tool(bindir, "terragrunt", log, "terragrunt version v0.53.0")
    _recording_tool(bindir, "pulumi", log, "v3.90.0")
    _recording_tool(bindir, "aws-vault", log, "v7.2.0")
    _recording_tool(bindir, "session-manager-plugin", log, "1.2.497.0")
    _recording_tool(bindir, "granted", log, "Granted v0.20.0")
    _recording_tool(bindir, "assume", log, "Granted v0.20.0")
    result = run_cli(["check", "--offline", "--format", "json", "--select", "SSO8"],
                     {"HOME": str(home), "PATH": str(bindir), "AWS_PROFILE": "dev", "SSO_DOCTOR_CWD": str(home)})
    doc = json.loads(result.stdout)
    executed = {p.name.removesuffix(".env") for p in log.iterdir()}
    assert executed == {"terraform", "terragrunt", "pulumi", "aws-vault", "session-manager-plugin"}
    assert executed <= {cmd for cmd, (_, _, _, safe) in loader.TOOLS.items() if safe}
    envs = {name: (log / f"{name}.env").read_text() for name in executed}
    assert "argv=version -json" in envs["terraform"]
    for name, text in envs.items():
        assert "\nCHECKPOINT_DISABLE=1\n" in text, name
        assert "\nPULUMI_SKIP_UPDATE_CHECK=true\n" in text, name
    # terragrunt 0.53.0 predates sso-session support (0.53.1): the executed probe's answer is used
    assert [(f["rule_id"], f["subject"]) for f in doc["findings"]] == [("SSO801", "terragrunt")]


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat)')
def test_without_offline_granted_is_asked_too(tmp_path):
    bindir, log = tmp_path / "bin", tmp_path / "log"
    log.mkdir()
    _recording_tool(bindir, "granted", log, "Granted v0.20.0")
    result = _found(tmp_path, {"PATH": str(bindir)}, offline=False)
    assert [(p.consumer, p.version) for p in result.probes] == [("granted", "0.20.0")]
    assert "\nCHECKPOINT_DISABLE=1\n" in (log / "granted.env").read_text()


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: #!/bin/sh stand-ins run as programs (Windows runs only .exe/.cmd/.bat), POSIX signals and process groups')
def test_probes_started_but_never_asked_for_are_waited_for_and_stopped(tmp_path):
    """A run whose SSO8 rules all skip before asking still stops a hung tool at its deadline (join_prefetch)."""
    from sso_doctor.context import Context, RunSettings

    bindir = tmp_path / "bin"
    _write(bindir / "terraform", f"#!/bin/sh\necho $$ > {tmp_path}/pid\nexec /bin/sleep 60\n", 0o755)
    ctx = Context(RunSettings(offline=True), env={"HOME": str(tmp_path), "PATH": str(bindir)})
    ctx.prefetch({"consumers"})
    started = time.monotonic()
    ctx.join_prefetch()
    assert time.monotonic() - started < loader.PROBE_TIMEOUT + 1.5
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_engine_starts_the_probes_before_the_config_rules_run(tmp_path, monkeypatch):
    """The probes overlap the config load: started by the engine before the first offline rule."""
    from sso_doctor import engine
    from sso_doctor.context import Context, RunSettings

    order = []
    monkeypatch.setattr(Context, "start_consumers", lambda self: order.append("probes"))
    first = next(r for r in ALL_RULES if r.id == "SSO101")
    sso8 = next(r for r in ALL_RULES if r.id == "SSO805")
    monkeypatch.setattr(type(first), "check", lambda self, ctx: order.append(self.id) or [])
    ctx = Context(RunSettings(offline=True), env={"HOME": str(tmp_path), "PATH": ""})
    engine.run([first, sso8], ctx)
    assert order[0] == "probes"


def test_select_and_ignore_sso8(tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/nonexistent", "SSO_DOCTOR_CWD": str(tmp_path)}
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--ignore", "SSO8"], env).stdout)
    statuses = {r["id"]: (r["status"], r.get("reason")) for r in doc["rules"]}
    assert all(statuses[i][0] == "skipped" for i in statuses if i.startswith("SSO8"))
    doc = json.loads(run_cli(["check", "--offline", "--format", "json", "--select", "SSO8"], env).stdout)
    chosen = {r["id"] for r in doc["rules"] if "--select" not in (r.get("reason") or "")}
    assert chosen == {f"SSO80{i}" for i in range(1, 7)}
    # nothing here: each says why it did not apply instead of passing
    assert all(r["status"] == "skipped" and r["reason"] for r in doc["rules"] if r["id"] in chosen)


def test_lint_mode_skips_the_area(tmp_path):
    cfg = _write(tmp_path / "config", "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n")
    env = {"HOME": str(tmp_path), "PATH": "/nonexistent", "SSO_DOCTOR_CWD": str(tmp_path)}
    doc = json.loads(run_cli(["check", "--config", str(cfg), "--format", "json"], env).stdout)
    for r in doc["rules"]:
        if r["id"].startswith("SSO8"):
            assert r["status"] == "skipped" and "--config" in r["reason"]
