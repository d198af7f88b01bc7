"""Which SheetMapping each sync process writes with: the one registry every command looks up."""

from __future__ import annotations

import importlib

# job_id -> (module, attribute) of its SheetMapping. Imported lazily: a process whose module is not
# built yet simply has no mapping, and its checks say so instead of crashing the doctor.
PROCESS_MAPPINGS: dict[str, tuple[str, str]] = {
    "sync_invoices": ("smartbind_pipelines.core.invoices", "INVOICE_MAPPING"),
    "sync_inventory": ("smartbind_pipelines.core.inventory", "INVENTORY_MAPPING"),
    "invoice_from_sheet": ("smartbind_pipelines.core.invoicing.columns", "REQUEST_MAPPING"),
}


def process_mapping(job_id: str):
    """The SheetMapping a process writes with, or None when the process has no registered mapping."""
    entry = PROCESS_MAPPINGS.get(job_id)
    if entry is None:
        # Declared processes (sync_clients, sync_products, SMARTBIND_PROCESSES_DIR files) register themselves.
        from smartbind_pipelines.core.declarations import process_mappings

        return process_mappings().get(job_id)
    module_name, attribute = entry
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:  # a broken import inside the module is a bug, not "not built yet"
            raise
        return None
    return getattr(module, attribute, None)
