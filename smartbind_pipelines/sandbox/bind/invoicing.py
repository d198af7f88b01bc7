"""The Bind emulator's invoicing settings: switches for the behaviours of ``POST /api/Invoices`` that the
contract marks [G] (shared/contracts/bind-invoicing.md §2.4, §5, §9.1), read and changed through
``/_sandbox/invoicing``. Pickled sandbox state names ``InvoicingSettings`` by this module's path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

# [G] AW's CFDI_USE_MAP (bind-invoicing.md §2.4): the index Bind takes in CFDIUse -> the SAT c_UsoCFDI code.
DEFAULT_CFDI_USES = (
    "G01",
    "G02",
    "G03",
    "I01",
    "I02",
    "I03",
    "I04",
    "I05",
    "I06",
    "I07",
    "I08",
    "D01",
    "D02",
    "D03",
    "D04",
    "D05",
    "D06",
    "D07",
    "D08",
    "D09",
    "D10",
    "P01",
    "S01",
    "CP01",
    "CN01",
)

STAMPING_MODES = ("sync", "deferred", "fail")


@dataclass
class InvoicingSettings:
    """Switches for the behaviours the contract marks [G]; read and changed through ``/_sandbox/invoicing``.

    stamping: ``sync`` — the UUID is there on the first read (default); ``deferred`` — the UUID stays null
      until the sale was read ``stamp_after_reads`` times by id (``GET /api/Invoices/{id}``) or
      ``stamp_after_seconds`` passed (whichever is set and comes first; neither set = only the admin stamp
      route stamps it); ``fail`` — stamping fails with ``fail_message``: ``fail_as="error"`` answers the POST
      with 400 and creates nothing, ``fail_as="unstamped"`` creates the sale and never stamps it.
    strict_required: a missing or zero-GUID required field is a ModelState error (default). Off, value types
      bind their defaults (zero GUID, 0, 0001-01-01) and the business checks refuse what they can.
    cfdi_uses: the CFDIUse index table; an index outside it is refused.
    honour_number: a non-zero ``Number`` in the body is used as the folio (default: ignored, next folio).
    warehouse_location_check: a warehouse must belong to ``LocationID`` unless ``AvailableInOtherLoc``.
    """

    stamping: str = "sync"
    stamp_after_reads: int = 0
    stamp_after_seconds: float = 0.0
    fail_message: str = "Error al timbrar: el SAT rechazó el comprobante."
    fail_as: str = "error"
    strict_required: bool = True
    cfdi_uses: tuple[str, ...] = DEFAULT_CFDI_USES
    default_serie: str = "FAC"
    honour_number: bool = False
    warehouse_location_check: bool = True

    def update(self, changes: dict) -> "InvoicingSettings":
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown invoicing setting(s): {', '.join(unknown)}")
        merged = {**self.as_dict(), **changes}
        if merged["stamping"] not in STAMPING_MODES:
            raise ValueError(f"stamping must be one of {', '.join(STAMPING_MODES)}, not {merged['stamping']!r}")
        if merged["fail_as"] not in ("error", "unstamped"):
            raise ValueError(f"fail_as must be 'error' or 'unstamped', not {merged['fail_as']!r}")
        for name in ("stamp_after_reads",):
            value = merged[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
        value = merged["stamp_after_seconds"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
            raise ValueError(f"stamp_after_seconds must be a non-negative number, not {value!r}")
        for name in ("strict_required", "honour_number", "warehouse_location_check"):
            if not isinstance(merged[name], bool):
                raise ValueError(f"{name} must be true or false, not {merged[name]!r}")
        for name in ("fail_message", "default_serie"):
            if not isinstance(merged[name], str):
                raise ValueError(f"{name} must be text, not {merged[name]!r}")
        uses = merged["cfdi_uses"]
        if not isinstance(uses, (list, tuple)) or not all(isinstance(u, str) for u in uses):
            raise ValueError("cfdi_uses must be a list of SAT codes (index = the CFDIUse integer)")
        merged["cfdi_uses"] = tuple(uses)
        merged["stamp_after_seconds"] = float(value)
        return InvoicingSettings(**merged)

    def as_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["cfdi_uses"] = list(self.cfdi_uses)
        return out
