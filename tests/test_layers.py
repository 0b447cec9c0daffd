"""The layer rule of docs/architecture.md, checked on the source: every import of ``curation/`` and
``training/`` (read with ``ast``, nothing is imported) points to the same or a lower layer, no
module-level import cycle exists, parsing a recipe loads no CLI library, and no module finds its
package data through ``__file__``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("curation", "training")

# (layer, module prefixes), lowest first; a module takes the layer of its longest matching prefix. The bare
# "curation" matches only its __init__, so a new module directly in curation/ must be given a layer here.
# Keep in step with the table in docs/architecture.md.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("contract", ("curation", "curation.rows", "curation.schema", "curation.progress", "curation.params_help",
                  "curation.templates", "curation.faults", "curation.safe_paths", "curation.redact")),
    ("store", ("curation.store", "curation.queued_writes")),
    ("verify", ("curation.verify",)),
    ("stages", ("curation.stages", "curation.filters", "curation.generate", "curation.sources", "curation.checks")),
    ("pipeline", ("curation.recipe", "curation.packaged_recipes", "curation.pipeline", "curation.executors",
                  "curation.sources.pool")),
    ("features", ("curation.review", "curation.publish", "training")),
    ("cli", ("curation.cli", "curation.commands")),
)
RANK = {name: rank for rank, (name, _) in enumerate(LAYERS)}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (the longest existing module name)
    line: int
    module_level: bool  # runs on import (not inside a function, not under TYPE_CHECKING)


def module_files() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def layer_of(module: str) -> str:
    """The layer of ``module``: "cli" for any ``*.cli`` module, else its longest listed prefix."""
    if module.endswith(".cli"):
        return "cli"
    best, best_length = None, -1
    for name, prefixes in LAYERS:
        for prefix in prefixes:
            covers = module == prefix or (module.startswith(prefix + ".") and prefix != "curation")
            if covers and len(prefix) > best_length:
                best, best_length = name, len(prefix)
    if best is None:
        raise AssertionError(f"module {module} has no layer: add it to LAYERS here and to docs/architecture.md")
    return best


def _existing(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    found: list[Import] = []

    def add(name: str, node: ast.stmt, module_level: bool) -> None:
        target = _existing(name)
        if target and target != module:
            found.append(Import(module, target, node.lineno, module_level))

    def visit(body: list[ast.stmt], module_level: bool) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name, node, module_level)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}" if base else package
                for alias in node.names:  # `from pkg import submodule` imports the submodule
                    add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node, module_level)
            elif isinstance(node, ast.If):
                visit(node.body, module_level and not _is_type_checking(node))
                visit(node.orelse, module_level)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body, False)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, module_level)
            elif isinstance(node, (ast.Try, ast.With, ast.For, ast.While)):
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, module_level)
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []), module_level)

    visit(ast.parse(path.read_text(), str(path)).body, True)
    return found


ALL_IMPORTS = [edge for module in MODULES for edge in imports_of(module)]


def _where(edge: Import) -> str:
    return f"{MODULES[edge.source].relative_to(ROOT)}:{edge.line}: {edge.source} imports {edge.target}"


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_imports_point_down_or_sideways():
    upward = [f"{_where(e)} ({layer_of(e.source)} -> {layer_of(e.target)})" for e in ALL_IMPORTS
              if RANK[layer_of(e.target)] > RANK[layer_of(e.source)]]
    assert not upward, "imports into a higher layer (see docs/architecture.md):\n" + "\n".join(upward)


def test_curation_never_imports_training_below_the_cli():
    wrong = [_where(e) for e in ALL_IMPORTS if e.source.startswith("curation") and e.target.startswith("training")
             and layer_of(e.source) != "cli"]
    assert not wrong, "curation depends on training:\n" + "\n".join(wrong)


def test_the_shared_cli_module_imports_no_feature():
    wrong = [_where(e) for e in ALL_IMPORTS if e.source == "curation.commands.common"
             and RANK[layer_of(e.target)] > RANK["store"]]
    assert not wrong and not [_where(e) for e in ALL_IMPORTS if e.target == "curation.cli"], \
        "curation.commands.common may use only the contract and the store; nothing imports curation.cli"


def _module_graph() -> dict[str, set[str]]:
    """Module-level imports, plus the packages whose __init__ an import runs on the way."""
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in ALL_IMPORTS:
        if not edge.module_level:
            continue
        graph[edge.source].add(edge.target)
        package = edge.target.rpartition(".")[0]
        while package and not (edge.source == package or edge.source.startswith(package + ".")):
            if package in MODULES:
                graph[edge.source].add(package)
            package = package.rpartition(".")[0]
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph[node]):
            if child not in index:
                connect(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_no_module_level_import_cycle():
    cycles = find_cycles(_module_graph())
    assert not cycles, "module-level import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]] and find_cycles({"a": {"b"}, "b": set()}) == []


def test_parsing_a_recipe_loads_no_cli_library_and_no_training():
    # loop recipes (`thinkset iterate`) name pipeline recipes' parts but are not one themselves
    recipes = sorted(p for p in (ROOT / "recipes").glob("*.yaml") if "\niterations:" not in p.read_text())
    assert recipes
    code = ("import sys\nfrom curation.recipe import load_recipe\n"
            f"for path in {[str(p) for p in recipes]!r}:\n    load_recipe(path)\n"
            "print(sorted(m for m in ('typer', 'rich', 'training', 'torch', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_package_files_are_read_with_importlib_resources_not_next_to_the_source():
    """docs/architecture.md: package data (sql/, data_cards/, recipes/, prompt templates) is read with
    importlib.resources; a path built from ``__file__`` assumes a source tree a wheel may not have."""
    uses = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in MODULES.values()
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path)))
            if isinstance(node, ast.Name) and node.id == "__file__"]
    assert not uses, f"__file__ in {', '.join(uses)}: read the files with importlib.resources instead"


def documented_layers() -> dict[str, set[str]]:
    """The modules of each layer as the table of docs/architecture.md names them (``x.*`` = package x)."""
    layers = {}
    for line in (ROOT / "docs" / "architecture.md").read_text().splitlines():
        row = re.match(r"\| \d+ (\w+) \| (.*?) \|", line)
        if row:
            names = re.findall(r"`([^`]+)`", row.group(2))
            layers[row.group(1).lower()] = {n.removesuffix(".*").replace("/__init__", "") for n in names
                                            if not n.startswith("*")}
    return layers


def test_the_documented_table_names_the_layers_this_test_enforces():
    assert documented_layers() == {name: set(prefixes) for name, prefixes in LAYERS}
