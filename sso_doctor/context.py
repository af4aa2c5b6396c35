"""The one place rules get facts from. Every loader runs lazily, at most once per run.

Rules never touch os.environ, files, the clock, subprocesses or the network: they ask the context,
which makes every rule testable with a fake HOME, a fixed clock and no network.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sso_doctor import fixes
from sso_doctor.fixes import Command
from sso_doctor.loaders import aws_config
from sso_doctor.model import SkipRule
from sso_doctor.redact import Secrets

if TYPE_CHECKING:  # the loaders themselves are imported on first use, inside each property
    from sso_doctor.loaders import (
        ca_bundle,
        cli_version,
        environment,
        login_env,
        os_trust,
        token_cache,
    )
    from sso_doctor.platform import Platform


SECRET_CONFIG_KEYS = ("aws_secret_access_key", "aws_session_token", "aws_security_token")


@dataclass(frozen=True)
class RunSettings:
    """What the user asked for, after flags and settings files are merged."""

    profiles: tuple[str, ...] = ()
    all_profiles: bool = False
    offline: bool = False
    timeout: float = 5.0
    verbose: bool = False
    # explicit files to lint (`--config` / `--credentials`), overriding env and HOME
    config_file: str | None = None
    credentials_file: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def register_url_secrets(config: aws_config.AwsConfig, secrets: Secrets) -> None:
    """The password of every URL in the files (endpoint_url in a profile or a [services] block,
    sso_start_url, anything else), and the query string of start URLs: registered with `secrets`, so
    every output masks them as the proxy variables' passwords are masked."""
    for parsed in (config.config, config.credentials):
        for section in parsed.sections:
            for key, entry in section.entries.items():
                value = entry.value
                items = value.items() if isinstance(value, dict) else ((key, value),)
                for k, v in items:
                    if isinstance(v, str) and ("@" in v or (k == "sso_start_url" and "?" in v)):
                        secrets.add_url(v.strip(), start_url=k == "sso_start_url")
                        secrets.add_url(v, start_url=k == "sso_start_url")


