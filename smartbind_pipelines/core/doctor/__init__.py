"""`smartbind doctor`: the checks an operator runs before the first sync writes anything.

Each check is a small function returning a :class:`CheckResult` (name, ok, detail, fix). Settings checks
(``settings``) are pure functions of the environment; the network checks (``bind``, ``sheets``) take an
already-built client (our Bind client, the Smartsheet gateway) so tests point them at the emulators.
Nothing here writes to Bind or Smartsheet.

Secrets (Bind key, Smartsheet token, admin token) are never put into a result: at most their length.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.doctor.bind import bind_checks, configured_warehouses, warehouse_check
from smartbind_pipelines.core.doctor.invoicing import bind_id_checks
from smartbind_pipelines.core.doctor.invoicing import settings_checks as sheet_source_settings_checks
from smartbind_pipelines.core.doctor.result import (
    SECRET_VARIABLES,
    CheckResult,
    env_secrets,
    failed,
    passed,
    redact,
)
from smartbind_pipelines.core.doctor.settings import (
    DEFAULT_BIND_API_BASE_URL,
    DEFAULT_SMARTSHEET_API_BASE,
    check_api_base,
    check_db_path,
    check_secret,
    check_sheet_id_variable,
    check_warehouse_variable,
    settings_checks,
)
from smartbind_pipelines.core.doctor.sheets import (
    accepted_types,
    column_problems,
    describe_types,
    process_sheet_checks,
    smartsheet_checks,
    smartsheet_error_parts,
)
from smartbind_pipelines.core.processes import INVENTORY, process_mapping
from smartbind_pipelines.core.sheets import SheetGateway

__all__ = [
    "SECRET_VARIABLES",
    "CheckResult",
    "accepted_types",
    "bind_checks",
    "check_api_base",
    "check_db_path",
    "check_secret",
    "check_sheet_id_variable",
    "check_warehouse_variable",
    "column_problems",
    "configured_warehouses",
    "connect_bind",
    "connect_smartsheet",
    "describe_types",
    "env_secrets",
    "examine",
    "failed",
    "passed",
    "process_mapping",
    "process_sheet_checks",
    "redact",
    "settings_checks",
    "smartsheet_checks",
    "smartsheet_error_parts",
    "warehouse_check",
]


def _not_checked(name: str, because: str) -> CheckResult:
    return failed(name, f"not checked: {because}", "fix the settings above, then run `smartbind doctor` again")


def _ok(results: Sequence[CheckResult], *names: str) -> bool:
    by_name = {r.name: r.ok for r in results}
    return all(by_name.get(name, False) for name in names)


def connect_bind(env: Mapping[str, str]):
    """A Bind client tuned for a quick examination: short timeouts, one retry."""
    base = env.get("BIND_API_BASE_URL", "").strip() or DEFAULT_BIND_API_BASE_URL
    return BindClient(base, env["BIND_API_KEY"], timeout=(5, 20), max_attempts=2, backoff_base=0.2, backoff_max=1)


def connect_smartsheet(env: Mapping[str, str]):
    """A Smartsheet gateway tuned for a quick examination: short timeout, one transport retry."""
    base = (env.get("SMARTSHEET_API_BASE", "").strip() or DEFAULT_SMARTSHEET_API_BASE).rstrip("/")
    return SheetGateway.connect(
        env["SMARTSHEET_ACCESS_TOKEN"], base, timeout=20, max_retry_time=5, transport_attempts=2, retry_delay=0.5
    )


def _guarded(name: str, check: Callable[[], list[CheckResult]]) -> list[CheckResult]:
    """Run a group of checks; an unexpected error (a malformed answer, a bug) becomes a failed line."""
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - the doctor reports, it never shows a traceback
        return [
            failed(
                name,
                f"unexpected error: {type(exc).__name__}: {str(exc)[:300]}",
                "run `smartbind doctor` again; if it persists, report this line",
            )
        ]


def examine(
    env: Mapping[str, str], *, connect_bind: Callable = connect_bind, connect_smartsheet: Callable = connect_smartsheet
) -> list[CheckResult]:
    """Run every check in order; checks that depend on a failed one say "not checked"."""
    results = settings_checks(env)
    ss_base = (env.get("SMARTSHEET_API_BASE", "").strip() or DEFAULT_SMARTSHEET_API_BASE).rstrip("/")

    configs, config_results = _processes_to_examine(env, db_ok=_ok(results, "SMARTBIND_DB_PATH"))
    results += config_results
    results += sheet_source_settings_checks(configs)

    inventory = next((c for c in configs if c.job_id == INVENTORY.job_id), None)  # active or has a sheet
    wants_warehouses = inventory is not None or bool(env.get("BIND_WAREHOUSE_ID", "").strip())
    if _ok(results, "BIND_API_BASE_URL", "BIND_API_KEY"):
        with connect_bind(env) as bind:
            bind_results = _guarded("Bind API key", lambda: bind_checks(bind))
            results += bind_results
            if _ok(bind_results, "Bind API key"):
                results += _guarded("Bind ids", lambda: bind_id_checks(bind, configs))
            if wants_warehouses:
                if _ok(bind_results, "Bind API key"):
                    warehouse_ids, source = configured_warehouses(inventory, env)
                    results += _guarded(
                        "Bind warehouses", lambda: [warehouse_check(bind, warehouse_ids, source=source)]
                    )
                else:
                    results.append(_not_checked("Bind warehouses", "the Bind checks above failed"))
    else:
        results.append(_not_checked("Bind API key", "BIND_API_BASE_URL or BIND_API_KEY is invalid"))
        if wants_warehouses:
            results.append(_not_checked("Bind warehouses", "the Bind settings above are invalid"))

    if not _ok(results, "SMARTSHEET_API_BASE", "SMARTSHEET_ACCESS_TOKEN"):
        results.append(
            _not_checked("Smartsheet access token", "SMARTSHEET_API_BASE or SMARTSHEET_ACCESS_TOKEN is invalid")
        )
        return results
    gateway = connect_smartsheet(env)
    results += _guarded("Smartsheet access token", lambda: smartsheet_checks(gateway, configs, api_base=ss_base))
    return results


def _hours(config) -> str:
    """Operating hours as the doctor shows them: "runs day and night" or "runs 08:00–20:00 Mon–Fri Mexico City"."""
    from smartbind_pipelines.core.process_config.hours import describe

    hours = describe(config.operating_hours)
    return "runs day and night" if hours == "always" else f"runs {hours} Mexico City time"


def _processes_to_examine(env: Mapping[str, str], *, db_ok: bool) -> tuple[list, list[CheckResult]]:
    from smartbind_pipelines.core.process_config import (
        ProcessConfigStore,
        ProcessConfigUnavailable,
        default_db_path,
    )

    if not db_ok:
        return [], [_not_checked("ProcessConfig", "SMARTBIND_DB_PATH is not usable")]
    try:
        store = ProcessConfigStore(default_db_path(env), env=env)
        configs = store.list()
    except ProcessConfigUnavailable as exc:  # already one line naming the file, the problem and the remedy
        return [], [failed("ProcessConfig", str(exc), "fix the file as said, then run `smartbind doctor` again")]
    except Exception as exc:  # noqa: BLE001 - a corrupt file must be reported, not crash the doctor
        return [], [
            failed(
                "ProcessConfig",
                f"cannot read {default_db_path(env)}: {exc}",
                "restore the file from a backup, or move it away to start from the defaults",
            )
        ]
    # A paused process with a sheet is examined too: pausing is how a process waits to go live.
    examined = [c for c in configs if c.is_active or c.smartsheet_sheet_id]
    skipped = [c.job_id for c in configs if c not in examined]
    detail = "examined: " + (
        ", ".join(f"{c.job_id} ({'active' if c.is_active else 'paused'}, {_hours(c)})" for c in examined) or "none"
    )
    if skipped:
        detail += f"; not examined (paused, no sheet): {', '.join(skipped)}"
    return examined, [passed("ProcessConfig", detail)]
