"""The one registry of processes (no Dagster): each process is defined once, and every face derives from it.

``model``: ``Process``. One module per built-in process: ``invoices`` (INVOICES), ``inventory``
(INVENTORY), ``invoicing`` (INVOICE_FROM_SHEET, the push process); ``builtin`` lists them. ``declared``:
a process declared as data (ProcessDeclaration), ``files``: declarations read from TOML (``shipped/`` and
``SMARTBIND_PROCESSES_DIR``), ``registry``: all of them.
"""

from smartbind_pipelines.core.processes.builtin import BUILT_IN, RESERVED_JOB_IDS
from smartbind_pipelines.core.processes.declared import (
    DeclarationError,
    DeclaredColumn,
    ProcessDeclaration,
)
from smartbind_pipelines.core.processes.files import DECLARATIONS_DIR_ENV, declaration_from_dict, load_declarations
from smartbind_pipelines.core.processes.inventory import INVENTORY
from smartbind_pipelines.core.processes.invoices import INVOICES
from smartbind_pipelines.core.processes.invoicing import INVOICE_FROM_SHEET
from smartbind_pipelines.core.processes.model import Process
from smartbind_pipelines.core.processes.registry import (
    SHEET_ID_ENV,
    all_processes,
    built_in_process,
    declared_processes,
    get_process,
    process_mapping,
    processes_and_problems,
)

__all__ = [
    "BUILT_IN",
    "DECLARATIONS_DIR_ENV",
    "INVENTORY",
    "INVOICES",
    "INVOICE_FROM_SHEET",
    "RESERVED_JOB_IDS",
    "SHEET_ID_ENV",
    "DeclarationError",
    "DeclaredColumn",
    "Process",
    "ProcessDeclaration",
    "all_processes",
    "built_in_process",
    "declaration_from_dict",
    "declared_processes",
    "get_process",
    "load_declarations",
    "process_mapping",
    "processes_and_problems",
]
