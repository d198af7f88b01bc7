"""What every pull process shares in the Dagster layer: the builder of its assets, checks, job and sensor
(builder.py), the cadence sensor, the sheet it writes, its stored reads, its checks
and the metadata tables its runs show."""
