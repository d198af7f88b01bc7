"""Doctor checks for a process that reads its sheet and writes Bind (invoice_from_sheet, push).

- the sheet exists and its columns are there and typed (no key-uniqueness check: the rows are requests,
  identified by their Smartsheet row id; one RFC on many rows is normal);
- its ``fields_mapping`` settings are readable and complete (warehouse, price list, a service), and the
  guessed CFDI-use table is named as such;
- the Bind ids those settings name exist in Bind (warehouse, price list, location, currency, services).

Nothing here writes to Bind or Smartsheet.
"""

from __future__ import annotations

from typing import Sequence

from smartbind_pipelines.core.doctor.result import CheckResult, failed, passed

_SET = "`smartbind config set {job} --fields-mapping '{{…}}'` (see docs/invoicing-from-sheet.md)"


def is_sheet_source(config) -> bool:
    """A process whose sheet is read (push), not written by a sync."""
    return config.source_system == "smartsheet" and config.target_system != "smartsheet"


def source_sheet_checks(gateway, config, mapping, *, api_base: str) -> list[CheckResult]:
    """The sheet and its columns; a refused token or no answer raise SmartsheetUnusable (as for syncs)."""
    from smartbind_pipelines.core.doctor.sheets import (
        _smartsheet_failure,
        columns_check,
        missing_sheet_setup,
    )

    job, sheet_id = config.job_id, config.sheet_id_int
    missing = missing_sheet_setup(job, sheet_id, mapping)
    if missing:
        return missing
    try:
        columns = gateway.sheet_columns(sheet_id)
        rows, info = gateway.read_rows(sheet_id, [t for t in mapping.key if t in columns][:1], columns=columns)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a line, never a traceback
        return [_smartsheet_failure(f"{job} sheet", exc, api_base, sheet_id=sheet_id)]
    return [
        passed(f"{job} sheet", f"{sheet_id} {info.name!r} exists, {info.total_row_count} row(s)"),
        columns_check(job, columns, mapping, or_create=True),
    ]


def _settings(config):
    from smartbind_pipelines.core.invoicing.settings import settings_from_mapping

    return settings_from_mapping(config.fields_mapping)


def settings_checks(configs: Sequence) -> list[CheckResult]:
    """Each examined sheet-source process's settings: readable, complete; guessed tables named."""
    from smartbind_pipelines.core.invoicing.settings import InvoicingSettingsError

    results = []
    for config in configs:
        if not is_sheet_source(config):
            continue
        name, fix = f"{config.job_id} settings", _SET.format(job=config.job_id)
        try:
            settings = _settings(config)
        except InvoicingSettingsError as exc:
            results.append(failed(name, str(exc), fix))
            continue
        missing = settings.missing()
        if missing:
            results.append(failed(name, "fields_mapping lacks " + ", ".join(missing), fix))
            continue
        notes = []
        if settings.cfdi_use_is_default:
            notes.append("cfdi_use_codes is the default table, guessed [G]: check it on a real invoice")
        if not settings.payment_term_codes:
            notes.append("no payment_term_codes: Bind applies each client's default")
        results.append(passed(name, "complete" + (f" ({'; '.join(notes)})" if notes else "")))
    return results


def bind_id_checks(bind, configs: Sequence) -> list[CheckResult]:
    """The Bind ids each sheet-source process's settings name exist in Bind (catalogue reads only)."""
    from smartbind_pipelines.core.bind_client import BindApiError

    results = []
    for config in configs:
        if not is_sheet_source(config):
            continue
        try:
            settings = _settings(config)
        except Exception:  # noqa: BLE001 - already a failed "settings" line
            continue
        wanted = {  # setting -> (id, catalogue)
            "warehouse_id": (settings.warehouse_id, "Warehouses"),
            "price_list_id": (settings.price_list_id, "PriceLists"),
            "location_id": (settings.location_id, "Locations"),
            "currency_id": (settings.currency_id, "Currencies"),
            "default_service_id": (settings.default_service_id, "Services"),
            **{f"services.{pair}": (service, "Services") for pair, service in settings.services.items()},
        }
        wanted = {setting: found for setting, found in wanted.items() if found[0]}
        name = f"{config.job_id} Bind ids"
        if not wanted:
            continue
        try:
            known = {
                catalogue: {str(row.get("ID", "")).lower() for row in bind.get_all(catalogue) if isinstance(row, dict)}
                for catalogue in sorted({catalogue for _, catalogue in wanted.values()})
            }
        except BindApiError as exc:
            results.append(failed(name, f"not checked: Bind answered {exc}", "run `smartbind doctor` again"))
            continue
        unknown = [
            f"{setting} {value} (not in /{catalogue})"
            for setting, (value, catalogue) in wanted.items()
            if value.lower() not in known[catalogue]
        ]
        if unknown:
            results.append(failed(name, "; ".join(unknown), _SET.format(job=config.job_id)))
        else:
            results.append(passed(name, f"{len(wanted)} id(s) exist in Bind"))
    return results
