"""Config files as Windows editors save them (UTF-16 with a BOM, a UTF-8 BOM, CRLF line ends) get
botocore's real verdict: each is parsed by botocore's own raw_config_parse and by sso-doctor, and the
verdicts must agree; where SSO102 prints a command, running it makes botocore accept the file."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from botocore.configloader import raw_config_parse
from botocore.exceptions import ConfigParseError

from sso_doctor import runner

TEXT = ("[default]\r\nregion = eu-west-1\r\n\r\n[profile dev]\r\nsso_session = corp\r\nsso_account_id = 111122223333\r\n"
        "sso_role_name = Dev\r\n\r\n[sso-session corp]\r\nsso_start_url = https://d-1234567890.awsapps.com/start\r\n"
        "sso_region = eu-west-1\r\n")

ENCODINGS = {
    "notepad-unicode (UTF-16 LE, BOM, CRLF)": b"\xff\xfe" + TEXT.encode("utf-16-le"),
    "notepad-unicode-big-endian (UTF-16 BE, BOM)": b"\xfe\xff" + TEXT.encode("utf-16-be"),
    "UTF-16 LE without BOM": TEXT.encode("utf-16-le"),
    "notepad-utf8-bom (UTF-8 BOM, CRLF)": b"\xef\xbb\xbf" + TEXT.encode(),
    "notepad-utf8 (CRLF only)": TEXT.encode(),
}


def botocore_verdict(path) -> dict | None:
    try:
        return raw_config_parse(str(path))
    except ConfigParseError:
        return None


def sso102(tmp_path, platform: str = "linux") -> list[dict]:
    env = {"HOME": str(tmp_path), "PATH": "", "SSO_DOCTOR_PLATFORM": platform, "USERPROFILE": str(tmp_path)}
    out = runner.check(runner.CheckRequest(output_format="json", select=("SSO102",), env=env, offline=True))
    return json.loads(out.render())["findings"]


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_verdict_agrees_with_botocore(tmp_path, name):
    (tmp_path / ".aws").mkdir()
    config = tmp_path / ".aws" / "config"
    config.write_bytes(ENCODINGS[name])
    expected = botocore_verdict(config)
    findings = sso102(tmp_path)
    assert bool(findings) == (expected is None), (name, findings)
    if expected is not None:
        from sso_doctor.loaders import aws_config

        parsed = aws_config.parse_bytes("config", config, None, config.read_bytes())
        assert {s.header: {k: v.value for k, v in s.entries.items()} for s in parsed.sections} == expected
        return
    (finding,) = findings
    if "UTF-16" in name:
        assert "is UTF-16 text" in finding["message"] and "Notepad" in finding["message"]
        assert finding["location"]["line"] == 1


@pytest.mark.skipif(not (shutil.which("iconv") and shutil.which("tail")), reason="needs iconv and tail")
@pytest.mark.parametrize("name", [n for n in ENCODINGS if n != "notepad-utf8 (CRLF only)"])
def test_the_printed_command_makes_botocore_accept_the_file(tmp_path, name):
    (tmp_path / ".aws").mkdir()
    config = tmp_path / ".aws" / "config"
    config.write_bytes(ENCODINGS[name])
    (finding,) = sso102(tmp_path)
    (command,) = finding["fix"]["commands"]
    assert command["safe"] is True and command["op"] == "sh"
    subprocess.run(["sh", "-c", command["command"]], check=True)
    assert botocore_verdict(config) is not None
    assert sso102(tmp_path) == []


def test_on_windows_the_fix_is_notepad_save_as_utf8(tmp_path):
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_bytes(ENCODINGS["notepad-unicode (UTF-16 LE, BOM, CRLF)"])
    (finding,) = sso102(tmp_path, "win32")
    (command,) = finding["fix"]["commands"]
    assert command["safe"] is False and 'Encoding "UTF-8"' in command["command"]
