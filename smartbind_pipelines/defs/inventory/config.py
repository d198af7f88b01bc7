"""Run config an operator sees in the launchpad of sync_inventory, and the warehouse fallback."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.inventory import STALE_ACTIONS

WAREHOUSE_ENV = "BIND_WAREHOUSE_ID"
RESOURCE_KEY = "inventory_settings"


class InventoryReadConfig(dg.Config):
    """Which stock bind_inventory reads. The warehouses come from ProcessConfig (or BIND_WAREHOUSE_ID)."""

    include_zero_stock: bool = Field(
        default=False,
        description="Also write products with Existencias 0 or below. Default: only products with stock (> 0).",
    )


class InventoryWriteConfig(dg.Config):
    """How smartsheet_inventory writes."""

    stale_rows: str = Field(
        default="zero",
        description=(
            "Rows of the synced warehouses whose product left stock: 'zero' sets Existencias to 0 "
            "(the row and its notes stay), 'delete' removes the row."
        ),
    )
    dry_run: bool = Field(default=False, description="Plan only: report what would change, write nothing.")
    allow_mass_retire: bool = Field(
        default=False,
        description=(
            "Deletion safety override. A run that would zero or delete more than half of the sheet's rows "
            "fails and writes nothing (an empty or broken Bind answer must not wipe the sheet). Set true only "
            "when Bind really lost that stock, e.g. a warehouse was emptied."
        ),
    )

    def stale_action(self) -> str:
        if self.stale_rows not in STALE_ACTIONS:
            raise ValueError(f"stale_rows must be one of {', '.join(STALE_ACTIONS)}, not {self.stale_rows!r}")
        return self.stale_rows


class InventorySettings(dg.ConfigurableResource):
    """Deployment-wide inventory settings: the warehouse used when ProcessConfig lists none."""

    fallback_warehouse_id: str = Field(
        default="", description=f"Warehouse GUID used when ProcessConfig has no warehouse_ids ({WAREHOUSE_ENV})."
    )


def inventory_settings_from_env() -> InventorySettings:
    # A warehouse id is not a secret: resolving it at load time shows it in the UI; a reload picks up a change.
    return InventorySettings(fallback_warehouse_id=(os.environ.get(WAREHOUSE_ENV) or "").strip())
