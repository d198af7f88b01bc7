"""The generic Smartsheet upsert engine (no Dagster import): mapping, pure plan, SDK gateway, guards before
writing, upsert, writing in batches, settling after lost answers, result."""

from smartbind_pipelines.core.sheets.errors import (
    MassRetireError,
    MissingColumnError,
    SheetApiError,
    SheetCapacityError,
    SheetIndexError,
    SheetTransportError,
    SheetUnsettledError,
    SheetUpsertError,
)
from smartbind_pipelines.core.sheets.gateway import BatchOutcome, FixedBackoff, SheetGateway, SheetInfo
from smartbind_pipelines.core.sheets.guards import MAX_CELLS, MAX_ROWS, column_type_problems
from smartbind_pipelines.core.sheets.mapping import (
    MAX_CELL_CHARS,
    ColumnSpec,
    SheetMapping,
    StalePolicy,
    cell_value,
    comparable,
    sheet_columns,
)
from smartbind_pipelines.core.sheets.plan import ExistingRow, RowUpdate, UpsertPlan, columns_to_read, plan_upsert
from smartbind_pipelines.core.sheets.result import RowFailure, UpsertResult
from smartbind_pipelines.core.sheets.settle import SettleBounds, WriteJournal, wait_until_settled
from smartbind_pipelines.core.sheets.upsert import upsert_sheet

__all__ = [
    "BatchOutcome",
    "MassRetireError",
    "ColumnSpec",
    "ExistingRow",
    "FixedBackoff",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_ROWS",
    "MissingColumnError",
    "RowFailure",
    "RowUpdate",
    "SheetApiError",
    "SheetCapacityError",
    "SheetGateway",
    "SheetIndexError",
    "SheetInfo",
    "SheetMapping",
    "SettleBounds",
    "SheetUpsertError",
    "SheetTransportError",
    "SheetUnsettledError",
    "WriteJournal",
    "StalePolicy",
    "UpsertPlan",
    "UpsertResult",
    "cell_value",
    "column_type_problems",
    "columns_to_read",
    "comparable",
    "plan_upsert",
    "sheet_columns",
    "upsert_sheet",
    "wait_until_settled",
]
