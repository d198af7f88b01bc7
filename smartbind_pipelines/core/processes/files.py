"""Declarations read from TOML files: the shipped ones (``shipped/*.toml`` in this package: clients and
products) and an operator's, in the directory named by ``SMARTBIND_PROCESSES_DIR``, with the same loader.

docs/declared-processes.md shows the format.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from smartbind_pipelines.core.processes.declared import DeclarationError, DeclaredColumn, ProcessDeclaration

DECLARATIONS_DIR_ENV = "SMARTBIND_PROCESSES_DIR"
SHIPPED_DIR = Path(__file__).parent / "shipped"


def declaration_from_dict(data: Mapping[str, Any], where: str = "?") -> ProcessDeclaration:
    """A declaration from plain data (a parsed TOML file); raises DeclarationError naming the field."""
    if not isinstance(data, Mapping):
        raise DeclarationError(where, "(file)", "must be a table of settings")
    known = {
        "job_id",
        "name",
        "endpoint",
        "key",
        "columns",
        "sheet_name",
        "sheet_id_env",
        "description",
        "filter",
        "interval_minutes",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise DeclarationError(where, unknown[0], f"unknown setting (known: {', '.join(sorted(known))})")
    missing = [
        name
        for name in ("job_id", "name", "endpoint", "key", "columns", "sheet_name", "sheet_id_env")
        if name not in data
    ]
    if missing:
        raise DeclarationError(where, missing[0], "is required")
    key = data["key"]
    key = (key,) if isinstance(key, str) else key
    if not isinstance(key, (list, tuple)) or not all(isinstance(part, str) for part in key):
        raise DeclarationError(where, "key", "must be a column title or a list of them")
    columns = []
    for index, column in enumerate(data["columns"] if isinstance(data["columns"], list) else [None]):
        if (
            not isinstance(column, Mapping)
            or not {"title", "source"} <= set(column)
            or set(column) - {"title", "source", "kind", "decimals"}
        ):
            raise DeclarationError(where, f"columns[{index}]", "needs title and source (kind, decimals optional)")
        columns.append(
            DeclaredColumn(
                str(column["title"]),
                str(column["source"]),
                str(column.get("kind", "text")),
                int(column.get("decimals", 2)),
            )
        )
    return ProcessDeclaration(
        job_id=data["job_id"],
        name=data["name"],
        endpoint=data["endpoint"],
        key=tuple(key),
        columns=tuple(columns),
        sheet_name=data["sheet_name"],
        sheet_id_env=data["sheet_id_env"],
        description=data.get("description", ""),
        filter=data.get("filter") or None,
        interval_minutes=data.get("interval_minutes", 60),
    )


def load_declarations(directory: str | Path) -> tuple[list[ProcessDeclaration], list[str]]:
    """Every ``*.toml`` declaration in ``directory`` (name order), and the problems of files left out."""
    found, problems = [], []
    path = Path(directory)
    if not path.is_dir():
        return [], [f"{DECLARATIONS_DIR_ENV}={directory}: not a directory"]
    for file in sorted(path.glob("*.toml")):
        try:
            with file.open("rb") as handle:
                found.append(declaration_from_dict(tomllib.load(handle), where=file.name))
        except (tomllib.TOMLDecodeError, OSError) as exc:
            problems.append(f"process declaration {file.name}: not readable TOML: {exc}")
        except (DeclarationError, ValueError, TypeError) as exc:
            message = str(exc)
            problems.append(message if file.name in message else f"{file.name}: {message}")
    return found, problems
