"""One module per source system: extract one window into raw parts, and parse landed parts back into records.

By convention ``huitong.sources.<source>`` defines either ``SOURCE`` (one entity) or ``SOURCES`` (a dict of
entity -> source, for systems such as the rental database with several tables). A source is named ``<source>``
or ``<source>.<entity>`` on the command line and in batch ids.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from huitong.sources.base import Source

_NOT_SOURCES = {"base"}


class UnknownSourceError(KeyError):
    """A source or entity name the package does not provide; the message lists the ones it does."""

    def __str__(self) -> str:  # KeyError's own quotes the message
        return str(self.args[0])


def known_sources() -> list[str]:
    """Every ``source.entity`` the package provides."""
    names = []
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_SOURCES or info.name.startswith("_"):
            continue
        module = import_module(f"{__name__}.{info.name}")
        if hasattr(module, "SOURCES"):
            names.extend(f"{info.name}.{entity}" for entity in module.SOURCES)
        elif hasattr(module, "SOURCE"):
            names.append(f"{info.name}.{module.SOURCE.entity}")
    return sorted(names)


def get_source(name: str, entity: str | None = None) -> Source:
    """``get_source('hotel')``, ``get_source('rental.contracts')`` or ``get_source('rental', 'contracts')``."""
    if entity is None and "." in name:
        name, entity = name.split(".", 1)
    if name in _NOT_SOURCES or not name.isidentifier():
        raise UnknownSourceError(f"unknown source {name!r}; known: {', '.join(known_sources())}")
    try:
        module = import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise UnknownSourceError(f"unknown source {name!r}; known: {', '.join(known_sources())}") from None
    if hasattr(module, "SOURCES"):
        if entity is None:
            raise UnknownSourceError(
                f"source {name!r} has several entities; name one: {', '.join(module.SOURCES)}"
            )
        try:
            return module.SOURCES[entity]
        except KeyError:
            raise UnknownSourceError(
                f"source {name!r} has no entity {entity!r}; it has {', '.join(module.SOURCES)}"
            ) from None
    if entity not in (None, module.SOURCE.entity):
        raise UnknownSourceError(f"source {name!r} has no entity {entity!r}; it has {module.SOURCE.entity}")
    return module.SOURCE
