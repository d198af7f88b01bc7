"""Errors the sheet upsert raises. None of them ever carries an access token."""

from __future__ import annotations

from collections.abc import Sequence


class SheetUpsertError(Exception):
    """Base class. ``partial_result`` is the UpsertResult of what was written before the failure, if any."""

    partial_result = None


class MissingColumnError(SheetUpsertError):
    """A mapped column is not in the sheet (deleted or renamed by a user): nothing was written."""

    def __init__(self, sheet: str, missing: Sequence[str]):
        self.sheet = sheet
        self.missing = list(missing)
        names = ", ".join(repr(title) for title in self.missing)
        super().__init__(
            f"sheet {sheet} has no column {names}: restore or rename the column, "
            f"or create the sheet again with `smartbind sheets create`"
        )


class SheetCapacityError(SheetUpsertError):
    """The upsert would push the sheet past Smartsheet's row or cell limit: nothing was written."""


class SheetIndexError(SheetUpsertError):
    """The sheet's rows could not all be read (fewer than its totalRowCount): nothing was written, since
    a plan on a partial key index would add again every row it missed."""

    def __init__(self, sheet: str, name: str | None, read: int, total: int):
        self.sheet = sheet
        self.read = read
        self.total = total
        label = f"{name!r} ({sheet})" if name else sheet
        super().__init__(
            f"sheet {label}: read {read:,} of its {total:,} rows, even page by page; nothing was "
            f"written (planning on a partial key index would add the missing rows again). "
            f"The next run reads it again."
        )


class SheetUnsettledError(SheetUpsertError):
    """The sheet kept changing for the whole settle bound after a lost add answer (or an earlier run's
    batch still in flight): nothing was sent again, since a batch still being saved would land twice."""

    def __init__(self, sheet: str, reason: str, changes: int, bounds):
        self.sheet = sheet
        self.reason = reason
        self.changes = changes
        super().__init__(
            f"sheet {sheet} did not settle: after {reason}, its version changed {changes} time(s) in "
            f"{bounds.max_wait_seconds:g} s and was never still for {bounds.quiet_seconds:g} s; nothing was "
            f"sent again (a batch still being saved would land twice). The next run waits for the sheet to "
            f"settle and adds only the rows still missing."
        )


class MassRetireError(SheetUpsertError):
    """The upsert would retire (zero or delete, by its stale policy) more than the allowed share of the
    sheet's rows: nothing was written. An answer from the source that lost most of its rows (an empty
    page read as "no stock") must not wipe a sheet; an operator who knows it is real says so."""

    def __init__(
        self,
        sheet: str,
        would_retire: int,
        sheet_rows: int,
        max_share: float,
        action: str,
        override: str = "allow_mass_retire=True",
    ):
        self.sheet = sheet
        self.would_retire = would_retire
        self.sheet_rows = sheet_rows
        self.max_share = max_share
        verb = "delete" if action == "delete" else "zero"
        super().__init__(
            f"sheet {sheet}: this run would {verb} {would_retire:,} of its {sheet_rows:,} rows "
            f"({would_retire / sheet_rows:.0%}), more than the {max_share:.0%} one run may retire; nothing was "
            f"written. If the source really lost those rows, launch the run again with {override}."
        )


class SheetApiError(SheetUpsertError):
    """Smartsheet refused a request (its errorCode says so): the request was not applied."""

    def __init__(self, operation: str, status: int | None, error_code: int | None, message: str):
        self.operation = operation
        self.status = status
        self.error_code = error_code
        self.message = message
        super().__init__(f"Smartsheet {operation} failed (HTTP {status}, errorCode {error_code}): {message}")


class SheetTransportError(SheetUpsertError):
    """No usable answer (connection lost, timeout, proxy error page): the request may have been applied."""

    def __init__(self, operation: str, message: str):
        self.operation = operation
        self.message = message
        super().__init__(f"Smartsheet {operation}: no usable answer ({message})")
