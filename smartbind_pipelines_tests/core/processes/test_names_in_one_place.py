"""A process's names are written once, in its registry definition (core/processes): production code takes
them from there (``INVOICES.job_id``, ``.sensor_name``, ``.source_asset``...) instead of repeating a string.

Docstrings and comments may name a process to explain it; a string the code uses (a link, a message, a
description shown in the UI) may not. Each exception below says why the literal stays."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from smartbind_pipelines.core.processes import all_processes

PACKAGE = Path(__file__).resolve().parents[3] / "smartbind_pipelines"
DEFINITIONS = {PACKAGE / "core" / "processes" / f"{name}.py" for name in ("invoices", "inventory", "invoicing")}
# (module, name) -> why the literal stays.
EXCEPTIONS = {
    (
        "core/inventory/mapping.py",
        "sync_inventory",
    ): "core/processes/inventory.py imports this module: importing the registry here would be a cycle",
    ("defs/process_config.py", "sync_invoices"): "help text listing examples of job ids",
    ("defs/process_config.py", "sync_inventory"): "help text listing examples of job ids",
    ("defs/process_config.py", "sync_clients"): "help text listing examples of job ids",
    ("defs/process_config.py", "sync_products"): "help text listing examples of job ids",
}


def registry_names() -> set[str]:
    names = set()
    for process in all_processes({}):
        names |= {
            process.job_id,
            process.sensor_name,
            process.source_asset,
            process.sheet_asset,
            process.bind_asset,
            process.write_step,
            process.reconcile_job,
        }
    return names - {""}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (a module's, a class's or a function's)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def repeated_literals() -> list[tuple[str, int, str]]:
    """(module, line, name) for every string the code uses that contains a registry name."""
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, registry_names()), key=len, reverse=True)) + r")\b")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in DEFINITIONS:
            continue
        tree = ast.parse(path.read_text(), str(path))
        docstrings = _docstrings(tree)
        module = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                for match in pattern.finditer(node.value):
                    if (module, match.group(1)) not in EXCEPTIONS:
                        found.append((module, node.lineno, match.group(1)))
    return found


def test_production_code_takes_process_names_from_the_registry():
    assert repeated_literals() == []


def test_the_scan_sees_a_repeated_literal(tmp_path):
    """The scan itself: a string naming a process is found, the same name in a docstring is not."""
    source = '"""sync_invoices in a docstring."""\nLINK = "/jobs/sync_invoices"\n'
    tree = ast.parse(source)
    strings = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in _docstrings(tree)
    ]
    assert [node.value for node in strings] == ["/jobs/sync_invoices"]
    assert "sync_invoices" in registry_names() and "smartsheet_invoices" in registry_names()
