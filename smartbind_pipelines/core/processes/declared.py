"""Declared pull processes: one declaration per Bind list -> Smartsheet sheet, no code.

A declaration names the Bind endpoint (and an optional OData ``$filter``), the key, each sheet column
with the Bind field it comes from and its kind, the cadence default and the sheet (name, and the
environment variable that supplies its id when ProcessConfig has none). This module holds the model and
its validation, and turns Bind rows into the batch every pull process hands on (core/batch.py
``SourceBatch``); ``files.py`` reads declarations from TOML files,
``registry.py`` gathers them with the built-in processes, and ``defs/declared`` builds the Dagster assets,
checks, job and sensor.

Bind's Clients and Products lists carry no modification date, so declared processes read the whole
list each time; the upsert engine then writes only what changed (a re-run sends no write at all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from smartbind_pipelines.core.batch import SourceBatch
from smartbind_pipelines.core.bind_values import bind_number, bind_text, shown
from smartbind_pipelines.core.cdmx import cdmx_day, parse_bind_datetime
from smartbind_pipelines.core.processes.builtin import RESERVED_JOB_IDS
from smartbind_pipelines.core.processes.model import Process
from smartbind_pipelines.core.sheets import ColumnSpec, SheetMapping, comparable
from smartbind_pipelines.core.sheets.mapping import KINDS

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
        if (
            isinstance(self.interval_minutes, bool)
            or not isinstance(self.interval_minutes, int)
            or not 1 <= self.interval_minutes <= 1440
        ):
            raise DeclarationError(where, "interval_minutes", f"must be 1..1440, not {self.interval_minutes!r}")
        if not self.columns:
            raise DeclarationError(where, "columns", "at least one column is needed")
        for column in self.columns:
            if column.kind not in KINDS:
                raise DeclarationError(where, "columns", f"{column.title!r}: kind must be one of {', '.join(KINDS)}")
            if not column.title.strip() or not column.source.strip():
                raise DeclarationError(where, "columns", "every column needs a title and a source field")
        if self.columns[0].kind != "text":
            raise DeclarationError(
                where,
                "columns",
                f"the first column {self.columns[0].title!r} is the sheet's primary column and must be text",
            )
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

    def batch(self, rows: Iterable[Any]) -> SourceBatch:
        """Sheet records by column title; a row without a key or with a bad value is skipped ({"key",
        "reason"}), never fatal."""
        records: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        seen: set[tuple] = set()
        mapping = self.mapping
        fetched = 0
        for raw in rows:
            fetched += 1
            if not isinstance(raw, dict):
                skipped.append({"key": None, "reason": "not an object"})
                continue
            try:
                record = {column.title: _cell(raw.get(column.source), column) for column in self.columns}
            except ValueError as exc:
                skipped.append({"key": _raw_key(raw, self), "reason": str(exc)})
                continue
            key = mapping.key_of(record)
            if key is None:
                sources = "/".join(c.source for c in self.columns if c.title in self.key)
                skipped.append({"key": None, "reason": f"no {sources} in Bind"})
                continue
            if key in seen:
                skipped.append({"key": " / ".join(map(str, key)), "reason": "listed twice: first row kept"})
                continue
            seen.add(key)
            records.append(record)
        return SourceBatch(records=records, skipped=skipped, fetched=fetched)

    # -- the process it declares --------------------------------------------------------------------

    @property
    def process(self) -> Process:
        """The registry's Process for this declaration (pull, seeded active once its sheet id is known)."""
        return Process(
            job_id=self.job_id,
            name=self.name,
            description=self.description,
            direction="pull",
            mapping=self.mapping,
            sheet_name=self.sheet_name,
            sheet_id_env=self.sheet_id_env,
            interval_minutes=self.interval_minutes,
            group=self.slug,
            source_asset=self.source_asset,
            sheet_asset=self.sheet_asset,
            active_by_default=None,
            fields_mapping={
                "bind_endpoint": self.endpoint,
                "bind_fields": [column.source for column in self.columns],
                "smartsheet_columns": [column.title for column in self.columns],
                "key_columns": list(self.key),
                "declared": True,
            },
            declaration=self,
        )

    def effective_config(self, store, env: Mapping[str, str]):
        """This process's ProcessConfig row (``Process.effective_config``)."""
        return self.process.effective_config(store, env)


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
