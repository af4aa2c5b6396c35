"""SSO2xx: the SSO token cache and session state (offline)."""

from sso_doctor.model import Rule

RULES: tuple[Rule, ...] = ()
