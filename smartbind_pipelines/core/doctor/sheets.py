"""Smartsheet checks: the token is accepted and each process's sheet, columns and key are usable."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from smartbind_pipelines.core.doctor.invoicing import is_sheet_source, source_sheet_checks
from smartbind_pipelines.core.doctor.result import CheckResult, failed, passed
from smartbind_pipelines.core.processes import process_mapping
from smartbind_pipelines.core.sheets import plan_upsert
from smartbind_pipelines.core.sheets.guards import COMPATIBLE_TYPES
from smartbind_pipelines.core.sheets.mapping import SHEET_COLUMN_TYPE

_SMARTSHEET_TOKEN_FIX = (
    "create a new token in Smartsheet (Account → Apps & Integrations → API Access) and set SMARTSHEET_ACCESS_TOKEN"
)


def smartsheet_error_parts(exc: Exception) -> tuple[int | None, int | None, str]:
    """(HTTP status, Smartsheet errorCode, message) of an SDK or gateway error; status None = no answer."""
    result = getattr(getattr(exc, "error", None), "result", None)
    if result is not None:  # smartsheet.exceptions.ApiError
        return (
            getattr(result, "status_code", None),
            getattr(result, "code", None),
            str(getattr(result, "message", "") or exc),
        )
    status = getattr(exc, "status", None) or getattr(exc, "status_code", None)
    code = getattr(exc, "error_code", None) or getattr(exc, "code", None)
    return status, code if isinstance(code, int) else None, str(getattr(exc, "message", None) or exc)


class SmartsheetUnusable(Exception):
    """The token was refused or Smartsheet did not answer: no sheet check can mean anything."""

    def __init__(self, result: CheckResult):
        super().__init__(result.detail)
        self.result = result


def _smartsheet_failure(name: str, exc: Exception, api_base: str, *, sheet_id: int) -> CheckResult:
    """A failed sheet read as one line; a refused token or no answer at all raise SmartsheetUnusable."""
    status, code, message = smartsheet_error_parts(exc)
    if status == 401 or code in (1001, 1002, 1003):
        raise SmartsheetUnusable(
            failed(
                "Smartsheet access token",
                f"Smartsheet refused the access token (HTTP {status}, errorCode {code}: {message})",
                _SMARTSHEET_TOKEN_FIX,
            )
        )
    if status is None and code in (None, 0):
        raise SmartsheetUnusable(
            failed(
                "Smartsheet access token",
                f"not verified: Smartsheet is unreachable at {api_base}: {message}",
                "check SMARTSHEET_API_BASE, DNS, the proxy/firewall, and status.smartsheet.com",
            )
        )
    if status in (403, 404) or code in (1004, 1006):
        return failed(
            name,
            f"sheet {sheet_id} not found or not shared with the token's user (HTTP {status}, errorCode {code})",
            "check the sheet id (File → Properties), share the sheet with the token's user, "
            "or create it: `smartbind sheets create JOB_ID --folder FOLDER_ID`",
        )
    return failed(
        name,
        f"Smartsheet answered HTTP {status}, errorCode {code}: {message}",
        "retry in a few minutes; if it persists, check status.smartsheet.com",
    )


def smartsheet_checks(gateway, configs: Sequence, *, api_base: str, mapping_of: Callable = None) -> list[CheckResult]:
    """The token is accepted (proved by reading the configured sheets) and each sheet is usable.

    The Smartsheet API has no cheaper probe our gateway exposes, so the first sheet read doubles as
    the token check: any answer but 401 means the token was accepted.
    """
    mapping_of = mapping_of or process_mapping
    sheet_results: list[CheckResult] = []
    probed = False
    try:
        for config in configs:
            if is_sheet_source(config):  # a push process: its sheet is read, not upserted (doctor/invoicing.py)
                mapping = mapping_of(config.job_id)
                probed = probed or (mapping is not None and config.sheet_id_int is not None)
                sheet_results += source_sheet_checks(gateway, config, mapping, api_base=api_base)
                continue
            if config.target_system != "smartsheet":
                continue
            mapping = mapping_of(config.job_id)
            probed = probed or (mapping is not None and config.sheet_id_int is not None)
            sheet_results += process_sheet_checks(gateway, config, mapping, api_base=api_base)
    except SmartsheetUnusable as unusable:
        return [unusable.result]
    if not probed:
        token = failed(
            "Smartsheet access token",
            "not verified: no active process has a sheet to read",
            "create one with `smartbind sheets create JOB_ID --folder FOLDER_ID` (that proves the token too)",
        )
    else:
        token = passed("Smartsheet access token", f"accepted by {api_base}")
    return [token, *sheet_results]


def accepted_types(kind: str) -> list[str]:
    """The sheet types the engine accepts for a kind, the one `sheets create` uses first."""
    preferred = SHEET_COLUMN_TYPE[kind]
    return [preferred, *sorted(t for t in COMPATIBLE_TYPES[kind] if t != preferred)]


def describe_types(mapping) -> str:
    """What the column check accepts, by kind, e.g. "dates (Fecha): DATE or ABSTRACT_DATETIME; …"."""
    words = {"date": "dates", "number": "numbers", "text": "text"}
    parts = []
    for kind in ("date", "number", "text"):
        titles = [column.title for column in mapping.columns if column.kind == kind]
        if titles:
            parts.append(f"{words[kind]} ({', '.join(titles)}): {' or '.join(accepted_types(kind))}")
    return "; ".join(parts)


def column_problems(sheet_columns: Mapping[str, Mapping[str, Any]], mapping) -> list[str]:
    """Missing mapped columns and columns whose type cannot hold the mapped kind.

    Accepted types are the engine's own (``sheets.guards.COMPATIBLE_TYPES``): dates need DATE;
    numbers live in TEXT_NUMBER (Smartsheet has no separate number type); text in TEXT_NUMBER or
    PICKLIST. The engine only warns on a wrong type; the doctor fails, before any data is written.
    """
    problems = []
    for column in mapping.columns:
        found = sheet_columns.get(column.title)
        if found is None:
            problems.append(f"{column.title!r} is missing")
            continue
        accepted = accepted_types(column.kind)
        if found.get("type") not in accepted:
            problems.append(
                f"{column.title!r} is {found.get('type') or 'of an unknown type'}, "
                f"needs {' or '.join(accepted)} ({column.kind})"
            )
    return problems


def columns_check(
    job: str, columns: Mapping[str, Mapping[str, Any]], mapping, *, or_create: bool = False
) -> CheckResult:
    """The "{job} columns" line: every mapped column present and typed, or what is wrong and how to fix it
    (``or_create``: the fix also offers `smartbind sheets create`)."""
    problems = column_problems(columns, mapping)
    if problems:
        create = f", or create the sheet: `smartbind sheets create {job}`" if or_create else ""
        return failed(
            f"{job} columns",
            "; ".join(problems),
            f"fix the columns in Smartsheet{create}; accepted: {describe_types(mapping)} "
            "(numbers live in TEXT_NUMBER: Smartsheet has no separate number type)",
        )
    return passed(
        f"{job} columns", f"{len(mapping.columns)} mapped columns present and typed ({describe_types(mapping)})"
    )


def missing_sheet_setup(job: str, sheet_id: int | None, mapping) -> list[CheckResult]:
    """The failed line when a process has no mapping in this release or no sheet yet; [] when it has both."""
    if mapping is None:
        return [
            failed(
                f"{job} mapping",
                "no sheet mapping is registered for this process in this release",
                "update smartbind to a release that implements this process, or deactivate it: "
                f"`smartbind config set {job} --inactive`",
            )
        ]
    if sheet_id is None:
        return [
            failed(
                f"{job} sheet",
                "no sheet configured",
                f"`smartbind sheets create {job} --folder FOLDER_ID`, or set its sheet id: "
                f"`smartbind config set {job} --sheet-id ID`",
            )
        ]
    return []


def process_sheet_checks(gateway, config, mapping, *, api_base: str) -> list[CheckResult]:
    """One process's sheet: it exists, its mapped columns are there and typed, its key is unique."""
    job = config.job_id
    sheet_id = config.sheet_id_int
    missing = missing_sheet_setup(job, sheet_id, mapping)
    if missing:
        return missing
    try:
        columns = gateway.sheet_columns(sheet_id)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a line, never a traceback
        return [_smartsheet_failure(f"{job} sheet", exc, api_base, sheet_id=sheet_id)]
    key_label = " + ".join(mapping.key)
    rows, info, key_failure = None, None, None
    if all(title in columns for title in mapping.key):
        try:
            rows, info = gateway.read_rows(sheet_id, mapping.key, columns=columns)
        except Exception as exc:  # noqa: BLE001
            key_failure = _smartsheet_failure(f"{job} key {key_label}", exc, api_base, sheet_id=sheet_id)

    name = f" {info.name!r}" if info is not None else ""
    size = f", {info.total_row_count} row(s)" if info is not None else ""
    results = [passed(f"{job} sheet", f"{sheet_id}{name} exists{size}")]
    results.append(columns_check(job, columns, mapping))
    if key_failure is not None:
        results.append(key_failure)
    elif rows is not None:
        results.append(_key_check(f"{job} key {key_label}", rows, mapping))
    return results  # a missing key column is already a "columns" failure


def _key_check(name: str, rows, mapping) -> CheckResult:
    """No key on two rows. The engine's own planner, given no records, normalises keys as a sync would."""
    plan = plan_upsert([], rows, mapping)
    without_key = len(plan.rows_without_key)
    note = f"; {without_key} row(s) without a key are left alone by the sync" if without_key else ""
    if not plan.duplicate_sheet_keys:
        return passed(name, f"unique across {len(rows)} row(s){note}")
    extra = sum(len(ids) for ids in plan.duplicate_sheet_keys.values())
    sample = ", ".join(" + ".join(str(p) for p in key) for key in list(plan.duplicate_sheet_keys)[:3])
    return failed(
        name,
        f"{len(plan.duplicate_sheet_keys)} key(s) appear on more than one row "
        f"({extra} rows in all; e.g. {sample}){note}",
        "delete the extra rows in Smartsheet so each key appears once "
        "(the sync only ever updates the first row of a duplicated key)",
    )
