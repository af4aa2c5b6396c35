"""The package installs as the README says, and its checks install as `sso_doctor.rules`.

The checks live in a top-level `rules/` folder of the repository but must only ever be importable as
`sso_doctor.rules` (pyproject's package-dir mapping): a bare top-level `rules` package would collide
with anything else called `rules` on a user's machine. Proved for both install modes:

- `pip install .` — built from a copy of the source into a `--target` folder, then imported by an
  interpreter that sees only that folder and the dependencies (no site-packages, no editable finder);
- `pip install -e .` — the test virtualenv itself, which is an editable install, from an unrelated cwd.

No network when the virtualenv's own setuptools can build a wheel (`--no-build-isolation --no-index`);
otherwise pip's isolated build fetches setuptools through its cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from sso_doctor import __version__

ROOT = Path(__file__).resolve().parent.parent

IMPORT_PROBE = """
import importlib.util, json, sys
import sso_doctor, sso_doctor.rules
from sso_doctor.rules import ALL_RULES
print(json.dumps({
    "sso_doctor": sso_doctor.__file__,
    "rules_pkg": sso_doctor.rules.__file__,
    "top_level_rules": importlib.util.find_spec("rules") is not None,
    "rule_ids": [r.id for r in ALL_RULES],
}))
"""


def _probe(cmd: list[str], cwd: Path, env: dict[str, str]) -> dict:
    proc = subprocess.run([*cmd, "-c", IMPORT_PROBE], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _can_build_wheels() -> bool:
    """setuptools >= 70.1 has bdist_wheel built in; older ones need the `wheel` package."""
    from importlib import metadata, util

    from packaging.version import Version

    try:
        setuptools = Version(metadata.version("setuptools"))
    except metadata.PackageNotFoundError:
        return False
    return setuptools >= Version("70.1") or (setuptools >= Version("68") and util.find_spec("wheel") is not None)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`pip install --no-deps --target <tmp> .` from a copy of the source tree."""
    base = tmp_path_factory.mktemp("pkg")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("sso_doctor", "rules"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    target = base / "site"
    # Offline when this environment can build a wheel itself; otherwise pip builds in an isolated
    # environment with setuptools from PyPI (its cache usually answers).
    offline = ["--no-build-isolation", "--no-index"] if _can_build_wheels() else []
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *offline,
         "--disable-pip-version-check", "--target", str(target), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return target


def test_pip_install_puts_rules_inside_the_package(installed):
    top_level = sorted(p.name for p in installed.iterdir())
    assert "rules" not in top_level, top_level
    assert "sso_doctor" in top_level
    assert (installed / "sso_doctor" / "rules" / "__init__.py").is_file()
    assert (installed / "sso_doctor" / "schemas" / "report.schema.json").is_file()
    assert (installed / "sso_doctor" / "data" / "consumers.toml").is_file()  # the SSO8xx knowledge base


def test_pip_install_imports_rules_as_sso_doctor_rules(installed, tmp_path):
    # -S: no site-packages, so neither the editable finder nor the source tree can answer; the
    # dependencies come from an explicit path after the installed folder.
    deps = sysconfig.get_paths()["purelib"]
    env = {"PYTHONPATH": os.pathsep.join([str(installed), deps]), "PATH": "/usr/bin:/bin"}
    got = _probe([sys.executable, "-S"], tmp_path, env)
    assert got["sso_doctor"].startswith(str(installed))
    assert got["rules_pkg"] == str(installed / "sso_doctor" / "rules" / "__init__.py")
    assert got["top_level_rules"] is False
    assert "SSO102" in got["rule_ids"]


def test_editable_install_imports_rules_as_sso_doctor_rules(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    got = _probe([sys.executable], tmp_path, env)
    assert got["rules_pkg"] == str(ROOT / "rules" / "__init__.py")
    assert got["sso_doctor"] == str(ROOT / "sso_doctor" / "__init__.py")
    assert got["top_level_rules"] is False


def test_python_dash_m_and_the_console_script_run(tmp_path, installed):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    want = f"sso-doctor {__version__}"
    by_module = subprocess.run([sys.executable, "-m", "sso_doctor", "--version"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=60)
    assert (by_module.returncode, by_module.stdout.strip()) == (0, want), by_module.stderr
    script = Path(sys.executable).parent / "sso-doctor"
    assert script.is_file(), "the editable install has no console script"
    by_script = subprocess.run([str(script), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True,
                               timeout=60)
    assert (by_script.returncode, by_script.stdout.strip()) == (0, want), by_script.stderr
    # and the one `pip install .` wrote, running the installed copy
    target_script = installed / "bin" / "sso-doctor"
    assert target_script.is_file()
    env_installed = {**env, "PYTHONPATH": str(installed)}
    by_target = subprocess.run([sys.executable, str(target_script), "rules"], cwd=tmp_path, env=env_installed,
                               capture_output=True, text=True, timeout=60)
    assert by_target.returncode == 0 and "SSO102" in by_target.stdout, by_target.stderr
