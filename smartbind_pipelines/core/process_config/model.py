"""The ProcessConfig record and the rules every change to it must pass.

One row per sync process (``sync_invoices``, ``sync_inventory``): which sheet it writes, how often it
runs, whether it is paused. The API, the CLI and the Dagster job all funnel changes through
:func:`apply_changes`, so a rule lives in exactly one place.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from smartbind_pipelines.core.odata import is_guid
from smartbind_pipelines.core.process_config.hours import HoursError, OperatingHours

SYSTEMS = ("bind", "smartsheet")
SYNC_DIRECTIONS = ("pull", "push", "bidirectional")
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 1440  # one day: a longer cadence is a different process, not a slower one
MAX_SHEET_ID = 2**63 - 1  # Smartsheet ids are signed 64-bit integers
MAX_TEXT_LENGTH = 2000
MAX_MAPPING_DEPTH = 20  # fields_mapping holds lists of names and ids; deeper nesting is a mistake or an attack

# Fields an operator may change, and fields only the store sets.
EDITABLE_FIELDS = (
    "name",
    "description",
    "smartsheet_sheet_id",
    "smartsheet_sheet_name",
    "interval_minutes",
    "is_active",
    "operating_hours",
    "source_system",
    "target_system",
    "sync_direction",
    "fields_mapping",
)
READ_ONLY_FIELDS = ("job_id", "created_at", "updated_at")
ALL_FIELDS = ("job_id", *EDITABLE_FIELDS, "created_at", "updated_at")


class ConfigValidationError(ValueError):
    """A change was refused; ``field`` names the offending field, ``message`` says why."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class ProcessConfigUnavailable(RuntimeError):
    """The ProcessConfig file cannot be read or written (missing, locked, corrupt, read-only, newer schema).

    ``problem`` is one line an operator can act on; it never carries a value from the file.
    """

    def __init__(self, path: object, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"ProcessConfig file {self.path} {problem}")


class UnknownProcessError(ConfigValidationError):
    """No ProcessConfig row exists for the job_id."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        super().__init__("job_id", f"unknown process {job_id!r}: no ProcessConfig row exists")


@dataclass(frozen=True)
class ProcessConfig:
    """The effective configuration of one sync process (environment fallbacks already applied)."""

    job_id: str
    name: str
    description: str = ""
    smartsheet_sheet_id: str = ""
    smartsheet_sheet_name: str = ""
    interval_minutes: int = 60
    is_active: bool = True
    # None: no window, runs day and night. Else {"start": "HH:MM", "end": "HH:MM", "days": ["mon", ...]}
    # in Mexico City time (hours.py has the rules).
    operating_hours: dict[str, Any] | None = None
    source_system: str = "bind"
    target_system: str = "smartsheet"
    sync_direction: str = "pull"
    fields_mapping: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""  # ISO-8601 with the Mexico City offset
    updated_at: str = ""

    @property
    def sheet_id_int(self) -> int | None:
        """The Smartsheet sheet id as the SDK wants it, or None when no sheet is configured."""
        return int(self.smartsheet_sheet_id) if self.smartsheet_sheet_id else None

    @property
    def hours(self) -> OperatingHours | None:
        """The operating window, or None when the process runs at every interval, day and night."""
        return OperatingHours.parse(self.operating_hours)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict in the seed's field order."""
        data = asdict(self)
        data["fields_mapping"] = json.loads(json.dumps(self.fields_mapping))  # deep copy
        data["operating_hours"] = json.loads(json.dumps(self.operating_hours))
        return data

    def editable_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


