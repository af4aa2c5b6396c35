"""Every sso-doctor rule, in report order. This tuple is the one registry: no discovery, no side effects."""

from sso_doctor.model import Rule
from sso_doctor.rules import (
    access,
    config,
    config_values,
    consumers,
    engine,
    environment,
    network,
    tokens,
    tooling,
    triage,
)

# Report order is id order, whichever module a rule lives in.
ALL_RULES: tuple[Rule, ...] = tuple(sorted((
    *engine.RULES,
    *config.RULES,
    *config_values.RULES,
    *tokens.RULES,
    *environment.RULES,
    *tooling.RULES,
    *network.RULES,
    *access.RULES,
    *triage.RULES,
    *consumers.RULES,
), key=lambda r: r.id))


def by_id() -> dict[str, Rule]:
    return {r.id: r for r in ALL_RULES}


def find(id_or_slug: str) -> Rule | None:
    key = id_or_slug.strip()
    for r in ALL_RULES:
        if r.id.upper() == key.upper() or r.slug == key.lower():
            return r
    return None
