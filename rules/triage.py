"""SSO7xx: administrator triage (sso-doctor triage)."""

from sso_doctor.model import Rule

RULES: tuple[Rule, ...] = ()
