"""Column definitions: validation on sheet creation and on column update (rename, move, retype)."""

from __future__ import annotations

from smartbind_pipelines.sandbox.smartsheet.cells import CREATABLE_TYPES, OPTION_TYPES, SYSTEM_COLUMN_TYPES, Column
from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, missing_attribute, not_emulated

_COLUMN_SPEC_KEYS = frozenset(
    {
        "title",
        "type",
        "primary",
        "options",
        "symbol",
        "width",
        "systemColumnType",
        "description",
        "format",
        "hidden",
        "locked",
        "validation",
        "autoNumberFormat",
        "tags",
        "contactOptions",
    }
)


def _titles_clash(a: str, b: str) -> bool:
    # Compared without case or surrounding blanks: the stricter reading of "titles must be unique".
    return a.strip().casefold() == b.strip().casefold()


def _check_column_spec(spec) -> None:
    if not isinstance(spec, dict):
        raise SmartsheetError(
            400, 1008, "Unable to parse request. The following error occurred: each column must be a JSON object."
        )
    title = spec.get("title")
    if not isinstance(title, str) or not title.strip():
        raise missing_attribute("column.title")
    if "type" not in spec:
        raise missing_attribute("column.type")
    if spec["type"] not in CREATABLE_TYPES:
        raise SmartsheetError(
            400,
            1031,
            f"The value {spec['type']} is not valid for column.type. Allowed: {', '.join(sorted(CREATABLE_TYPES))}.",
        )
    options = spec.get("options")
    if options is not None:
        if spec["type"] not in OPTION_TYPES:
            raise SmartsheetError(400, 1060, f"Column options are not allowed for column type {spec['type']}.")
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            raise SmartsheetError(
                400,
                1008,
                "Unable to parse request. The following error occurred: column.options must be a list of strings.",
            )
        if spec.get("symbol") is not None:
            raise SmartsheetError(400, 1059, "Column options may not be specified together with a symbol.")
    system = spec.get("systemColumnType")
    if system is not None and system not in SYSTEM_COLUMN_TYPES:
        raise SmartsheetError(400, 1031, f"The value {system} is not valid for column.systemColumnType.")


def validate_new_columns(columns) -> None:
    """The checks of POST /sheets, in the order the contract lists them (1054, 1055, 1057, 1133)."""
    if not isinstance(columns, list) or not columns:
        raise SmartsheetError(400, 1054, "The new sheet requires either a fromId or columns.")
    for spec in columns:
        _check_column_spec(spec)
    primaries = [spec for spec in columns if spec.get("primary") is True]
    if len(primaries) != 1:
        raise SmartsheetError(400, 1055, "One and only one column must be primary.")
    if primaries[0]["type"] != "TEXT_NUMBER":
        raise SmartsheetError(400, 1057, "Primary columns must be of type TEXT_NUMBER.")
    seen: list[str] = []
    for spec in columns:
        if any(_titles_clash(spec["title"], other) for other in seen):
            raise SmartsheetError(400, 1133, "Column titles are not unique among input columns.")
        seen.append(spec["title"])


def build_column(column_id: int, spec: dict) -> Column:
    extra = {
        k: v
        for k, v in spec.items()
        if k in _COLUMN_SPEC_KEYS
        and k not in {"title", "type", "primary", "options", "symbol", "width", "systemColumnType", "description"}
    }
    return Column(
        id=column_id,
        title=spec["title"],
        type=spec["type"],
        primary=spec.get("primary") is True,
        options=list(spec["options"]) if spec.get("options") is not None else None,
        symbol=spec.get("symbol"),
        system_column_type=spec.get("systemColumnType"),
        description=spec.get("description"),
        width=int(spec.get("width") or 150),
        extra=extra,
    )


_UPDATABLE = frozenset(
    {"title", "index", "type", "options", "symbol", "width", "description", "format", "hidden", "locked", "validation"}
)
_READ_ONLY_ON_UPDATE = frozenset({"id", "version", "primary", "systemColumnType", "sheetId"})


def apply_column_update(columns: list[Column], column: Column, spec) -> None:
    """PUT /sheets/{id}/columns/{cid}: validate the change fully, then apply it to ``columns`` in place."""
    if not isinstance(spec, dict):
        raise SmartsheetError(
            400, 1008, "Unable to parse request. The following error occurred: the column must be a JSON object."
        )
    refused = sorted(k for k in spec if k in _READ_ONLY_ON_UPDATE)
    if refused:
        raise SmartsheetError(
            400,
            1032,
            "The attribute(s) " + ", ".join(f"column.{k}" for k in refused) + " are not allowed for this operation.",
        )
    unknown = sorted(k for k in spec if k not in _UPDATABLE)
    if unknown:
        raise SmartsheetError(
            400, 1008, f'Unable to parse request. The following error occurred: Unrecognized field "{unknown[0]}".'
        )
    if "title" in spec:
        title = spec["title"]
        if not isinstance(title, str) or not title.strip():
            raise missing_attribute("column.title")
        if any(other is not column and _titles_clash(title, other.title) for other in columns):
            raise SmartsheetError(400, 1056, "Column titles must be unique.")
    new_type = spec.get("type", column.type)
    if new_type not in CREATABLE_TYPES:
        raise SmartsheetError(400, 1031, f"The value {new_type} is not valid for column.type.")
    if column.primary and new_type != "TEXT_NUMBER":
        raise SmartsheetError(400, 1057, "Primary columns must be of type TEXT_NUMBER.")
    if spec.get("options") is not None and new_type not in OPTION_TYPES:
        raise SmartsheetError(400, 1060, f"Column options are not allowed for column type {new_type}.")
    if "index" in spec:
        index = spec["index"]
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(columns):
            raise SmartsheetError(400, 1018, f"The value {index} was not valid for the parameter column.index.")
    if new_type != column.type and column.system_column_type is not None:
        raise not_emulated("changing the type of a system column")

    if "title" in spec:
        column.title = spec["title"]
    column.type = new_type
    if "options" in spec:
        column.options = list(spec["options"]) if spec["options"] is not None else None
    if new_type not in OPTION_TYPES:
        column.options = None
    for key in ("symbol", "description"):
        if key in spec:
            setattr(column, key, spec[key])
    if "width" in spec:
        column.width = int(spec["width"])
    if "index" in spec:
        columns.remove(column)
        columns.insert(spec["index"], column)
