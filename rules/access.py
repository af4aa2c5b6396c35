"""SSO6xx: access checks with the cached token (online)."""

from sso_doctor.model import Rule

RULES: tuple[Rule, ...] = ()