def _text(field_name: str, value: Any, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ConfigValidationError(field_name, f"must be a string, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise ConfigValidationError(field_name, "must not be empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise ConfigValidationError(field_name, f"must be at most {MAX_TEXT_LENGTH} characters")
    return value


def _sheet_id(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ConfigValidationError(
            "smartsheet_sheet_id", f"must be a string of digits or empty, got {type(value).__name__}"
        )
    value = value.strip()
    if value and not (value.isascii() and value.isdigit()):
        raise ConfigValidationError("smartsheet_sheet_id", f"must contain digits only (or be empty), got {value!r}")
    if value and not 0 < int(value) <= MAX_SHEET_ID:
        raise ConfigValidationError("smartsheet_sheet_id", f"{value} is not a valid Smartsheet sheet id")
    return value


def _interval(value: Any) -> int:
    # bool is an int subclass and 2.0 == 2: both would slip through a plain int() check.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigValidationError("interval_minutes", f"must be an integer, got {value!r}")
    if not MIN_INTERVAL_MINUTES <= value <= MAX_INTERVAL_MINUTES:
        raise ConfigValidationError(
            "interval_minutes",
            f"must be between {MIN_INTERVAL_MINUTES} and {MAX_INTERVAL_MINUTES} minutes, got {value}",
        )
    return value


def _operating_hours(value: Any) -> dict[str, Any] | None:
    try:
        hours = OperatingHours.parse(value)
    except HoursError as exc:
        raise ConfigValidationError("operating_hours", str(exc)) from None
    return None if hours is None else hours.to_json()


def _boolean(field_name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigValidationError(field_name, f"must be true or false, got {value!r}")
    return value


def _choice(field_name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigValidationError(field_name, f"must be one of {', '.join(choices)}; got {value!r}")
    return value


def _depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests, counting no further than ``limit + 1``."""
    if limit < 0 or not isinstance(value, (dict, list)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigValidationError("fields_mapping", f"must be a JSON object, got {type(value).__name__}")
    if _depth(value, MAX_MAPPING_DEPTH) > MAX_MAPPING_DEPTH:
        raise ConfigValidationError("fields_mapping", f"must not nest deeper than {MAX_MAPPING_DEPTH} levels")
    try:
        # Round-trip so what we store is exactly what a reader will load back.
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise ConfigValidationError("fields_mapping", f"must be JSON-serialisable: {str(exc)[:120]}") from None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def check_warehouse_ids(mapping: Mapping[str, Any]) -> None:
    """``warehouse_ids`` (read by the inventory sync) is a list of Bind warehouse GUIDs, checked when it is
    set rather than at the next run. Absent, null or [] means "use BIND_WAREHOUSE_ID"."""
    listed = mapping.get("warehouse_ids")
    if listed is None or listed == []:
        return
    ids = [listed] if isinstance(listed, str) else listed
    if not isinstance(ids, list):
        raise ConfigValidationError(
            "fields_mapping", f"warehouse_ids must be a list of Bind warehouse GUIDs, got {type(listed).__name__}"
        )
    for position, warehouse in enumerate(ids):
        if not is_guid(warehouse.strip() if isinstance(warehouse, str) else warehouse):
            raise ConfigValidationError(
                "fields_mapping",
                f"warehouse_ids[{position}]: {_shown(warehouse)} is not a Bind warehouse GUID "
                "(take the ID of a warehouse from GET /api/Warehouses)",
            )


_FIELD_VALIDATORS = {
    "name": lambda v: _text("name", v, required=True),
    "description": lambda v: _text("description", v),
    "smartsheet_sheet_id": _sheet_id,
    "smartsheet_sheet_name": lambda v: _text("smartsheet_sheet_name", v),
    "interval_minutes": _interval,
    "is_active": lambda v: _boolean("is_active", v),
    "operating_hours": _operating_hours,
    "source_system": lambda v: _choice("source_system", v, SYSTEMS),
    "target_system": lambda v: _choice("target_system", v, SYSTEMS),
    "sync_direction": lambda v: _choice("sync_direction", v, SYNC_DIRECTIONS),
    "fields_mapping": _mapping,
}


def validate_changes(changes: Mapping[str, Any], *, stored: bool = False) -> dict[str, Any]:
    """Check each field of a partial update on its own; return the normalised values.

    Raises ConfigValidationError naming the first field that is unknown, read-only or invalid.
    ``stored=True`` reads back a value already in the file: the content rules of fields_mapping are not
    applied there, so a value written before a rule existed still fails loudly at run time instead of
    silently falling back to the defaults.
    """
    if not isinstance(changes, Mapping):
        raise ConfigValidationError(None, f"changes must be an object of field: value, got {type(changes).__name__}")
    normalised: dict[str, Any] = {}
    for name, value in changes.items():
        if name in READ_ONLY_FIELDS:
            raise ConfigValidationError(name, "is read-only and cannot be changed")
        validator = _FIELD_VALIDATORS.get(name)
        if validator is None:
            raise ConfigValidationError(str(name), f"unknown field; editable fields are: {', '.join(EDITABLE_FIELDS)}")
        normalised[name] = validator(value)
        if name == "fields_mapping" and not stored:
            check_warehouse_ids(normalised[name])
    return normalised


def check_consistency(config: ProcessConfig, *, changed: Mapping[str, Any] | None = None) -> None:
    """Rules across fields, checked on the merged record."""
    if config.source_system == config.target_system:
        # Blame whichever side the caller touched, so the message points at what they typed.
        blamed = "target_system" if changed is None or "target_system" in changed else "source_system"
        raise ConfigValidationError(
            blamed, f"source_system and target_system must differ (both are {config.source_system!r})"
        )


def apply_changes(current: ProcessConfig, changes: Mapping[str, Any]) -> tuple[ProcessConfig, dict[str, Any]]:
    """Validate a partial update against the current record.

    Returns the new record and the normalised changes that actually differ from ``current``.
    """
    normalised = validate_changes(changes)
    effective = {k: v for k, v in normalised.items() if getattr(current, k) != v}
    updated = replace(current, **normalised)
    check_consistency(updated, changed=normalised)
    return updated, effective


def validate_new_process(values: Mapping[str, Any]) -> ProcessConfig:
    """Validate a whole record for a process that is being declared (seeding)."""
    job_id = values.get("job_id")
    if not isinstance(job_id, str) or not job_id.strip():
        raise ConfigValidationError("job_id", "must be a non-empty string")
    rest = {k: v for k, v in values.items() if k not in READ_ONLY_FIELDS}
    rest.setdefault("name", job_id)
    normalised = validate_changes(rest)
    config = ProcessConfig(job_id=job_id.strip(), **normalised)
    check_consistency(config)
    return config
