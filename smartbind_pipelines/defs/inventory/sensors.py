"""sync_inventory_sensor: the shared ProcessConfig cadence (default 60 minutes, the seed's)."""

from __future__ import annotations

from smartbind_pipelines.defs.sync.sensor import build_sync_sensor

from .jobs import sync_inventory
from .process import INVENTORY

sync_inventory_sensor = build_sync_sensor(INVENTORY, sync_inventory)
