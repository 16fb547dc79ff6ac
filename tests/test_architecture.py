"""The house rules of the code, checked on its imports: they run one way, never in a circle, never privately.

- Top level: ``app`` wires; ``callbacks`` → ``dashboard`` → ``layers`` → ``geo``, never upward.
- Inside ``dashboard``, subpackages have ranks (:data:`DASHBOARD_RANKS`); a module imports only lower
  ranks or its own subpackage.
- Callback modules do not import each other; nothing but ``geo/build`` itself imports the offline builder.
- No module imports another module's private (``_name``) names.
- Every package is named in the README's Architecture section.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("callbacks", "dashboard", "layers", "geo")
#: Top-level order: a package may import those after it, never those before it.
TOP_ORDER = {"app": 0, "callbacks": 1, "dashboard": 2, "layers": 3, "geo": 4}
#: dashboard/ subpackages (and top modules): a module imports only lower ranks, or its own subpackage.
DASHBOARD_RANKS = {"config": 0, "errors": 0, "view": 1, "ui": 2, "exports": 2, "ingest": 2, "auth": 2, "services": 3, "http": 4,
                   "tools": 5}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(*folders: str) -> list[Path]:
    files = [ROOT / "app.py"] if "app" in folders else []
    for folder in folders:
        if folder != "app":
            files += sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)
    return files


MODULES = {module_name(p): p for p in source_files("app", *PACKAGES)}


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every absolute import of the project's own modules."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            submodules = [f"{node.module}.{n}" for n in names if f"{node.module}.{n}" in MODULES]
            out += [(m, [], node.lineno) for m in submodules]
            out.append((node.module, [n for n in names if f"{node.module}.{n}" not in MODULES], node.lineno))
    return [(m, names, line) for m, names, line in out if m.split(".")[0] in TOP_ORDER]


GRAPH = {name: {m for m, _, _ in imports(path)} for name, path in MODULES.items()}


def dashboard_rank(module: str) -> tuple[str, int] | None:
    parts = module.split(".")
    if parts[0] != "dashboard" or len(parts) < 2:
        return None
    return parts[1], DASHBOARD_RANKS[parts[1]]


def test_every_dashboard_subpackage_has_a_rank():
    found = {p.name if p.is_dir() else p.stem for p in (ROOT / "dashboard").iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.stem != "__init__")}
    assert found == set(DASHBOARD_RANKS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module):
    own_top = module.split(".")[0]
    own_dashboard = dashboard_rank(module)
    wrong = []
    for target, _, line in imports(MODULES[module]):
        top = target.split(".")[0]
        if TOP_ORDER[top] < TOP_ORDER[own_top]:
            wrong.append(f"line {line}: {target} is above {own_top}")
        if own_top == "callbacks" and top == "callbacks":
            wrong.append(f"line {line}: callbacks modules do not import each other ({target})")
        if target.startswith("geo.build") and not module.startswith("geo.build"):
            wrong.append(f"line {line}: the offline builder {target} is not for the app")
        theirs = dashboard_rank(target)
        if own_dashboard and theirs and theirs[0] != own_dashboard[0] and theirs[1] >= own_dashboard[1]:
            wrong.append(f"line {line}: dashboard.{own_dashboard[0]} (rank {own_dashboard[1]}) imports "
                         f"{target} (rank {theirs[1]})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt not in MODULES:
                continue
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("path", source_files("app", *PACKAGES, "tests"), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_names_cross_modules(path):
    """``from m import _x`` and ``m._x`` on an imported project module: private names stay home."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = {}
    wrong = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in TOP_ORDER:
            wrong += [f"line {node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
            aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names
                            if f"{node.module}.{a.name}" in MODULES})
        elif isinstance(node, ast.Import):
            aliases.update({(a.asname or a.name).split(".")[0]: a.name for a in node.names if a.name in MODULES})
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            wrong.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not wrong, "\n".join(wrong)


def test_the_readme_names_every_package():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    architecture = re.search(r"^## Architecture\n(.*?)^## ", text, re.S | re.M).group(1)
    packages = sorted(str(p.parent.relative_to(ROOT)) + "/" for p in ROOT.glob("*/**/__init__.py")
                      if p.parent.relative_to(ROOT).parts[0] in PACKAGES)
    missing = [p for p in packages if f"`{p}`" not in architecture]
    assert not missing, f"README's Architecture section does not say what lives in: {missing}"


@pytest.mark.parametrize("path", sorted((ROOT / "tests" / "benchmarks").glob("bench_*.py")), ids=lambda p: p.stem)
def test_benchmark_scripts_still_import(path):
    """They are run by hand, so nothing else would notice that a refactoring broke one."""
    importlib.import_module(f"tests.benchmarks.{path.stem}")


def test_now_is_read_in_one_place():
    """Every "now" comes from geo/clock.py, so a view, a deadline check and a poll agree on what it means."""
    pattern = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today)\(")
    found = [f"{p.relative_to(ROOT)}:{i}" for p in source_files("app", *PACKAGES) if p != ROOT / "geo" / "clock.py"
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not found, found
