"""Time to a verdict when every endpoint and the proxy accept connections and never answer.

sso-doctor (the real CLI, `--timeout BUDGET`) against botocore with default settings (60 s connect and
read timeouts, legacy retries) calling the same black-holed portal endpoint, bounded by LIMIT seconds.

    .venv/bin/python benchmarks/black_hole.py [budget] [limit]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.net_servers import BlackHole
from online_world import ACCESS_TOKEN, base_env, make_cas, sso_doctor, write_home

BOTOCORE_DEFAULTS = """
import botocore.session, sys
c = botocore.session.Session().create_client("sso", region_name="us-east-1", endpoint_url=sys.argv[1])
c.list_accounts(accessToken=sys.argv[2])
"""


def main(budget: float = 2.0, limit: float = 75.0) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sso-doctor-blackhole-"))
    cas = make_cas(tmp / "cas")
    with BlackHole() as endpoints, BlackHole() as proxy:
        hole = f"https://127.0.0.1:{endpoints.port}"
        home = write_home(tmp / "home", "https://d-1234567890.awsapps.com/start", {"dev": ("111111111111", "Admin")})
        env = base_env(home, cas, AWS_ENDPOINT_URL_SSO_OIDC=hole, AWS_ENDPOINT_URL_SSO=hole,
                       AWS_ENDPOINT_URL_STS=hole, HTTPS_PROXY=f"http://127.0.0.1:{proxy.port}", NO_PROXY="127.0.0.1")
        runs = [sso_doctor(["check", "--timeout", str(budget)], env) for _ in range(3)]
        print(runs[-1].stdout)
        start = time.perf_counter()
        try:
            p = subprocess.run([sys.executable, "-c", BOTOCORE_DEFAULTS, hole, ACCESS_TOKEN], env=env,
                               capture_output=True, text=True, check=False, timeout=limit)
            outcome = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        except subprocess.TimeoutExpired:
            outcome = f"no verdict yet; killed at the {limit:g} s limit"
        botocore_s = time.perf_counter() - start
    print(f"sso-doctor --timeout {budget:g}: " + ", ".join(f"{r.seconds:.2f} s" for r in runs)
          + f" (exit {runs[-1].returncode})")
    print(f"botocore defaults (sso ListAccounts): {botocore_s:.1f} s: {outcome}")


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:3]))
