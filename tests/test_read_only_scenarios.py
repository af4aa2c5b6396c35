"""`check` is read-only on every scenario home, and the offline path stays light.

1. For every scenario under fixtures/, the whole fake HOME (and the scenario's bin/) is snapshotted —
   every path, its type, size, mode, modification time, symlink target and content hash — before and
   after `check` runs with the scenario's own arguments (JSON) and with every offline rule (text).
   Nothing may change and nothing may appear. (Access times are left out: reading a file may update
   them, and that is not a write.)
2. `check --offline` never imports boto3 and never creates a botocore client: a fresh interpreter runs
   the CLI's main() against a real config and reports what it imported and created.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from scenarios import all_scenarios, prepare
from test_scenarios import run_cli  # the in-process CLI with only the scenario's environment

SCENARIOS = all_scenarios()


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root (root included), without following symlinks."""
    out: dict[str, tuple] = {}

    def record(p: Path) -> None:
        st = p.lstat()
        rel = str(p.relative_to(root.parent))
        kind = stat.S_IFMT(st.st_mode)
        digest = None
        target = None
        if stat.S_ISREG(st.st_mode):
            try:
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            except PermissionError:  # only root runs this suite, but don't let a chmod 000 hide a change
                digest = "unreadable"
        elif stat.S_ISLNK(st.st_mode):
            target = os.readlink(p)
        out[rel] = (kind, st.st_size, stat.S_IMODE(st.st_mode), st.st_mtime_ns, st.st_uid, st.st_gid, digest, target)

    record(root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            record(Path(dirpath) / name)
    return out


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_check_writes_nothing_under_home(sc, tmp_path):
    prepared = prepare(sc, tmp_path)
    before = {**snapshot(prepared.home), **snapshot(prepared.bin)}
    assert len(before) >= 2
    runs = [
        [*prepared.args],  # the scenario as it runs (JSON, its own rules and arguments)
        ["check", "--offline", "--all-profiles", "--format", "text", "-v"],  # every offline rule, text
    ]
    for args in runs:
        result = run_cli(args, prepared.env)
        assert result.exit_code in (0, 1), (args, result.output)
        after = {**snapshot(prepared.home), **snapshot(prepared.bin)}
        created = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
        assert (created, removed, changed) == ([], [], []), args


@pytest.mark.skipif(sys.platform == "win32", reason='POSIX-only: POSIX mode bits (chmod has no such effect on Windows)')
def test_the_snapshot_sees_a_change(tmp_path):
    """The snapshot is sharp enough to catch what a careless refresh would do."""
    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    token = home / ".aws" / "sso" / "cache" / "abc.json"
    token.write_text('{"accessToken": "x"}')
    before = snapshot(home)
    token.write_text('{"accessToken": "y"}')  # same size, new content
    os.utime(token, ns=(before["home/.aws/sso/cache/abc.json"][3],) * 2)  # and the old mtime
    assert snapshot(home) != before
    after_rewrite = snapshot(home)
    token.chmod(0o600)
    assert snapshot(home) != after_rewrite
    (home / ".aws" / "cli").mkdir()
    assert "home/.aws/cli" in snapshot(home)


PROBE = textwrap.dedent(
    """
    import json, sys

    created = []

    class ClientWatch:
        # Wrap botocore's client factory if and when botocore.client is imported.
        def find_spec(self, name, path=None, target=None):
            if name != "botocore.client":
                return None
            sys.meta_path.remove(self)
            import importlib.util
            spec = importlib.util.find_spec(name)
            real_exec = spec.loader.exec_module

            def exec_module(module):
                real_exec(module)
                original = module.ClientCreator.create_client

                def create_client(self, service_name, *args, **kwargs):
                    created.append(service_name)
                    return original(self, service_name, *args, **kwargs)

                module.ClientCreator.create_client = create_client

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, ClientWatch())
    from sso_doctor.cli import main
    sys.argv = ["sso-doctor", *json.loads(sys.argv[1])]
    code = None
    try:
        main()
    except SystemExit as e:
        code = e.code
    mods = sorted(m for m in sys.modules if m == "boto3" or m.startswith("boto3."))
    print(json.dumps({"exit": code, "boto3": mods, "clients": created,
                      "botocore_client_imported": "botocore.client" in sys.modules}), file=sys.stderr)
    """
)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_offline_check_does_not_import_boto3_or_create_clients(fmt, tmp_path):
    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n\n"
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n"
        "region = eu-west-1\n"
    )
    env = {"HOME": str(home), "PATH": str(tmp_path), "LANG": "C.UTF-8", "AWS_PROFILE": "dev",
           "SSO_DOCTOR_NOW": "2026-11-26T12:00:00Z"}
    args = ["check", "--offline", "--all-profiles", "--format", fmt]
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], env=env, capture_output=True,
                          text=True, timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["exit"] in (0, 1), proc.stderr
    assert proc.stdout.strip(), "the check printed no report"
    assert report["boto3"] == [], report
    assert report["clients"] == [], report


def test_the_probe_sees_boto3_and_clients(tmp_path):
    """The probe above is able to fail: code that imports boto3 and creates a client is caught."""
    script = PROBE.replace(
        "from sso_doctor.cli import main",
        "import boto3\nboto3.session.Session(region_name='us-east-1').client('sts', aws_access_key_id='a', "
        "aws_secret_access_key='b')\nfrom sso_doctor.cli import main",
    )
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(["--version"])],
                          env={"HOME": str(tmp_path), "PATH": str(tmp_path)}, capture_output=True, text=True,
                          timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["boto3"] and report["clients"] == ["sts"], report
