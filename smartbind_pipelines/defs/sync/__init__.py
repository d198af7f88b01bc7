"""What every sync process shares in the Dagster layer: its names, the cadence sensor, the sheet it
writes, and the metadata tables its runs show."""
