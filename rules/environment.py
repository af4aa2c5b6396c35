"""SSO3xx: environment variables, CA bundles and proxies (offline)."""

from sso_doctor.model import Rule

RULES: tuple[Rule, ...] = ()
