from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest

from smartbind_pipelines.core.processes import ProcessDeclaration
from smartbind_pipelines.defs.declared import build_all
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines_tests.defs.support import (
    create_process_sheet,
    emulator_resources,
    mapping_columns,
    sheet_rows,
    write_requests,
)


@dataclass
class DeclaredSync:
    """Runs a declared process's real job against the emulators."""

    bind: Any
    smartsheet: Any
    process_config: ProcessConfigResource
    instance: dg.DagsterInstance

    def resources(self) -> dict[str, Any]:
        return emulator_resources(self.bind, self.smartsheet, self.process_config)

    def create_sheet(self, declaration: ProcessDeclaration) -> int:
        store = self.process_config.store()
        declaration.effective_config(store, {})  # seeds the row, as the sensor's first tick does
        store.update(declaration.job_id, {"is_active": True}, via="test")
        return create_process_sheet(self.smartsheet, self.process_config, declaration.job_id,
                                    declaration.sheet_name, mapping_columns(declaration.mapping))

    def run(self, declarations: list[ProcessDeclaration], job_id: str, *, dry_run: bool = False):
        built = build_all(declarations)
        definitions = dg.Definitions(assets=built.assets, asset_checks=built.asset_checks, jobs=built.jobs,
                                     sensors=built.sensors, resources={**built.resources, **self.resources()})
        sheet_asset = f"smartsheet_{job_id.removeprefix('sync_')}"
        return definitions.resolve_job_def(job_id).execute_in_process(
            run_config={"ops": {sheet_asset: {"config": {"dry_run": dry_run}}}},
            instance=self.instance, raise_on_error=False)

    def rows(self, sheet_id: int) -> list[dict]:
        return sheet_rows(self.smartsheet, sheet_id)

    def writes(self) -> int:
        return write_requests(self.smartsheet)


@pytest.fixture
def declared_sync(bind_emulator, smartsheet_emulator, process_config, instance):
    return DeclaredSync(bind_emulator, smartsheet_emulator, process_config, instance)
