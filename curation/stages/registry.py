"""The stage registry: stage modules register their class; recipes look types up here."""

from __future__ import annotations

import importlib
import pkgutil

from curation.stages.base import Stage

STAGES: dict[str, type[Stage]] = {}
# Packages whose modules are imported to find stages; adding a stage only adds a file.
STAGE_PACKAGES = ("curation.stages", "curation.filters")
_loaded = False


def register_stage(cls: type[Stage]) -> type[Stage]:
    """Class decorator: make ``cls.type`` usable in recipes."""
    existing = STAGES.get(cls.type)
    if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
        raise ValueError(f"stage type {cls.type!r} registered twice: {existing.__module__} and {cls.__module__}")
    STAGES[cls.type] = cls
    return cls


def load_stages() -> dict[str, type[Stage]]:
    """Import every module of the stage packages once, so their decorators run."""
    global _loaded
    if not _loaded:
        for package_name in STAGE_PACKAGES:
            package = importlib.import_module(package_name)
            for module in pkgutil.iter_modules(package.__path__):
                if not module.name.startswith("_"):
                    importlib.import_module(f"{package_name}.{module.name}")
        _loaded = True
    return STAGES


def get_stage(stage_type: str) -> type[Stage]:
    stages = load_stages()
    if stage_type not in stages:
        raise KeyError(stage_type)
    return stages[stage_type]
