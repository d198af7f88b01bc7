"""sync_invoices_sensor: the shared cadence sensor (defs/sync/sensor.py) for the invoices process."""

from smartbind_pipelines.defs.sync.sensor import build_sync_sensor

from .jobs import sync_invoices
from .process import INVOICES

sync_invoices_sensor = build_sync_sensor(
    INVOICES,
    sync_invoices,
    description=(
        "Starts sync_invoices every interval_minutes set in ProcessConfig (read at every tick). Skips, "
        "saying why, while the process is paused, not yet due, or a run is still queued or running."
    ),
)
