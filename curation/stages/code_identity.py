"""The code identity of a stage: a hash of the source code that decides its rows, part of a snapshot's id.

The rule (stable, and the same on every machine for the same files):

1. Start from the module that defines the stage class.
2. Read its imports with ``ast`` (at module level and inside functions, absolute and relative) and follow,
   transitively, every imported module that lives in a row-logic package: ``curation.verify``,
   ``curation.filters``, ``curation.sources``, ``curation.generate``, ``curation.stages`` (a package's
   ``__init__`` counts when it is imported).
3. Leave out the framework every stage shares (``curation.stages.base``, ``curation.stages.registry``,
   ``curation.stages.code_identity``) and everything outside those packages: the row contract, the store,
   the CLI, and third-party libraries (pin those in your environment; a stage that depends on a library's
   behaviour can add its version by overriding ``Stage.code_identity``).
4. The identity is the sha256 of the sorted (module name, sha256 of its source bytes) pairs.

So editing a filter, or a grader in ``curation.verify`` that a filter imports, makes the next run of a recipe
write a new version, while a change to the CLI or the store does not. Prompt templates and sampling
parameters are part of the stage's config already; generation caches are keyed by the request only, so a
code change re-runs the stages without re-generating anything the cache holds.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

ROW_LOGIC_PACKAGES = ("curation.verify", "curation.filters", "curation.sources", "curation.generate",
                      "curation.stages")
FRAMEWORK_MODULES = frozenset({"curation.stages.base", "curation.stages.registry", "curation.stages.code_identity"})


def code_identity(stage_class: type) -> str:
    """The identity of ``stage_class``'s code under the rule above (24 hex chars)."""
    digest = hashlib.sha256()
    for name, source_digest in code_modules(stage_class).items():
        digest.update(f"{name}\x1f{source_digest}\x1e".encode())
    return digest.hexdigest()[:24]


def code_modules(stage_class: type) -> dict[str, str]:
    """The modules whose source makes up ``stage_class``'s identity, each with the sha256 of its source."""
    start = stage_class.__module__
    found: dict[str, str] = {}
    pending = [start]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        source = _source_file(name)
        if source is None:  # no source file (built-in, frozen): identified by its name only
            found[name] = ""
            continue
        found[name], imports = _read(str(source), *_stat(source))
        pending.extend(m for m in imports if _in_row_logic(m) and m not in found)
    return dict(sorted(found.items()))


def _in_row_logic(name: str) -> bool:
    return name not in FRAMEWORK_MODULES and any(name == p or name.startswith(p + ".") for p in ROW_LOGIC_PACKAGES)


def _source_file(name: str) -> Path | None:
    module = sys.modules.get(name)
    spec = getattr(module, "__spec__", None) if module is not None else None
    if spec is None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
    origin = getattr(spec, "origin", None)
    return Path(origin) if origin and origin.endswith(".py") and Path(origin).is_file() else None


def _stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=1024)
def _read(path: str, mtime_ns: int, size: int) -> tuple[str, tuple[str, ...]]:
    """sha256 of a module's source and the modules it imports (cached until the file changes)."""
    data = Path(path).read_bytes()
    package = _package_of(path)
    imports: set[str] = set()
    for node in ast.walk(ast.parse(data, filename=path)):
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, package)
            if base:
                imports.add(base)
                # `from curation.verify import grade` imports the submodule curation.verify.grade
                imports.update(f"{base}.{alias.name}" for alias in node.names
                               if _in_row_logic(f"{base}.{alias.name}") and _source_file(f"{base}.{alias.name}"))
    return hashlib.sha256(data).hexdigest(), tuple(sorted(imports))


def _package_of(path: str) -> str:
    """The dotted package of a source file inside the curation tree ('' elsewhere: relative imports unresolved)."""
    parts = Path(path).with_suffix("").parts
    if "curation" not in parts:
        return ""
    dotted = parts[len(parts) - 1 - parts[::-1].index("curation"):]
    return ".".join(dotted[:-1])  # a module's package; for an __init__, the package itself


def _resolve(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    if not package:
        return ""
    base = package.split(".")[: len(package.split(".")) - (level - 1)]
    return ".".join([*base, module] if module else base)
