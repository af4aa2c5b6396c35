"""How much the online checks add to `sso-doctor check`, with every probe and API call succeeding.

5 profiles over 2 sso-sessions (two start URLs, two cached tokens), every endpoint on 127.0.0.1:
HTTPS sites with a trustme CA for the OIDC endpoint and the start URLs, the fake SSO portal, moto's
STS. Runs the real CLI as a subprocess, alternating offline and online, and reports medians.

    .venv/bin/python benchmarks/online_overhead.py [runs]
"""

from __future__ import annotations

import contextlib
import resource
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.net_servers import TlsSite
from fakes.sso_server import FakeSso
from online_world import ACCESS_TOKEN, MOTO_ACCOUNT, base_env, make_cas, sso_doctor, write_home

PROFILES = {
    "dev": (MOTO_ACCOUNT, "AdministratorAccess"),
    "ro": (MOTO_ACCOUNT, "ReadOnlyAccess"),
    "sandbox": (MOTO_ACCOUNT, "AdministratorAccess"),
    "audit": (MOTO_ACCOUNT, "ReadOnlyAccess"),
    "ops": (MOTO_ACCOUNT, "AdministratorAccess"),
}


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main(runs: int = 7) -> dict[str, float]:
    from moto.server import ThreadedMotoServer

    tmp = Path(tempfile.mkdtemp(prefix="sso-doctor-bench-"))
    cas = make_cas(tmp / "cas")
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    with contextlib.ExitStack() as stack:
        cert = cas.public.issue_cert("localhost", "127.0.0.1")
        oidc = stack.enter_context(TlsSite(cert))
        starts = [stack.enter_context(TlsSite(cert)) for _ in range(2)]
        fake = stack.enter_context(FakeSso())
        fake.add_token(ACCESS_TOKEN, {MOTO_ACCOUNT: ("sandbox", ["AdministratorAccess", "ReadOnlyAccess"])})
        home = write_home(tmp / "home", [s.url("localhost", "/start") for s in starts], PROFILES, sessions=2)
        env = base_env(home, cas, AWS_ENDPOINT_URL_SSO_OIDC=oidc.url("localhost").rstrip("/"),
                       AWS_ENDPOINT_URL_SSO=fake.url, AWS_ENDPOINT_URL_STS=f"http://{host}:{port}")
        # Only the online rules differ between the two runs; select them and the config rules so the
        # offline run does the same offline work.
        args = ["check", "--all-profiles", "--format", "json"]
        offline, online, cpu_off, cpu_on = [], [], [], []
        sso_doctor(args, env)  # warm the file cache
        for _ in range(runs):
            c0 = _children_cpu()
            off = sso_doctor([*args, "--offline"], env)
            c1 = _children_cpu()
            on = sso_doctor(args, env)
            cpu_off.append(c1 - c0)
            cpu_on.append(_children_cpu() - c1)
            assert on.doc is not None and not [f for f in on.doc["findings"] if f["area"] in ("network", "access")], on.stdout
            assert all(r["status"] == "passed" for r in on.doc["rules"] if r["id"][:4] in ("SSO5", "SSO6")), on.doc["rules"]
            offline.append(off.seconds)
            online.append(on.seconds)
    moto.stop()
    result = {"offline_median_s": statistics.median(offline), "online_median_s": statistics.median(online)}
    result["overhead_s"] = result["online_median_s"] - result["offline_median_s"]
    result["cpu_overhead_s"] = statistics.median(cpu_on) - statistics.median(cpu_off)
    print(f"runs: {runs}; offline {', '.join(f'{x:.3f}' for x in offline)}")
    print(f"          online  {', '.join(f'{x:.3f}' for x in online)}")
    print(f"median offline {result['offline_median_s']:.3f} s, online {result['online_median_s']:.3f} s, "
          f"overhead {result['overhead_s']:.3f} s (limit 0.5 s); CPU time (user+sys) overhead "
          f"{result['cpu_overhead_s']:.3f} s")
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
