"""One module per source system: extract one window into raw parts, and parse landed parts back into records."""

from __future__ import annotations

from importlib import import_module

from huitong.sources.base import Source

SOURCE_MODULES = {"hotel": "huitong.sources.hotel", "reference": "huitong.sources.reference"}


def get_source(name: str) -> Source:
    try:
        module = import_module(SOURCE_MODULES[name])
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(sorted(SOURCE_MODULES))}") from None
    return module.SOURCE
