"""SSO4xx: the AWS CLI on PATH and the login environment (offline)."""

from sso_doctor.model import Rule

RULES: tuple[Rule, ...] = ()