class Context:
    """Facts about the machine for one run, loaded on first use."""

    def __init__(
        self,
        settings: RunSettings | None = None,
        env: Mapping[str, str] | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self.settings = settings or RunSettings()
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        self.secrets = Secrets()
        # the needs of the online rules of this run (set by the engine); None: not known
        self.scheduled_needs: frozenset[str] | None = None

    # --- the machine ------------------------------------------------------------------------------

    @cached_property
    def os(self) -> Platform:
        """Home, paths, shell and OS facts for this run (sso_doctor/platform.py), from env + platform."""
        from sso_doctor.platform import Platform

        return Platform(self.platform, self.env)

    @cached_property
    def home(self) -> str | None:
        """`~` as botocore expands it on this OS (Windows: %USERPROFILE%, never $HOME), as the host
        opens it; None when the OS cannot tell."""
        home = self.os.home
        return str(self.os.host_path(home)) if home else None

    @property
    def shell(self) -> str:
        """The shell fix commands are rendered for: `extra["shell"]` (--shell), else the detected one."""
        return str(self.settings.extra.get("shell") or self.os.shell)

    @cached_property
    def config(self) -> aws_config.AwsConfig:
        env = dict(self.env)
        if self.settings.config_file:
            env["AWS_CONFIG_FILE"] = self.settings.config_file
        if self.settings.credentials_file:
            env["AWS_SHARED_CREDENTIALS_FILE"] = self.settings.credentials_file
        config = aws_config.load(env, self.home, self.os.with_env(env))
        # Static keys in the files are secrets too: registered for the output's second line of defence.
        for profile in config.profiles.values():
            if profile.values.keys().isdisjoint(SECRET_CONFIG_KEYS):
                continue  # most profiles hold none: no lookups for them
            for key in SECRET_CONFIG_KEYS:
                self.secrets.add(profile.get(key))
        register_url_secrets(config, self.secrets)
        return config

    def parsed_config(self) -> aws_config.AwsConfig:
        """The config, or SkipRule when botocore could not use the config file at all."""
        cfg = self.config
        if cfg.config.state == "unparseable":
            raise SkipRule(f"{cfg.config.path} cannot be parsed (see SSO102)")
        if cfg.credentials.state == "unparseable":
            raise SkipRule(f"{cfg.credentials.path} cannot be parsed (see SSO102)")
        return cfg

    # --- what the run is about ------------------------------------------------------------------------

    @cached_property
    def _selection(self) -> tuple[tuple[str, ...], str]:
        return aws_config.selected_profile_names(self.settings.profiles, self.env)

    @property
    def selection_source(self) -> str:
        """--profile, AWS_DEFAULT_PROFILE, AWS_PROFILE, default or --all-profiles."""
        return "--all-profiles" if self.settings.all_profiles else self._selection[1]

    @cached_property
    def selected_names(self) -> tuple[str, ...]:
        """Names of the selected profiles (they may not exist)."""
        if self.settings.all_profiles:
            return tuple(p.name for p in self.config.sso_profiles)
        return self._selection[0]

    def selected_profiles(self) -> list[aws_config.Profile]:
        """The selected profiles that exist."""
        profiles = self.config.profiles
        return [profiles[n] for n in self.selected_names if n in profiles]

    def selected_sso(self) -> list[aws_config.SsoSettings]:
        """SSO settings of every selected profile that has SSO keys, sessions resolved."""
        return list(self._selected_sso)

    @cached_property
    def _selected_sso(self) -> tuple[aws_config.SsoSettings, ...]:
        # a dozen rules ask for this; with thousands of profiles it is worth computing once
        cfg = self.config
        return tuple(aws_config.resolve_sso(p, cfg.sso_sessions) for p in self.selected_profiles() if p.has_sso_keys)

    def show_path(self, path: object) -> str:
        """A path for a message, in the user's own form: ~/... (POSIX), %USERPROFILE%\\... (Windows)."""
        return self.os.show(path)

    def is_selected(self, profile_name: str) -> bool:
        return profile_name in self.selected_names

    # --- administrator triage (sso-doctor triage) ---------------------------------------------------

    @cached_property
    def triage(self) -> Any:
        """The facts of one `sso-doctor triage` walk (admin API calls); SkipRule in any other run."""
        request = self.settings.extra.get("triage")
        if request is None:
            raise SkipRule("only `sso-doctor triage` runs the administrator checks")
        from sso_doctor import admin

        # the secrets of this machine are registered first, so no error of the walk can echo them
        _ = (self.environment, self.config)
        return admin.triage(request, budget=max(0.1, self.settings.timeout), secrets=self.secrets)

    # --- SSO token cache (loaders/token_cache.py) -----------------------------------------------------

    @cached_property
    def token_cache(self) -> token_cache.TokenCache:
        """~/.aws/sso/cache and ~/.aws/cli/cache; every secret read is registered with ctx.secrets."""
        from sso_doctor.loaders import token_cache  # imported here so this block merges on its own

        return token_cache.load(self.home, self.secrets, self.os)

    @cached_property
    def token_assessment(self) -> tuple:
        """The selected SSO profiles grouped by token file, each with botocore's verdict at ctx.now
        (several SSO2xx rules share it)."""
        from sso_doctor.loaders import token_cache as tc

        cache = self.token_cache
        return tuple(
            (g, tc.assess(cache.file(g.key), legacy=g.legacy, now=self.now, directory=cache.directory))
            for g in tc.group_profiles(self.selected_sso(), self.config.sso_sessions)
        )

    # --- environment variables and CA bundle (loaders/environment.py, loaders/ca_bundle.py) -----------

    @cached_property
    def environment(self) -> environment.EnvironmentSnapshot:
        """AWS_*, CA and proxy variables; secrets registered with ctx.secrets, never kept printable."""
        from sso_doctor.loaders import environment

        return environment.load(self.env, self.secrets)

    @cached_property
    def ca_bundle(self) -> ca_bundle.CaBundleFacts:
        """The CA bundle botocore uses for each selected profile, and what is in it."""
        from sso_doctor.loaders import ca_bundle

        profiles = self.config.profiles
        return ca_bundle.load(self.env, [(n, profiles.get(n)) for n in self.selected_names], cwd=os.getcwd())

    @cached_property
    def headless_login(self) -> bool:
        """SSO406's conditions: the aws a shell runs is AWS CLI v2 2.22.0 or later (PKCE by default, and it
        knows --use-device-code) and no browser here can complete a PKCE login (SSH, a container, WSL
        without BROWSER, no display)."""
        from packaging.version import Version

        from sso_doctor.loaders.login_env import PKCE_SINCE_TEXT, browser_blocker

        exe = self.aws_cli.active
        if exe is None or exe.version is None or exe.version.major != 2 or exe.version < Version(PKCE_SINCE_TEXT):
            return False
        return browser_blocker(self.login_env) is not None

    def login_command(self, *, sso_session: str | None = None, profile: str | None = None) -> Command:
        """The one `aws sso login` every rule prints, so a report is one fix plan.

        Selector: `--sso-session S` when the login is for an sso-session (given, or the profile's own
        `sso_session` that exists), else `--profile P` (legacy profiles). `--use-device-code` whenever
        SSO406's conditions hold (`headless_login`), for every login in the run.
        """
        if sso_session is None and profile is not None:
            cfg = self.config
            p = cfg.profiles.get(profile)
            if p is not None and p.sso_session is not None and p.sso_session in cfg.sso_sessions:
                sso_session = p.sso_session
        args = ["aws", "sso", "login"]
        if self.headless_login:
            args.append("--use-device-code")
        args += ["--sso-session", sso_session] if sso_session is not None else ["--profile", profile or "default"]
        exe = self.aws_cli.active
        if exe is None or exe.version is None or exe.version.major != 2:
            # `aws sso login` exists only in AWS CLI v2: with no aws, or v1 first on PATH, it fails as printed
            return fixes.run(*args, safe=False, comment="once AWS CLI v2 is the aws on PATH (see SSO401/SSO402)")
        return fixes.run(*args)

    @cached_property
    def public_roots(self) -> str:
        """The file of public root CAs sso-doctor knows exists on this machine: certifi's bundle, the
        one botocore verifies with by default (SSO_DOCTOR_PUBLIC_CA_BUNDLE overrides it, as for the
        online probes). CA fixes build on it instead of guessing `python3 -m certifi` works."""
        from sso_doctor.loaders import ca_bundle

        return self.env.get("SSO_DOCTOR_PUBLIC_CA_BUNDLE") or ca_bundle.certifi_path()

    @cached_property
    def os_trust_store(self) -> os_trust.OsTrustStore:
        """The OS certificate store (Windows ROOT/CA, macOS System keychains), read on first use and
        time-boxed; tests only: `extra["os_trust_store"]` or SSO_DOCTOR_OS_TRUST_STORE name a PEM file."""
        from sso_doctor.loaders import os_trust

        return os_trust.load(self.os, injected=self.settings.extra.get("os_trust_store"))

    # --- AWS CLI on PATH and login environment (loaders/cli_version.py, loaders/login_env.py) ---------

    @cached_property
    def aws_cli(self) -> cli_version.AwsCli:
        """Every `aws` on PATH (ctx.env's PATH) and its version: read from its install layout where that
        is certain, else what `aws --version` said (run as subprocesses). Started early on a thread by
        `prefetch`, so a run that must execute `aws --version` overlaps it with the config load."""
        started = self.__dict__.pop("_aws_cli_thread", None)
        if started is not None:
            thread, box = started
            thread.join()
            if "error" in box:
                raise box["error"]
            return box["value"]
        return self._load_aws_cli()

    def _load_aws_cli(self) -> cli_version.AwsCli:
        from sso_doctor.loaders import cli_version

        # cmd.exe runs a program in the current directory before PATH; PowerShell and POSIX shells do
        # not. `shell` is the detected (or --shell) shell when the platform module provides one.
        search_cwd = None
        if (self.platform == "win32" and getattr(self, "shell", None) == "cmd"
                and not any(k.upper() == "NODEFAULTCURRENTDIRECTORYINEXEPATH" for k in self.env)):
            try:
                search_cwd = os.getcwd()
            except OSError:  # a working directory that was removed: nothing to search there
                search_cwd = None
        return cli_version.load(self.env, platform=self.platform, root=self.root, search_cwd=search_cwd)

    def prefetch(self, needs: frozenset[str] | set[str]) -> None:
        """Start the slow loaders the selected rules need, on threads, before the rules run.

        The `aws` discovery and the other consumers' version probes (SSO8xx): where a version cannot be
        read statically, `aws --version` (a Python-based CLI v1 takes ~0.4 s) or `terraform version` start
        processes that can run while this process reads the config. Loading twice is impossible: `aws_cli`
        joins its thread, `consumers` its probes'.
        """
        if "consumers" in needs:
            self.start_consumers()  # other tools' version probes (SSO8xx), on their own threads
        if "cli" not in needs or "aws_cli" in self.__dict__ or "_aws_cli_thread" in self.__dict__:
            return
        import threading

        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["value"] = self._load_aws_cli()
            except BaseException as e:  # noqa: BLE001 - handed to the rule that asks, like a sync load
                box["error"] = e

        thread = threading.Thread(target=work, name="sso-doctor-aws-cli", daemon=True)
        self.__dict__["_aws_cli_thread"] = (thread, box)
        thread.start()

    def join_prefetch(self) -> None:
        """Wait for what `prefetch` started, even when no rule asked for it: a hung `aws` is killed at its
        deadline by the loader, never left running after sso-doctor exits."""
        if "_consumer_probes" in self.__dict__:
            self._consumer_probes.finish()  # each probe's thread kills its tool at the deadline
        if "_aws_cli_thread" in self.__dict__:
            try:
                self.aws_cli  # noqa: B018 - joins the thread
            except Exception:  # noqa: BLE001 - the rules that asked have reported it already
                pass

    @cached_property
    def root(self) -> str:
        """The filesystem root where OS markers and installers' folders are looked for: "/"; tests only:
        `extra["root"]` or SSO_DOCTOR_ROOT point it at a fake root."""
        return str(self.settings.extra.get("root") or self.env.get("SSO_DOCTOR_ROOT") or "/")

    @cached_property
    def platform(self) -> str:
        """sys.platform; tests only: `extra["platform"]` or SSO_DOCTOR_PLATFORM pretend another one."""
        import sys

        return str(self.settings.extra.get("platform") or self.env.get("SSO_DOCTOR_PLATFORM") or sys.platform)

    @cached_property
    def login_env(self) -> login_env.LoginEnv:
        """SSH, display, container, WSL and BROWSER facts. The filesystem root is "/"; tests only:
        `extra["root"]` or SSO_DOCTOR_ROOT point it at a fake root (marker files such as /.dockerenv)."""
        from sso_doctor.loaders import login_env

        return login_env.load(self.env, root=self.root, platform=self.platform)

    # --- other consumers of ~/.aws: SDKs, tools, IDE toolkits (loaders/consumers.py) ------------------

    def start_consumers(self) -> None:
        """Launch the executed version probes now so they overlap the config load (the engine calls this)."""
        self._consumer_probes  # noqa: B018

    @cached_property
    def _consumer_probes(self) -> Any:
        from sso_doctor.loaders import consumers

        cwd = self.settings.extra.get("cwd") or self.env.get("SSO_DOCTOR_CWD")
        if not cwd:
            try:
                cwd = os.getcwd()
            except OSError:
                cwd = ""
        return consumers.start(self.env, home=self.home, cwd=str(cwd), platform=self.platform,
                               offline=self.settings.offline)

    @cached_property
    def consumers(self) -> Any:
        """Other consumers found here (Python envs, lock files, tools on PATH, IDE toolkits) and the
        credential_process helpers of the selected profiles. The project scan reads the working directory;
        tests only: `extra["cwd"]` or SSO_DOCTOR_CWD point it elsewhere."""
        helpers = []
        if self.config.config.state != "unparseable":
            for p in self.selected_profiles():
                v = p.values.get("credential_process")
                if v is not None and isinstance(v.value, str):
                    helpers.append((p.name, v.value, str(v.path), v.line, v.section))
        return self._consumer_probes.result(helpers)

    # --- online: probes and portal access (probes/) -----------------------------------------------------

    @cached_property
    def online_deadline(self) -> float:
        """time.monotonic() by which the whole online phase must be done (the --timeout budget).

        The engine reads it before it starts the online rules, so every probe and rule shares it.
        """
        import time

        return time.monotonic() + max(0.1, self.settings.timeout)

    @property
    def online(self) -> OnlineRun:  # noqa: F821 - imported lazily: the offline path never loads it
        """Probes and access checks of the selected SSO profiles, started on first use (online only)."""
        from sso_doctor.probes.run import online_run

        return online_run(self)
