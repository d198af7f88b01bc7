"""`smartbind doctor`: the checks an operator runs before the first sync writes anything.

Each check is a small function returning a :class:`CheckResult` (name, ok, detail, fix). Settings checks
are pure functions of the environment; the network checks take an already-built client (our Bind client,
the Smartsheet gateway) so tests point them at the emulators. Nothing here writes to Bind or Smartsheet.

Secrets (Bind key, Smartsheet token, admin token) are never put into a result: at most their length.
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

DEFAULT_BIND_API_BASE_URL = "https://api.bind.com.mx/api"
DEFAULT_SMARTSHEET_API_BASE = "https://api.smartsheet.com/2.0"
DEFAULT_DB_PATH = "data/processes.db"
SECRET_VARIABLES = ("BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_ADMIN_TOKEN")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# job_id -> (module, attribute) of its SheetMapping. Imported lazily: a process whose module is not
# built yet simply has no mapping, and its checks say so instead of crashing the doctor.
PROCESS_MAPPINGS: dict[str, tuple[str, str]] = {
    "sync_invoices": ("smartbind_pipelines.core.invoices", "INVOICE_MAPPING"),
    "sync_inventory": ("smartbind_pipelines.core.inventory", "INVENTORY_MAPPING"),
}


def process_mapping(job_id: str):
    """The SheetMapping a process writes with, or None when the process has no registered mapping."""
    entry = PROCESS_MAPPINGS.get(job_id)
    if entry is None:
        return None
    module_name, attribute = entry
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:  # a broken import inside the module is a bug, not "not built yet"
            raise
        return None
    return getattr(module, attribute, None)


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        text = f"{mark} {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n    → {self.fix}"
        return text


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail)


def failed(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, False, detail, fix)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Belt and braces: replace any secret that slipped into an error message."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def env_secrets(env: Mapping[str, str]) -> list[str]:
    values = [env.get(name, "") for name in SECRET_VARIABLES]
    return [v for v in values + [v.strip() for v in values] if v]


# --------------------------------------------------------------------------------------------------
# Settings (DESIGN.md's environment table)
# --------------------------------------------------------------------------------------------------


def check_api_base(env: Mapping[str, str], variable: str, default: str, required_suffix: str) -> CheckResult:
    """A base URL: http(s), a host, no query or fragment, and the API's path suffix (/api, /2.0)."""
    raw = env.get(variable, "")
    value = raw.strip() or default
    origin = "default" if not raw.strip() else "set"
    parts = urlsplit(value)
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = f"scheme must be https (or http for a local sandbox), got {parts.scheme or 'none'!r}"
    elif not parts.hostname:
        problem = "no host name"
    elif parts.query or parts.fragment:
        problem = "must not carry a query string or fragment"
    elif not parts.path.rstrip("/").endswith(required_suffix):
        problem = f"path must end in {required_suffix!r}, got {parts.path or '/'!r}"
    else:
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            problem = "malformed port"
    if problem:
        return failed(variable, f"{value!r} is not a valid API base: {problem}",
                      f"set {variable} to a URL like {default}")
    return passed(variable, f"{value} ({origin})")


def check_secret(env: Mapping[str, str], variable: str, purpose: str) -> CheckResult:
    """A secret is set and looks like a bare token; only its length is ever shown."""
    value = env.get(variable, "")
    if not value.strip():
        return failed(variable, "not set", f"export {variable}=… ({purpose})")
    if value != value.strip():
        return failed(variable, f"set ({len(value)} characters) but has leading/trailing whitespace",
                      f"re-export {variable} without spaces or newlines")
    if value.lower().startswith("bearer "):
        return failed(variable, f"set ({len(value)} characters) but starts with 'Bearer '",
                      f"set {variable} to the bare token; the 'Bearer ' prefix is added by smartbind")
    return passed(variable, f"set ({len(value)} characters)")


def check_sheet_id_variable(env: Mapping[str, str], variable: str) -> CheckResult:
    value = env.get(variable, "").strip()
    if not value:
        return passed(variable, "not set (the sheet id in ProcessConfig is used)")
    if not (value.isascii() and value.isdigit()):
        return failed(variable, f"{value!r} is not a sheet id (digits only)",
                      f"copy the id from the sheet's File → Properties into {variable}, or unset it")
    return passed(variable, value)


