"""The sandbox's state file (``sandbox-state.pickle``): how the emulators' state is written and read back.

A snapshot is a dict (format ``SNAPSHOT_FORMAT``) holding the Bind and Smartsheet states, the sheet ids, the
tokens, the business events played and the activity's random state. It is pickled with the emulators' locks
held (``quiescent``); locks are stored as fresh unlocked locks and the Bind schema's entities by name, so a
newer schema applies on load. Attributes a newer class sets in ``__init__`` get their fresh default on load.
The classes a snapshot names live in the emulators' packages (see the guard tests in
``smartbind_pipelines_tests/sandbox/*/test_state.py``); nothing defined here is pickled.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import threading
from pathlib import Path

SNAPSHOT_FORMAT = 1

_LOCK_FACTORIES = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


class SandboxSnapshotError(RuntimeError):
    """The state file exists but cannot be loaded; nothing was started (`make reset` starts over)."""


def _schema_constants() -> dict[int, str]:
    """id -> name of the Bind schema's module-level objects: pickled by name, so a newer schema applies."""
    from smartbind_pipelines.sandbox.bind import schema

    return {id(value): name for name, value in vars(schema).items() if isinstance(value, schema.Entity)}


class _StatePickler(pickle.Pickler):
    """Locks become fresh unlocked locks; the Bind schema's entities are referenced by name."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._constants = _schema_constants()

    def reducer_override(self, obj):
        factory = _LOCK_FACTORIES.get(type(obj))
        if factory is not None:
            return factory, ()
        return NotImplemented

    def persistent_id(self, obj):
        name = self._constants.get(id(obj))
        return ("bind.schema", name) if name is not None else None


class _StateUnpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        from smartbind_pipelines.sandbox.bind import schema

        kind, name = pid
        if kind != "bind.schema" or not isinstance(getattr(schema, name, None), schema.Entity):
            raise pickle.UnpicklingError(f"unknown schema object {pid!r}")
        return getattr(schema, name)


def dump_snapshot(snapshot: dict) -> bytes:
    buffer = io.BytesIO()
    _StatePickler(buffer).dump(snapshot)
    return buffer.getvalue()


def write_snapshot(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only (it holds the sandbox tokens)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def load_snapshot(path: Path) -> dict:
    """The snapshot in ``path``, with attributes newer code added filled in from fresh objects."""
    from smartbind_pipelines.sandbox.bind import BindState
    from smartbind_pipelines.sandbox.smartsheet import SmartsheetState

    try:
        with open(path, "rb") as handle:
            snapshot = _StateUnpickler(handle).load()
        if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a sandbox snapshot of format {SNAPSHOT_FORMAT}")
        if not isinstance(snapshot["bind"], BindState) or not isinstance(snapshot["smartsheet"], SmartsheetState):
            raise ValueError("the snapshot does not hold a Bind and a Smartsheet state")
    except Exception as exc:  # noqa: BLE001 - any failure means: this file cannot be resumed
        raise SandboxSnapshotError(
            f"the sandbox state in {path} cannot be loaded ({type(exc).__name__}: {exc}); `make reset` starts "
            "over (it clears the emulators and the sync state together)"
        ) from exc
    _fill_missing(snapshot["bind"], BindState.empty())
    _fill_missing(snapshot["smartsheet"], SmartsheetState())
    _fill_missing(snapshot["smartsheet"].config, type(snapshot["smartsheet"].config)())
    return snapshot


def _fill_missing(loaded: object, fresh: object) -> None:
    """Attributes a newer version of the class sets in __init__ get their fresh default."""
    for name, value in vars(fresh).items():
        if name not in vars(loaded):
            setattr(loaded, name, value)


@contextlib.contextmanager
def quiescent(bind_state, smartsheet_state, timeout: float = 10.0):
    """Hold both emulators' locks (Bind's, the sheet registry's and every sheet's) while pickling."""
    with contextlib.ExitStack() as held:
        locks = [getattr(bind_state, "_lock", None), getattr(smartsheet_state, "_registry_lock", None)]
        for lock in locks:
            if lock is not None:
                if not lock.acquire(timeout=timeout):
                    raise TimeoutError("the sandbox state stayed busy; the snapshot waits for the next round")
                held.callback(lock.release)
        for sheet in list(getattr(smartsheet_state, "sheets", {}).values()):
            if not sheet.data_lock.acquire(timeout=timeout):
                raise TimeoutError(f"sheet {sheet.id} stayed busy; the snapshot waits for the next round")
            held.callback(sheet.data_lock.release)
        yield
