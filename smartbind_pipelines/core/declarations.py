"""Declared sync processes: one declaration per Bind list -> Smartsheet sheet, no code.

A declaration names the Bind endpoint (and an optional OData ``$filter``), the key, each sheet column
with the Bind field it comes from and its kind, the cadence default and the sheet (name, and the
environment variable that supplies its id when ProcessConfig has none). ``defs/declared`` builds the
Dagster assets, checks, job and sensor from it; this module is the pure part: validation, turning Bind
rows into sheet records, the ProcessConfig row to seed, and the registry of every process's mapping.

Declarations come from two places: ``SHIPPED`` below (clients and products), and ``*.toml`` files in the
directory named by ``SMARTBIND_PROCESSES_DIR`` (read when the code location loads, so a new or changed
file applies on "Reload" in the UI, with no deploy). docs/declared-processes.md shows the format.

Bind's Clients and Products lists carry no modification date, so declared processes read the whole
list each time; the upsert engine then writes only what changed (a re-run sends no write at all).
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smartbind_pipelines.core.bind_values import bind_number, bind_text, shown
from smartbind_pipelines.core.cdmx import cdmx_day, parse_bind_datetime
from smartbind_pipelines.core.sheets import ColumnSpec, SheetMapping, comparable
from smartbind_pipelines.core.sheets.mapping import KINDS

log = logging.getLogger(__name__)

DECLARATIONS_DIR_ENV = "SMARTBIND_PROCESSES_DIR"
RESERVED_JOB_IDS = ("sync_invoices", "sync_inventory")  # built by their own modules
_JOB_ID = re.compile(r"^sync_[a-z][a-z0-9_]{0,60}$")
_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9]*(/[A-Za-z][A-Za-z0-9]*)*$")  # a path, never a query string
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,100}$")


class DeclarationError(ValueError):
    """A declaration that cannot be used; the message names the process (or file) and the field."""

    def __init__(self, where: str, field_name: str, message: str):
        self.where = where
        self.field = field_name
        super().__init__(f"process declaration {where}: {field_name}: {message}")


@dataclass(frozen=True)
class DeclaredColumn:
    """One sheet column: its Spanish title, the Bind field it is read from, and its kind."""

    title: str
    source: str
    kind: str = "text"  # "text" | "number" | "date" (a Bind datetime written as its Mexico City day)
    decimals: int = 2

    @property
    def spec(self) -> ColumnSpec:
        return ColumnSpec(self.title, self.kind, self.decimals)


@dataclass
class DeclaredBatch:
    """The sheet records read in one run, and the Bind rows that could not be written (with why)."""

    records: list[dict[str, Any]]
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {"key", "reason"}
    fetched: int = 0


@dataclass(frozen=True)
class ProcessDeclaration:
    job_id: str  # ProcessConfig job_id and Dagster job name: sync_<name>
    name: str  # display name (Spanish, as ProcessConfig shows it)
    endpoint: str  # Bind list endpoint under /api, e.g. "Clients"
    key: tuple[str, ...]  # sheet column title(s) identifying a row
    columns: tuple[DeclaredColumn, ...]  # columns[0] is the sheet's primary column (text)
    sheet_name: str
    sheet_id_env: str  # environment variable with the sheet id when ProcessConfig has none
    description: str = ""
    filter: str | None = None  # OData $filter sent verbatim (write it with care: it is not built from values)
    interval_minutes: int = 60

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", tuple(self.key))
        object.__setattr__(self, "columns", tuple(self.columns))
        where = self.job_id if isinstance(self.job_id, str) else repr(self.job_id)
        if not isinstance(self.job_id, str) or not _JOB_ID.match(self.job_id):
            raise DeclarationError(where, "job_id", "must look like sync_<name> (lower case, digits, _)")
        if self.job_id in RESERVED_JOB_IDS:
            raise DeclarationError(where, "job_id", "is built by its own module and cannot be declared")
        if not isinstance(self.endpoint, str) or not _ENDPOINT.match(self.endpoint):
            raise DeclarationError(where, "endpoint", f"{self.endpoint!r} is not a Bind list path like 'Clients'")
        if not isinstance(self.sheet_id_env, str) or not _ENV_NAME.match(self.sheet_id_env):
            raise DeclarationError(where, "sheet_id_env", f"{self.sheet_id_env!r} is not an environment variable name")
        for text_field in ("name", "sheet_name"):
            if not isinstance(getattr(self, text_field), str) or not getattr(self, text_field).strip():
                raise DeclarationError(where, text_field, "must not be empty")
        if isinstance(self.interval_minutes, bool) or not isinstance(self.interval_minutes, int) \
                or not 1 <= self.interval_minutes <= 1440:
            raise DeclarationError(where, "interval_minutes", f"must be 1..1440, not {self.interval_minutes!r}")
        if not self.columns:
            raise DeclarationError(where, "columns", "at least one column is needed")
        for column in self.columns:
            if column.kind not in KINDS:
                raise DeclarationError(where, "columns", f"{column.title!r}: kind must be one of {', '.join(KINDS)}")
            if not column.title.strip() or not column.source.strip():
                raise DeclarationError(where, "columns", "every column needs a title and a source field")
        if self.columns[0].kind != "text":
            raise DeclarationError(where, "columns", f"the first column {self.columns[0].title!r} is the sheet's "
                                                     "primary column and must be text")
        try:
            self.mapping  # noqa: B018 - validates titles and key
        except ValueError as exc:
            raise DeclarationError(where, "key", str(exc)) from None

    # -- names the Dagster layer uses --------------------------------------------------------------

    @property
    def slug(self) -> str:
        return self.job_id.removeprefix("sync_")

    @property
    def source_asset(self) -> str:
        return f"bind_{self.slug}"

    @property
    def sheet_asset(self) -> str:
        return f"smartsheet_{self.slug}"

    @property
    def mapping(self) -> SheetMapping:
        return SheetMapping(key=self.key, columns=tuple(column.spec for column in self.columns))

    def params(self) -> dict[str, str]:
        return {"$filter": self.filter} if self.filter else {}

    # -- Bind rows -> sheet records ----------------------------------------------------------------

    def records(self, rows: Iterable[Any]) -> DeclaredBatch:
        """Sheet records by column title; a row without a key or with a bad value is skipped, never fatal."""
        batch = DeclaredBatch(records=[])
        seen: set[tuple] = set()
        mapping = self.mapping
        for raw in rows:
            batch.fetched += 1
            if not isinstance(raw, dict):
                batch.skipped.append({"key": None, "reason": "not an object"})
                continue
            try:
                record = {column.title: _cell(raw.get(column.source), column) for column in self.columns}
            except ValueError as exc:
                batch.skipped.append({"key": _raw_key(raw, self), "reason": str(exc)})
                continue
            key = mapping.key_of(record)
            if key is None:
                sources = "/".join(c.source for c in self.columns if c.title in self.key)
                batch.skipped.append({"key": None, "reason": f"no {sources} in Bind"})
                continue
            if key in seen:
                batch.skipped.append({"key": " / ".join(map(str, key)), "reason": "listed twice: first row kept"})
                continue
            seen.add(key)
            batch.records.append(record)
        return batch

    # -- ProcessConfig -----------------------------------------------------------------------------

    def fallback_sheet_id(self, env: Mapping[str, str]) -> str:
        value = (env.get(self.sheet_id_env) or "").strip()
        if value and not (value.isascii() and value.isdigit()):
            log.warning("ignoring %s=%r: a Smartsheet sheet id has digits only", self.sheet_id_env, value)
            return ""
        return value

    def process_defaults(self, env: Mapping[str, str]) -> dict[str, Any]:
        """The ProcessConfig row to seed: inactive until a sheet is set (here: by its environment variable)."""
        sheet_id = self.fallback_sheet_id(env)
        return {
            "job_id": self.job_id,
            "name": self.name,
            "description": self.description,
            "smartsheet_sheet_id": sheet_id,
            "smartsheet_sheet_name": self.sheet_name,
            "interval_minutes": self.interval_minutes,
            "is_active": bool(sheet_id),
            "source_system": "bind",
            "target_system": "smartsheet",
            "sync_direction": "pull",
            "fields_mapping": {
                "bind_endpoint": self.endpoint,
                "bind_fields": [column.source for column in self.columns],
                "smartsheet_columns": [column.title for column in self.columns],
                "key_columns": list(self.key),
                "declared": True,
            },
        }

    def effective_config(self, store, env: Mapping[str, str]):
        """The process's ProcessConfig, seeded from this declaration the first time (an existing row is never
        changed), with the sheet id from ``sheet_id_env`` when the row has none."""
        config = store.get(self.job_id)
        if config is None:
            config = store.ensure_process(self.process_defaults(env))
        if config is None:  # an operator deleted the row: it stays deleted (the sensor says so)
            return None
        if not config.smartsheet_sheet_id:
            fallback = self.fallback_sheet_id(env)
            if fallback:
                config = replace(config, smartsheet_sheet_id=fallback)
        return config


def _cell(value: Any, column: DeclaredColumn) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""  # an empty cell; the SDK is sent "" (it drops None)
    if column.kind == "number":  # any JSON value has a rule: core/bind_values.py (issue 14)
        amount = bind_number(value.replace(",", "") if isinstance(value, str) else value, column.source)
        return comparable(float(amount), column.spec)  # rounded to the column's decimals, as the sheet stores it
    if column.kind == "date":
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return cdmx_day(parse_bind_datetime(value.strip())).isoformat()
        except (ValueError, OverflowError):
            raise ValueError(f"{column.source} {shown(value)} is not a date") from None
    text, _ = bind_text(value)  # an object, an array, a boolean or NaN: an empty cell
    return text


def _raw_key(raw: dict, declaration: ProcessDeclaration) -> str:
    sources = [c.source for c in declaration.columns if c.title in declaration.key]
    return " / ".join(str(raw.get(source)) for source in sources)


# -- reading declarations from TOML files --------------------------------------------------------


def declaration_from_dict(data: Mapping[str, Any], where: str = "?") -> ProcessDeclaration:
    """A declaration from plain data (a parsed TOML file); raises DeclarationError naming the field."""
    if not isinstance(data, Mapping):
        raise DeclarationError(where, "(file)", "must be a table of settings")
    known = {"job_id", "name", "endpoint", "key", "columns", "sheet_name", "sheet_id_env", "description",
             "filter", "interval_minutes"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise DeclarationError(where, unknown[0], f"unknown setting (known: {', '.join(sorted(known))})")
    missing = [name for name in ("job_id", "name", "endpoint", "key", "columns", "sheet_name", "sheet_id_env")
               if name not in data]
    if missing:
        raise DeclarationError(where, missing[0], "is required")
    key = data["key"]
    key = (key,) if isinstance(key, str) else key
    if not isinstance(key, (list, tuple)) or not all(isinstance(part, str) for part in key):
        raise DeclarationError(where, "key", "must be a column title or a list of them")
    columns = []
    for index, column in enumerate(data["columns"] if isinstance(data["columns"], list) else [None]):
        if not isinstance(column, Mapping) or not {"title", "source"} <= set(column) \
                or set(column) - {"title", "source", "kind", "decimals"}:
            raise DeclarationError(where, f"columns[{index}]", "needs title and source (kind, decimals optional)")
        columns.append(DeclaredColumn(str(column["title"]), str(column["source"]), str(column.get("kind", "text")),
                                      int(column.get("decimals", 2))))
    return ProcessDeclaration(
        job_id=data["job_id"], name=data["name"], endpoint=data["endpoint"], key=tuple(key), columns=tuple(columns),
        sheet_name=data["sheet_name"], sheet_id_env=data["sheet_id_env"], description=data.get("description", ""),
        filter=data.get("filter") or None, interval_minutes=data.get("interval_minutes", 60),
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


# -- the shipped declarations and the registry ---------------------------------------------------

CLIENTS = ProcessDeclaration(
    job_id="sync_clients",
    name="Sincronización de Clientes",
    description="Copia el catálogo de clientes de Bind ERP a la hoja Clientes, por ID.",
    endpoint="Clients",
    key=("ID",),
    columns=(
        DeclaredColumn("ID", "ID"),
        DeclaredColumn("Número", "Number"),
        DeclaredColumn("Nombre", "ClientName"),
        DeclaredColumn("Razón Social", "LegalName"),
        DeclaredColumn("RFC", "RFC"),
        DeclaredColumn("Correo", "Email"),
        DeclaredColumn("Teléfono", "Phone"),
    ),
    sheet_name="Clientes",
    sheet_id_env="SMARTSHEET_CLIENTS_SHEET_ID",
    interval_minutes=60,
)

PRODUCTS = ProcessDeclaration(
    job_id="sync_products",
    name="Sincronización de Productos",
    description="Copia el catálogo de productos de Bind ERP a la hoja Productos, por ID.",
    endpoint="Products",
    key=("ID",),
    columns=(
        DeclaredColumn("ID", "ID"),
        DeclaredColumn("Código", "Code"),
        DeclaredColumn("Nombre", "Title"),
        DeclaredColumn("SKU", "SKU"),
        DeclaredColumn("Costo", "Cost", "number"),
        DeclaredColumn("Existencias", "CurrentInventory", "number"),
    ),
    sheet_name="Productos",
    sheet_id_env="SMARTSHEET_PRODUCTS_SHEET_ID",
    interval_minutes=60,
)

SHIPPED: tuple[ProcessDeclaration, ...] = (CLIENTS, PRODUCTS)


def declared_processes(env: Mapping[str, str] | None = None) -> tuple[list[ProcessDeclaration], list[str]]:
    """The shipped declarations plus those in ``SMARTBIND_PROCESSES_DIR``, and the problems of any left out
    (a file repeating a job_id, or one that does not validate). ``env`` defaults to the process environment."""
    env = os.environ if env is None else env
    declarations = list(SHIPPED)
    problems: list[str] = []
    directory = (env.get(DECLARATIONS_DIR_ENV) or "").strip()
    if directory:
        extra, problems = load_declarations(directory)
        for declaration in extra:
            if any(existing.job_id == declaration.job_id for existing in declarations):
                problems.append(f"process declaration {declaration.job_id}: job_id already declared; file ignored")
                continue
            declarations.append(declaration)
    for problem in problems:
        log.error("%s", problem)
    return declarations, problems


def process_mappings(env: Mapping[str, str] | None = None) -> dict[str, SheetMapping]:
    """job_id -> SheetMapping for every process smartbind runs: invoices, inventory and the declared ones."""
    from smartbind_pipelines.core.inventory import INVENTORY_MAPPING
    from smartbind_pipelines.core.invoices import INVOICE_MAPPING

    mappings = {"sync_invoices": INVOICE_MAPPING, "sync_inventory": INVENTORY_MAPPING}
    declarations, _ = declared_processes(env)
    mappings.update({declaration.job_id: declaration.mapping for declaration in declarations})
    return mappings
