"""The online phase of one run: resolve targets once, start every probe and access check at once, and
let each rule read what is known when it asks (waiting at most until the budget's cut-off).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from sso_doctor.loaders.aws_config import AwsConfig, SsoSettings
from sso_doctor.probes import home_region, net, portal, targets
from sso_doctor.redact import Secrets

if TYPE_CHECKING:
    from sso_doctor.context import Context


def cutoff(deadline: float, budget: float) -> float:
    """When waiting rules stop waiting: a little before the engine's deadline, so they can still report."""
    return deadline - min(0.3, budget * 0.1)


class OnlineRun:
    """Probes and access checks for the selected profiles. Thread-safe; starts work on first use."""

    def __init__(self, config: AwsConfig, selected: list[SsoSettings], env: Mapping[str, str],
                 home: str | None, now: dt.datetime, secrets: Secrets, deadline: float, budget: float,
                 platform: str = "linux") -> None:
        self._config = config
        self._selected = selected
        self._env = env
        self._home = home
        self._now = now
        self._secrets = secrets
        self.deadline = deadline
        self.cutoff = cutoff(deadline, budget)
        self._lock = threading.Lock()
        self._resolution: targets.Resolution | None = None
        self._probes: list[net.Probe] | None = None
        self._access: portal.AccessRun | None = None
        self._regions: home_region.RegionRun | None = None
        self.platform = platform  # the run's OS (ctx.platform), for platform-specific fix commands

    def _resolve(self) -> targets.Resolution:
        with self._lock:
            if self._resolution is None:
                left = max(0.1, self.cutoff - time.monotonic())
                self._resolution = targets.resolve(self._config, self._selected, self._env, self._secrets, left)
            return self._resolution

    @property
    def resolution(self) -> targets.Resolution:
        return self._resolve()

    def _start_probes(self) -> list[net.Probe]:
        res = self._resolve()
        with self._lock:
            if self._probes is None:
                self._probes = [net.Probe(t, self.cutoff, res.public_roots, self._env) for t in res.targets]
                for p in self._probes:
                    p.start()
            return self._probes

    def _start_access(self) -> portal.AccessRun:
        res = self._resolve()
        with self._lock:
            if self._access is None:
                self._access = portal.AccessRun(res.clients, self._home, self._now, self._secrets, self.cutoff)
                self._access.start()
            return self._access

    def _start_regions(self) -> home_region.RegionRun:
        res = self._resolve()
        with self._lock:
            if self._regions is None:
                self._regions = home_region.RegionRun(res.clients, self._home, self._now, self._secrets, self.cutoff)
                self._regions.start()
            return self._regions

    def start(self) -> None:
        """Start probes, access and home-region checks together (each also starts on its first use)."""
        self._start_probes()
        self._start_access()
        self._start_regions()

    def region_results(self) -> list[home_region.RegionCheck]:
        """The home-region check of every distinct (*.awsapps.com start URL, sso_region) pair."""
        return self._start_regions().results(self.cutoff)

    def probe_results(self) -> list[net.ProbeResult]:
        """Every probe's result, waiting until they finish or the cut-off comes."""
        return [p.wait(self.cutoff) for p in self._start_probes()]

    def access_results(self) -> list[portal.ProfileAccess]:
        """Every selected SSO profile's access checks, waiting until they finish or the cut-off comes."""
        return self._start_access().results(self.cutoff)

_RUN_LOCK = threading.Lock()


def online_run(ctx: Context) -> OnlineRun:
    """The context's one OnlineRun, created on first use even when rule threads race for it."""
    with _RUN_LOCK:
        run = ctx.__dict__.get("_online_run")
        if run is None:
            cfg = ctx.parsed_config()
            budget = max(0.1, ctx.settings.timeout)
            run = OnlineRun(cfg, ctx.selected_sso(), ctx.env, ctx.home, ctx.now, ctx.secrets, ctx.online_deadline,
                            budget, platform=ctx.platform)
            ctx.__dict__["_online_run"] = run
        return run
