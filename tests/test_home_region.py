"""SSO508: is sso_region the home region of the Identity Center instance behind an *.awsapps.com URL?

Against the wire-compatible fake OIDC server (RegisterClient + StartDeviceAuthorization), in both
outcomes, through the real CLI in a subprocess, with botocore's own sso-oidc client.
"""

from __future__ import annotations

import pytest

from conftest import guarded_env
from fakes.sso_server import FakeSso
from online_world import base_env, sso_doctor, write_home

START_URL = "https://d-1234567890.awsapps.com/start"
ARGS = ["check", "--format", "json", "--select", "SSO508"]


def _env(home, fake):
    # loopback only: a call that escaped to the real oidc.<region>.amazonaws.com would fail the run
    return guarded_env(base_env(home, AWS_ENDPOINT_URL_SSO_OIDC=fake.url, AWS_ENDPOINT_URL_SSO=fake.url))


def _calls(fake, path):
    return [r for r in fake.state.requests if r.path == path]


def test_wrong_region_is_named_at_the_sso_region_line(tmp_path):
    with FakeSso() as fake:
        fake.state.home_start_urls = {"https://d-0000000000.awsapps.com/start"}  # another instance lives here
        home = write_home(tmp_path / "home", START_URL, {"dev": ("111111111111", "Admin")}, region="us-east-1",
                          token=None)
        run = sso_doctor(ARGS, _env(home, fake))
        assert run.returncode == 1, run.stdout + run.stderr
        assert "NETWORK-ESCAPE" not in run.stderr
        [finding] = run.findings("SSO508")
        assert finding["subject"] == "corp"
        assert finding["location"]["key"] == "sso_region" and finding["location"]["section"] == "sso-session corp"
        assert "not in us-east-1" in finding["message"] and START_URL in finding["message"]
        assert len(_calls(fake, "/client/register")) == 1 and len(_calls(fake, "/device_authorization")) == 1
        # what the fake handed out (client secret, device code) never reaches the output
        secret = next(iter(fake.state.registered_clients.values()))
        assert secret not in run.stdout + run.stderr
        assert "fake-device-" not in run.stdout + run.stderr
        assert _calls(fake, "/token") == []  # never a token request
        # the fix is an edit of that line (not safe: only the console knows the region); filled in, it fits
        # the file and botocore reads the new value
        [edit] = finding["fix"]["edits"]
        assert (edit["section"], edit["key"], edit["old"], edit["safe"]) == ("sso-session corp", "sso_region",
                                                                            "us-east-1", False)
        from botocore import configloader

        from sso_doctor.edits import apply
        from sso_doctor.fixes import Edit

        config = home / ".aws" / "config"
        assert edit["path"] == str(config)
        config.write_text(apply(config.read_text(), [Edit(**{**edit, "new": "eu-west-1"})]))
        loaded = configloader.load_config(str(config))
        assert loaded["sso_sessions"]["corp"]["sso_region"] == "eu-west-1"


def test_home_region_passes(tmp_path):
    with FakeSso() as fake:
        fake.state.home_start_urls = {START_URL}
        home = write_home(tmp_path / "home", START_URL, {"dev": ("111111111111", "Admin")}, token=None)
        run = sso_doctor(ARGS, _env(home, fake))
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.findings("SSO508") == [] and run.status("SSO508") == "passed"
        assert len(_calls(fake, "/device_authorization")) == 1


def test_a_valid_cached_token_for_that_region_proves_it_without_a_call(tmp_path):
    with FakeSso() as fake:
        fake.state.home_start_urls = set()  # would say "not home" if asked
        home = write_home(tmp_path / "home", START_URL, {"dev": ("111111111111", "Admin")})
        run = sso_doctor(ARGS, _env(home, fake))
        assert run.status("SSO508") == "passed", run.stdout + run.stderr
        assert _calls(fake, "/client/register") == [] and _calls(fake, "/device_authorization") == []


@pytest.mark.parametrize("url", ["https://ssoins-1234567890abcdef.portal.us-east-1.app.aws"])
def test_start_urls_that_name_their_region_are_not_probed(tmp_path, url):
    with FakeSso() as fake:
        home = write_home(tmp_path / "home", url, {"dev": ("111111111111", "Admin")}, token=None)
        run = sso_doctor(ARGS, _env(home, fake))
        assert run.status("SSO508") == "skipped" and "SSO114" in (run.reason("SSO508") or "")
        assert _calls(fake, "/client/register") == []


def test_offline_never_calls(tmp_path):
    with FakeSso() as fake:
        home = write_home(tmp_path / "home", START_URL, {"dev": ("111111111111", "Admin")}, token=None)
        run = sso_doctor([*ARGS, "--offline"], _env(home, fake))
        assert run.status("SSO508") == "skipped"
        assert fake.state.requests == []
