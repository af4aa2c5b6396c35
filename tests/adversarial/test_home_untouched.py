"""No command writes, re-modes or touches anything under HOME, and none refreshes a token.

Every command (check, sessions, explain, rules, discover, triage) runs as a real subprocess over one
HOME whose admin profiles hold SSO tokens that botocore would refresh now: one inside its 15-minute
window, one expired but refreshable, both with a refresh token and client secret that the fake OIDC
server would accept. Before and after, every file and directory under HOME is compared: bytes, mode,
owner, size and mtime. The fake counts `POST /token` (OIDC CreateToken): it must count 0.

The control at the end runs plain boto3 on a copy of the same HOME: it does refresh and rewrite the
cache, so the zero above is a real zero.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from adversarial import admin_world
from conftest import guarded_env
from fakes.sso_server import FakeSso


@pytest.fixture(scope="module")
def world(tmp_path_factory, moto_server):
    # no organization is made here: moto's backends are shared with tests/test_triage.py, which makes
    # its own (the admin commands work without one)
    with FakeSso() as sso:
        w = admin_world.build(tmp_path_factory.mktemp("untouched"), moto_url=moto_server, sso_url=sso.url,
                              make=lambda label: f"cnry-{label}-0123456789abcdef")
        for name, (access, refresh, secret) in w.tokens.items():
            sso.add_token(access, {admin_world.ACCOUNT: ("management", [admin_world.ROLE])})
            sso.add_refresh_token(refresh, f"client-{name}", secret)
        yield w, sso


def _run(world, *args):
    w, _ = world
    return subprocess.run([sys.executable, "-m", "sso_doctor", *args], env=guarded_env(w.env),
                          capture_output=True, text=True, timeout=120)


TRIAGE = ["--user", "nobody", "--account", admin_world.ACCOUNT, "--permission-set", "ReadOnlyAccess"]
COMMANDS = [
    ["check", "--all-profiles", "--offline", "-v"],
    ["check", "--profile", "admin-window", "--offline", "--format", "json", "-v"],
    ["check", "--profile", "admin-window", "--timeout", "3", "--select", "SSO2,SSO6"],
    ["sessions"],
    ["sessions", "--format", "json"],
    ["explain", "SSO201"],
    ["explain", "Error when retrieving token from sso: Token has expired and refresh failed"],
    ["rules"],
    ["discover", "--profile", "admin-window"],
    ["discover", "--profile", "admin-expired", "--format", "json"],
    ["discover", "--profile", "admin-valid"],
    ["discover", "--profile", "admin-process"],
    ["triage", "--profile", "admin-window", *TRIAGE],
    ["triage", "--profile", "admin-expired", *TRIAGE, "--format", "json"],
    ["triage", "--profile", "admin-process", *TRIAGE, "-v"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:3]) for a in COMMANDS])
def test_command_leaves_home_untouched_and_refreshes_nothing(world, args):
    w, sso = world
    before = admin_world.snapshot(w.home)
    start = len(sso.state.requests)
    proc = _run(world, *args)
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "NETWORK-ESCAPE" not in proc.stderr
    after = admin_world.snapshot(w.home)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert changed == [], f"{args[0]} changed {changed}"
    calls = sso.state.requests[start:]
    assert [r.path for r in calls if r.path == "/token"] == [], "OIDC CreateToken: a token refresh"


def test_a_token_botocore_would_refresh_is_reported_and_used_as_it_is(world):
    w, sso = world
    start = len(sso.state.requests)
    proc = _run(world, "discover", "--profile", "admin-window")
    assert proc.returncode == 0, proc.stderr
    assert "IAM Identity Center in us-east-1" in proc.stdout
    assert "aws sso login --sso-session window" in proc.stderr and "never" in proc.stderr
    paths = [r.path for r in sso.state.requests[start:]]
    assert "/federation/credentials" in paths and "/token" not in paths


@pytest.mark.parametrize("command", [["discover"], ["triage", *TRIAGE]], ids=["discover", "triage"])
def test_an_expired_refreshable_token_stops_with_the_login_command(world, command):
    w, sso = world
    start = len(sso.state.requests)
    proc = _run(world, command[0], "--profile", "admin-expired", *command[1:])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "aws sso login --sso-session expired" in proc.stderr
    assert "internal error" not in proc.stderr
    assert sso.state.requests[start:] == []  # not even the portal: there is no usable token


@pytest.mark.parametrize("command", [["discover"], ["triage", *TRIAGE]], ids=["discover", "triage"])
def test_a_failing_credential_process_is_a_clear_error(world, command):
    proc = _run(world, command[0], "--profile", "admin-process", *command[1:])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "credential_process" in proc.stderr and "not shown" in proc.stderr
    assert "internal error" not in proc.stderr and "helper failed" not in proc.stdout + proc.stderr


def test_control_plain_boto3_refreshes_and_rewrites_the_cache(world, tmp_path):
    """The same HOME copied: botocore's own chain POSTs /token and rewrites the token file."""
    w, sso = world
    home = tmp_path / "home"
    shutil.copytree(w.home, home)
    before = admin_world.snapshot(home)
    start = len(sso.state.requests)
    env = {**w.env, "HOME": str(home)}
    code = ("import boto3; s = boto3.Session(profile_name='admin-window'); "
            "s.client('sso-admin', region_name='us-east-1').list_instances()")
    proc = subprocess.run([sys.executable, "-c", code], env=guarded_env(env), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "/token" in [r.path for r in sso.state.requests[start:]]
    assert admin_world.snapshot(home) != before
