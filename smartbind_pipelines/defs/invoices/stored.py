"""The invoices' use of the run-scoped Bind reads (defs/pull/stored.py): their resource key and wording.

``bind_invoices`` stores each run's read under that run's id; a re-execution loads its own run's read, and
the I/O manager refuses it (``superseded_by``) when another run has read Bind since, naming the watermark.
"""

from __future__ import annotations

from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs.pull.stored import RunScopedIOManager

READS_IO_MANAGER = "invoice_reads_io_manager"  # the resource key bind_invoices stores its output with
NEXT_RUN = "the watermark did not move, so the regular sync reads this window again."


def invoice_reads() -> RunScopedIOManager:
    return RunScopedIOManager(job_id=INVOICES.job_id, next_run=NEXT_RUN)
