"""Names of the Dagster run tags smartbind reads back (no imports, so the CLI and the admin API stay light).

A process's own tags (``process``, ``owner``) are ``Process.run_tags`` (core/processes/model.py).
"""

# Set by `smartbind sync --dry-run`. A dry run writes nothing, so the sensor does not count it when timing
# the next sync, the admin doors do not show it as a job's last run, and invoice_from_sheet only validates.
DRY_RUN_TAG = "smartbind/dry_run"
