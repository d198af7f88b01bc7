"""The ``/admin`` HTML page: where each feature of the old admin dashboard lives now in the Dagster UI.

It holds links and words only, no data, so it needs no token. The links are absolute when
SMARTBIND_DAGSTER_URL is set, else the page shows the path to append to the UI's address.
"""

from __future__ import annotations

import html

from smartbind_pipelines.admin_doors.instance import DAGSTER_URL_ENV, REPO_PATH, Dagster
from smartbind_pipelines.core.processes import INVOICES

# (old dashboard feature, where it is now, path in the Dagster UI, old API path that still answers)
_FEATURES = [
    (
        "Job list: status, next run, interval, sheet",
        "Automation (each process's sensor: running/stopped, its ticks and skip reasons)",
        "/automation",
        "GET /api/admin/jobs",
    ),
    (
        "Run now",
        "the process's job page (the link: the invoices job) → Materialize all ▾ → Open launchpad → "
        "Launch run (or smartbind sync JOB)",
        f"/locations/{REPO_PATH}/jobs/{INVOICES.job_id}",
        "POST /api/admin/jobs/{job_id}/run",
    ),
    (
        "Pause / resume a process",
        "ProcessConfig is_active: job update_process_config → Open launchpad "
        "(or smartbind config set JOB --inactive / --active). The sensor toggle under Automation also stops it, "
        "but only until someone turns it back on; see docs/operations.md",
        f"/locations/{REPO_PATH}/jobs/update_process_config",
        "POST /api/admin/jobs/{job_id}/pause, /resume",
    ),
    (
        "Change the interval",
        "ProcessConfig interval_minutes: job update_process_config → Open launchpad "
        "(or smartbind config set JOB --interval-minutes N)",
        f"/locations/{REPO_PATH}/jobs/update_process_config",
        "PUT /api/admin/jobs/{job_id}/interval?minutes=N",
    ),
    (
        "Run history",
        "Runs (filter by job; each run's log, step timings and what it wrote)",
        "/runs",
        "GET /api/admin/history",
    ),
    (
        "Failures and alerts",
        'Runs filtered by status Failure; the run_failure_alerts sensor\'s ticks ("N failures in a row")',
        "/runs?q[]=status:FAILURE",
        "GET /api/admin/stats",
    ),
    ("Sheet state", "Assets → smartsheet_* (last write, rows, checks, freshness, link to the sheet)", "/assets", "—"),
    (
        "Operating hours",
        "ProcessConfig operating_hours (Mexico City; a window may cross midnight; weekdays): job "
        "update_process_config → Open launchpad (or smartbind config set JOB --hours 08:00-20:00 --days mon-fri). "
        "Outside the window the sensor skips saying when it opens; the first run inside catches up",
        f"/locations/{REPO_PATH}/jobs/update_process_config",
        "PUT /api/admin/jobs/{job_id}/operating-hours?start_hour=8&end_hour=20",
    ),
    ("Companies", "not carried over: one deployment serves one Bind company", "", "—"),
]


def admin_page(dagster: Dagster) -> str:
    base = dagster.ui_url
    rows = []
    for feature, where, path, api in _FEATURES:
        target = html.escape(where)
        if path and base:
            target = f'<a href="{html.escape(base + path)}">{target}</a>'
        elif path:
            target += f" <code>{html.escape(path)}</code>"
        rows.append(
            f"<tr><td>{html.escape(feature)}</td><td>{target}</td><td><code>{html.escape(api)}</code></td></tr>"
        )
    ui = (
        f'<a href="{html.escape(base)}">{html.escape(base)}</a>'
        if base
        else f"the Dagster UI (set {DAGSTER_URL_ENV} to get links here)"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smartbind: the old admin dashboard has moved</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}}th{{background:#f4f4f4}}</style>
</head><body>
<h1>The admin dashboard has moved to the Dagster UI</h1>
<p>Runs, schedules and history now live in Dagster: {ui}. The old API paths still answer (with the bearer
token in <code>Authorization: Bearer …</code>), backed by Dagster and ProcessConfig.</p>
<table><tr><th>Old dashboard feature</th><th>Where it is now</th><th>Old API path (still answers)</th></tr>
{"".join(rows)}
</table></body></html>
"""
