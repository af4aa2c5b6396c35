"""What a plain offline check imports: the offline path stays fast by not importing what it does not use.

Not a timing test (those live in benchmarks/): a list of modules that a default `check --offline` of an
ordinary config must never load, each for a reason that a benchmark measured.
"""

from __future__ import annotations

import subprocess
import sys

NEVER_OFFLINE = {
    # botocore itself and its HTTP stack (~0.1-0.3 s): the token cache keys, refresh windows and
    # partitions.json are mirrored or read directly (tests/test_token_cache_keys.py holds them to botocore)
    "botocore", "boto3", "urllib3",
    # the judge of odd INI files only; the fast reader handles a plain one
    "configparser",
    # only when a settings file exists
    "tomllib",
    # certifi's bundle path is found without importing it (importlib.resources, zipfile, tempfile)
    "certifi", "zipfile",
    # certificates are parsed only for a bundle that is not certifi's
    "cryptography", "ssl",
    # only for the markdown report (host name, anonymizer)
    "socket", "sso_doctor.anonymize",
    # other commands' and the online checks' machinery
    "sso_doctor.admin", "sso_doctor.probes", "sso_doctor.error_texts",
}

PROBE = """\
import sys
from sso_doctor.cli import main
sys.argv = ['sso-doctor', 'check', '--offline', '--all-profiles']
try:
    main()
except SystemExit:
    pass
print(' '.join(sorted(sys.modules)))
"""


def test_plain_offline_check_imports_nothing_it_does_not_use(tmp_path):
    home = tmp_path / "home"
    (home / ".aws" / "sso" / "cache").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = us-east-1\n\n"
        "[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\nregion = us-east-1\n")
    # run outside the repository: its pyproject.toml would be read as a project settings file
    out = subprocess.run([sys.executable, "-c", PROBE], env={"HOME": str(home), "PATH": str(tmp_path)},
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    loaded = set(out.stdout.strip().splitlines()[-1].split())
    assert "sso_doctor.rules.config" in loaded, out.stdout + out.stderr  # the check really ran
    imported = sorted(m for m in loaded if m in NEVER_OFFLINE or m.split(".")[0] in NEVER_OFFLINE
                      or any(m.startswith(n + ".") for n in NEVER_OFFLINE))
    assert imported == [], imported
