"""ProcessConfig: per-process settings (sheet id, cadence, active, operating hours) that change without a deploy."""

from smartbind_pipelines.core.process_config.defaults import (
    DB_PATH_ENV,
    DEFAULT_DB_PATH,
    default_db_path,
)
from smartbind_pipelines.core.process_config.hours import HoursError, OperatingHours
from smartbind_pipelines.core.process_config.model import (
    EDITABLE_FIELDS,
    READ_ONLY_FIELDS,
    SYNC_DIRECTIONS,
    SYSTEMS,
    ConfigValidationError,
    ProcessConfig,
    ProcessConfigUnavailable,
    UnknownProcessError,
)
from smartbind_pipelines.core.process_config.store import ProcessConfigStore

__all__ = [
    "DB_PATH_ENV",
    "DEFAULT_DB_PATH",
    "EDITABLE_FIELDS",
    "HoursError",
    "OperatingHours",
    "READ_ONLY_FIELDS",
    "SYNC_DIRECTIONS",
    "SYSTEMS",
    "ConfigValidationError",
    "ProcessConfig",
    "ProcessConfigStore",
    "ProcessConfigUnavailable",
    "UnknownProcessError",
    "default_db_path",
]