def check_warehouse_variable(env: Mapping[str, str]) -> CheckResult:
    value = env.get("BIND_WAREHOUSE_ID", "").strip()
    if not value:
        return passed("BIND_WAREHOUSE_ID", "not set (inventory uses the warehouses in ProcessConfig)")
    if not _GUID.match(value):
        return failed("BIND_WAREHOUSE_ID", f"{value!r} is not a Bind warehouse id (a GUID)",
                      "take the ID of a warehouse from GET /api/Warehouses")
    return passed("BIND_WAREHOUSE_ID", value)


def check_db_path(env: Mapping[str, str]) -> CheckResult:
    """The ProcessConfig SQLite file can be written (or created), without creating anything now."""
    raw = env.get("SMARTBIND_DB_PATH", "").strip()
    path = Path(raw or DEFAULT_DB_PATH)
    origin = "default" if not raw else "set"
    fix = "point SMARTBIND_DB_PATH at a file in a directory the smartbind user can write"
    if path.is_dir():
        return failed("SMARTBIND_DB_PATH", f"{path} is a directory, not a file", fix)
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            return failed("SMARTBIND_DB_PATH", f"{path} exists but is not readable and writable", fix)
        if not os.access(path.parent, os.W_OK):  # SQLite writes its journal beside the file
            return failed("SMARTBIND_DB_PATH", f"{path.parent} is not writable (SQLite needs its journal there)", fix)
        return passed("SMARTBIND_DB_PATH", f"{path} ({origin}, exists, writable)")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK):
        return failed("SMARTBIND_DB_PATH", f"{path} does not exist and {ancestor} is not a writable directory", fix)
    return passed("SMARTBIND_DB_PATH", f"{path} ({origin}, will be created)")


def settings_checks(env: Mapping[str, str]) -> list[CheckResult]:
    """Every variable of DESIGN.md's table, present where required and well-formed."""
    return [
        check_api_base(env, "BIND_API_BASE_URL", DEFAULT_BIND_API_BASE_URL, "/api"),
        check_secret(env, "BIND_API_KEY", "Bind: Perfil → Integraciones → Generar API Key"),
        check_warehouse_variable(env),
        check_api_base(env, "SMARTSHEET_API_BASE", DEFAULT_SMARTSHEET_API_BASE, "/2.0"),
        check_secret(env, "SMARTSHEET_ACCESS_TOKEN", "Smartsheet: Account → Apps & Integrations → API Access"),
        check_sheet_id_variable(env, "SMARTSHEET_INVOICES_SHEET_ID"),
        check_sheet_id_variable(env, "SMARTSHEET_INVENTORY_SHEET_ID"),
        check_db_path(env),
        check_secret(env, "SMARTBIND_ADMIN_TOKEN", "the admin REST API refuses to start without it; "
                                                    "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"),
    ]


# --------------------------------------------------------------------------------------------------
# Bind
# --------------------------------------------------------------------------------------------------

_BIND_KEY_FIX = "generate a new key in Bind (Perfil → Integraciones → Generar API Key) and set BIND_API_KEY"


def _bind_failure(name: str, exc: Exception, base_url: str) -> CheckResult:
    """A failed Bind call as one line: 401 means the key, no status means the network."""
    status = getattr(exc, "status", None)
    message = getattr(exc, "message", None) or str(exc)
    if status in (401, 403):
        return failed(name, f"Bind refused the API key (HTTP {status}: {message})", _BIND_KEY_FIX)
    if status is None:
        return failed(name, f"Bind is unreachable at {base_url}: {message}",
                      "check BIND_API_BASE_URL, DNS, the proxy/firewall, and that Bind is up")
    if status == 404:
        return failed(name, f"Bind answered 404 at {base_url}: {message}",
                      "BIND_API_BASE_URL must be the API base including /api, e.g. https://api.bind.com.mx/api")
    if status == 429 or status >= 500:
        return failed(name, f"Bind answered HTTP {status}: {message}",
                      "Bind is rate-limiting or failing; wait a few minutes and run `smartbind doctor` again")
    return failed(name, f"Bind answered HTTP {status}: {message}", "see the message; check BIND_API_BASE_URL")


def bind_checks(client) -> list[CheckResult]:
    """The key is accepted (GET /UserProfile) and a one-row read works (GET /Invoices?$top=1)."""
    from smartbind_pipelines.core.bind_client import BindApiError

    try:
        profile = client.user_profile()
    except BindApiError as exc:
        return [_bind_failure("Bind API key", exc, client.base_url)]
    who = ", ".join(str(v) for v in (profile.get("CompanyName"), profile.get("RFC"), profile.get("Username"))
                    if v) or "profile read"
    results = [passed("Bind API key", f"accepted by {client.base_url} ({who})")]
    try:
        first_page = next(client.iter_pages("Invoices", {"$top": 1}), [])
    except BindApiError as exc:
        results.append(_bind_failure("Bind invoices read", exc, client.base_url))
        return results
    if first_page:
        number = first_page[0].get("Number")
        results.append(passed("Bind invoices read", f"one-row read works (invoice {number})"))
    else:
        results.append(passed("Bind invoices read", "one-row read works (no invoices yet)"))
    return results


