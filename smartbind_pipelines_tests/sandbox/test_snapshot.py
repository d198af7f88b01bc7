"""The sandbox's state file (sandbox/snapshot.py): what a whole snapshot names, and a file that is not one.

The emulators' classes a snapshot names are pinned by sandbox/bind/test_state.py and
sandbox/smartsheet/test_state.py. Here: the snapshot of a running sandbox names nothing of the sandbox's own
modules (runner, sheets, snapshot), so those can be reorganised without stranding older state files.
"""

from __future__ import annotations

import io
import pickle

import pytest

from smartbind_pipelines.sandbox.runner import Sandbox
from smartbind_pipelines.sandbox.snapshot import SandboxSnapshotError, dump_snapshot, load_snapshot

EMULATORS = ("smartbind_pipelines.sandbox.bind.", "smartbind_pipelines.sandbox.smartsheet.")


class _ModulesSeen(pickle.Unpickler):
    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self.modules: set[str] = set()

    def find_class(self, module: str, name: str):
        self.modules.add(module)
        return super().find_class(module, name)

    def persistent_load(self, pid):  # the Bind schema's entities, by name (see snapshot.py)
        return pid


def test_a_snapshot_names_only_the_emulators_classes_of_the_sandbox(tmp_path):
    with Sandbox(invoices=5, state_file=tmp_path / "sandbox-state.pickle") as box:
        data = dump_snapshot(box.snapshot())
    seen = _ModulesSeen(data)
    seen.load()
    ours = {module for module in seen.modules if module.startswith("smartbind_pipelines.")}
    assert ours and all(module.startswith(EMULATORS) or module == "smartbind_pipelines.core.cdmx" for module in ours), (
        ours
    )


def test_a_file_of_another_format_is_refused_saying_how_to_start_over(tmp_path):
    path = tmp_path / "sandbox-state.pickle"
    path.write_bytes(pickle.dumps({"format": 0}))
    with pytest.raises(SandboxSnapshotError, match="make reset") as refused:
        load_snapshot(path)
    assert str(path) in str(refused.value) and "format 1" in str(refused.value)
