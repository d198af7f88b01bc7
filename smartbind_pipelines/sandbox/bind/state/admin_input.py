"""What the Bind emulator's mutators accept from tests and the ``/_sandbox`` admin API: fields coerced to
their types, a bounded generate count, and the error for a record that does not exist."""

from __future__ import annotations

from smartbind_pipelines.sandbox.bind.schema import Entity, coerce

MAX_GENERATE = 100_000


class UnknownRecord(LookupError):
    """A mutator named a record that does not exist (the admin API answers 404)."""


def typed_fields(fields: dict, entity: Entity, extra: dict[str, str], what: str) -> dict:
    """Admin-supplied fields coerced to their types; unknown names are refused, naming the field."""
    types = {**entity.types, **extra}
    unknown = sorted(set(fields) - set(types))
    if unknown:
        raise ValueError(f"unknown {what} field(s): {', '.join(unknown)}")
    return {name: coerce(value, types[name], f"{what} field {name}") for name, value in fields.items()}


def check_generate_count(count) -> None:
    """``count`` of a generate call: an integer from 0 to MAX_GENERATE."""
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_GENERATE:
        raise ValueError(f"count must be an integer from 0 to {MAX_GENERATE}, not {count!r}")