def warehouse_check(client, warehouse_ids: Sequence[str], *, source: str) -> CheckResult:
    """The warehouses inventory reads from exist in Bind."""
    from smartbind_pipelines.core.bind_client import BindApiError

    name = "Bind warehouses"
    if not warehouse_ids:
        return failed(name, "inventory has no warehouse configured",
                      "set BIND_WAREHOUSE_ID, or list them: `smartbind config set sync_inventory "
                      "--fields-mapping '{\"warehouse_ids\": [\"…\"]}'`")
    try:
        known = {str(w.get("ID", "")).lower(): w.get("Name", "") for w in client.warehouses()}
    except BindApiError as exc:
        return _bind_failure(name, exc, client.base_url)
    unknown = [w for w in warehouse_ids if str(w).strip().lower() not in known]
    if unknown:
        listing = "; ".join(f"{name_} = {wid}" for wid, name_ in sorted(known.items(), key=lambda kv: kv[1])) or "none"
        return failed(name, f"unknown in Bind ({source}): {', '.join(unknown)}",
                      f"use one of Bind's warehouses: {listing}")
    names = ", ".join(str(known[str(w).strip().lower()]) or str(w) for w in warehouse_ids)
    return passed(name, f"{len(warehouse_ids)} configured ({source}) and found: {names}")


def configured_warehouses(config, env: Mapping[str, str]) -> tuple[list[str], str]:
    """Inventory's warehouses: ProcessConfig fields_mapping.warehouse_ids, else BIND_WAREHOUSE_ID."""
    mapping = getattr(config, "fields_mapping", None) or {}
    listed = mapping.get("warehouse_ids") if isinstance(mapping, dict) else None
    if listed:
        ids = [listed] if isinstance(listed, str) else [str(w) for w in listed]
        return ids, "ProcessConfig fields_mapping.warehouse_ids"
    fallback = env.get("BIND_WAREHOUSE_ID", "").strip()
    return ([fallback] if fallback else []), "BIND_WAREHOUSE_ID"


# --------------------------------------------------------------------------------------------------
# Smartsheet
# --------------------------------------------------------------------------------------------------

_SMARTSHEET_TOKEN_FIX = ("create a new token in Smartsheet (Account → Apps & Integrations → API Access) "
                         "and set SMARTSHEET_ACCESS_TOKEN")


def smartsheet_error_parts(exc: Exception) -> tuple[int | None, int | None, str]:
    """(HTTP status, Smartsheet errorCode, message) of an SDK or gateway error; status None = no answer."""
    result = getattr(getattr(exc, "error", None), "result", None)
    if result is not None:  # smartsheet.exceptions.ApiError
        return getattr(result, "status_code", None), getattr(result, "code", None), str(getattr(result, "message", "") or exc)
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
        raise SmartsheetUnusable(failed(
            "Smartsheet access token",
            f"Smartsheet refused the access token (HTTP {status}, errorCode {code}: {message})",
            _SMARTSHEET_TOKEN_FIX))
    if status is None and code in (None, 0):
        raise SmartsheetUnusable(failed(
            "Smartsheet access token", f"not verified: Smartsheet is unreachable at {api_base}: {message}",
            "check SMARTSHEET_API_BASE, DNS, the proxy/firewall, and status.smartsheet.com"))
    if status in (403, 404) or code in (1004, 1006):
        return failed(name, f"sheet {sheet_id} not found or not shared with the token's user "
                            f"(HTTP {status}, errorCode {code})",
                      "check the sheet id (File → Properties), share the sheet with the token's user, "
                      "or create it: `smartbind sheets create JOB_ID --folder FOLDER_ID`")
    return failed(name, f"Smartsheet answered HTTP {status}, errorCode {code}: {message}",
                  "retry in a few minutes; if it persists, check status.smartsheet.com")


