"""Turn a Report into text. Each format is a function (report, options) -> str, listed in FORMATS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sso_doctor.model import Report


@dataclass(frozen=True)
class RenderOptions:
    verbose: bool = False
    quiet: bool = False
    color: bool = False
    home: str | None = None
    cwd: str | None = None


Renderer = Callable[[Report, RenderOptions], str]


def _formats() -> dict[str, Renderer]:
    from sso_doctor.reporters import json_report, markdown, text

    return {"text": text.render, "json": json_report.render, "markdown": markdown.render}


def get(name: str) -> Renderer:
    return _formats()[name]


def names() -> list[str]:
    return list(_formats())
