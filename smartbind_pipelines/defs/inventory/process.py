"""The inventory process (core/processes/inventory.py) as the Dagster side sees it."""

from __future__ import annotations

from smartbind_pipelines.core.processes import INVENTORY as PROCESS
from smartbind_pipelines.defs.sync.process import SyncProcess

INVENTORY = SyncProcess(PROCESS)
