"""SSO5xx: network probes (online)."""

from sso_doctor.model import Rule

RULES: tuple[Rule, ...] = ()