def smartsheet_checks(gateway, configs: Sequence, *, api_base: str,
                      mapping_of: Callable = None) -> list[CheckResult]:
    """The token is accepted (proved by reading the configured sheets) and each sheet is usable.

    The Smartsheet API has no cheaper probe our gateway exposes, so the first sheet read doubles as
    the token check: any answer but 401 means the token was accepted.
    """
    mapping_of = mapping_of or process_mapping
    sheet_results: list[CheckResult] = []
    probed = False
    try:
        for config in configs:
            if config.target_system != "smartsheet":
                continue
            mapping = mapping_of(config.job_id)
            probed = probed or (mapping is not None and config.sheet_id_int is not None)
            sheet_results += process_sheet_checks(gateway, config, mapping, api_base=api_base)
    except SmartsheetUnusable as unusable:
        return [unusable.result]
    if not probed:
        token = failed("Smartsheet access token", "not verified: no active process has a sheet to read",
                       "create one with `smartbind sheets create JOB_ID --folder FOLDER_ID` "
                       "(that proves the token too)")
    else:
        token = passed("Smartsheet access token", f"accepted by {api_base}")
    return [token, *sheet_results]


def accepted_types(kind: str) -> list[str]:
    """The sheet types the engine accepts for a kind, the one `sheets create` uses first."""
    from smartbind_pipelines.core.sheets import sync
    from smartbind_pipelines.core.sheets.mapping import SHEET_COLUMN_TYPE

    preferred = SHEET_COLUMN_TYPE[kind]
    return [preferred, *sorted(t for t in sync.COMPATIBLE_TYPES[kind] if t != preferred)]


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

    Accepted types are the engine's own (``sheets.sync.COMPATIBLE_TYPES``): dates need DATE;
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
            problems.append(f"{column.title!r} is {found.get('type') or 'of an unknown type'}, "
                            f"needs {' or '.join(accepted)} ({column.kind})")
    return problems


def process_sheet_checks(gateway, config, mapping, *, api_base: str) -> list[CheckResult]:
    """One process's sheet: it exists, its mapped columns are there and typed, its key is unique."""
    job = config.job_id
    sheet_id = config.sheet_id_int
    if mapping is None:
        return [failed(f"{job} mapping", "no sheet mapping is registered for this process in this release",
                       "update smartbind to a release that implements this process, or deactivate it: "
                       f"`smartbind config set {job} --inactive`")]
    if sheet_id is None:
        return [failed(f"{job} sheet", "no sheet configured",
                       f"`smartbind sheets create {job} --folder FOLDER_ID`, or set its sheet id: "
                       f"`smartbind config set {job} --sheet-id ID`")]
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
    problems = column_problems(columns, mapping)
    if problems:
        results.append(failed(f"{job} columns", "; ".join(problems),
                              f"fix the columns in Smartsheet; accepted: {describe_types(mapping)} "
                              "(numbers live in TEXT_NUMBER: Smartsheet has no separate number type)"))
    else:
        results.append(passed(f"{job} columns", f"{len(mapping.columns)} mapped columns present and typed "
                                                f"({describe_types(mapping)})"))
    if key_failure is not None:
        results.append(key_failure)
    elif rows is not None:
        results.append(_key_check(f"{job} key {key_label}", rows, mapping))
    return results  # a missing key column is already a "columns" failure


def _key_check(name: str, rows, mapping) -> CheckResult:
    """No key on two rows. The engine's own planner, given no records, normalises keys as a sync would."""
    from smartbind_pipelines.core.sheets import plan_upsert

    plan = plan_upsert([], rows, mapping)
    without_key = len(plan.rows_without_key)
    note = f"; {without_key} row(s) without a key are left alone by the sync" if without_key else ""
    if not plan.duplicate_sheet_keys:
        return passed(name, f"unique across {len(rows)} row(s){note}")
    extra = sum(len(ids) for ids in plan.duplicate_sheet_keys.values())
    sample = ", ".join(" + ".join(str(p) for p in key) for key in list(plan.duplicate_sheet_keys)[:3])
    return failed(name, f"{len(plan.duplicate_sheet_keys)} key(s) appear on more than one row "
                        f"({extra} rows in all; e.g. {sample}){note}",
                  "delete the extra rows in Smartsheet so each key appears once "
                  "(the sync only ever updates the first row of a duplicated key)")


# --------------------------------------------------------------------------------------------------
# The whole examination
# --------------------------------------------------------------------------------------------------


def _not_checked(name: str, because: str) -> CheckResult:
    return failed(name, f"not checked: {because}", "fix the settings above, then run `smartbind doctor` again")


def _ok(results: Sequence[CheckResult], *names: str) -> bool:
    by_name = {r.name: r.ok for r in results}
    return all(by_name.get(name, False) for name in names)


def connect_bind(env: Mapping[str, str]):
    """A Bind client tuned for a quick examination: short timeouts, one retry."""
    from smartbind_pipelines.core.bind_client import BindClient

    base = env.get("BIND_API_BASE_URL", "").strip() or DEFAULT_BIND_API_BASE_URL
    return BindClient(base, env["BIND_API_KEY"], timeout=(5, 20), max_attempts=2, backoff_base=0.2, backoff_max=1)


def connect_smartsheet(env: Mapping[str, str]):
    from smartbind_pipelines.core.sheets import SheetGateway

    base = (env.get("SMARTSHEET_API_BASE", "").strip() or DEFAULT_SMARTSHEET_API_BASE).rstrip("/")
    return SheetGateway.connect(env["SMARTSHEET_ACCESS_TOKEN"], base, timeout=20, max_retry_time=5,
                                 transport_attempts=2, retry_delay=0.5)


def _guarded(name: str, check: Callable[[], list[CheckResult]]) -> list[CheckResult]:
    """Run a group of checks; an unexpected error (a malformed answer, a bug) becomes a failed line."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - the doctor reports, it never shows a traceback
        return [failed(name, f"unexpected error: {type(exc).__name__}: {str(exc)[:300]}",
                       "run `smartbind doctor` again; if it persists, report this line")]


def examine(env: Mapping[str, str], *, connect_bind: Callable = connect_bind,
            connect_smartsheet: Callable = connect_smartsheet) -> list[CheckResult]:
    """Run every check in order; checks that depend on a failed one say "not checked"."""
    results = settings_checks(env)
    ss_base = (env.get("SMARTSHEET_API_BASE", "").strip() or DEFAULT_SMARTSHEET_API_BASE).rstrip("/")

    configs, config_results = _processes_to_examine(env, db_ok=_ok(results, "SMARTBIND_DB_PATH"))
    results += config_results

    inventory = next((c for c in configs if c.job_id == "sync_inventory"), None)  # active or has a sheet
    wants_warehouses = inventory is not None or bool(env.get("BIND_WAREHOUSE_ID", "").strip())
    if _ok(results, "BIND_API_BASE_URL", "BIND_API_KEY"):
        with connect_bind(env) as bind:
            bind_results = _guarded("Bind API key", lambda: bind_checks(bind))
            results += bind_results
            if wants_warehouses:
                if _ok(bind_results, "Bind API key"):
                    warehouse_ids, source = configured_warehouses(inventory, env)
                    results += _guarded("Bind warehouses",
                                        lambda: [warehouse_check(bind, warehouse_ids, source=source)])
                else:
                    results.append(_not_checked("Bind warehouses", "the Bind checks above failed"))
    else:
        results.append(_not_checked("Bind API key", "BIND_API_BASE_URL or BIND_API_KEY is invalid"))
        if wants_warehouses:
            results.append(_not_checked("Bind warehouses", "the Bind settings above are invalid"))

    if not _ok(results, "SMARTSHEET_API_BASE", "SMARTSHEET_ACCESS_TOKEN"):
        results.append(_not_checked("Smartsheet access token",
                                    "SMARTSHEET_API_BASE or SMARTSHEET_ACCESS_TOKEN is invalid"))
        return results
    gateway = connect_smartsheet(env)
    results += _guarded("Smartsheet access token", lambda: smartsheet_checks(gateway, configs, api_base=ss_base))
    return results


def _processes_to_examine(env: Mapping[str, str], *, db_ok: bool) -> tuple[list, list[CheckResult]]:
    from smartbind_pipelines.core.process_config import ProcessConfigStore, default_db_path

    if not db_ok:
        return [], [_not_checked("ProcessConfig", "SMARTBIND_DB_PATH is not usable")]
    try:
        store = ProcessConfigStore(default_db_path(env), env=env)
        configs = store.list()
    except Exception as exc:  # noqa: BLE001 - a corrupt file must be reported, not crash the doctor
        return [], [failed("ProcessConfig", f"cannot read {default_db_path(env)}: {exc}",
                           "restore the file from a backup, or move it away to start from the defaults")]
    # A paused process with a sheet is examined too: pausing is how a process waits to go live.
    examined = [c for c in configs if c.is_active or c.smartsheet_sheet_id]
    skipped = [c.job_id for c in configs if c not in examined]
    detail = "examined: " + (", ".join(f"{c.job_id} ({'active' if c.is_active else 'paused'})"
                                       for c in examined) or "none")
    if skipped:
        detail += f"; not examined (paused, no sheet): {', '.join(skipped)}"
    return examined, [passed("ProcessConfig", detail)]
