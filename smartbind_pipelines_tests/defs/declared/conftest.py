from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import dagster as dg
import pytest

from smartbind_pipelines.core.processes import ProcessDeclaration
from smartbind_pipelines.core.sheets import SheetMapping
from smartbind_pipelines.defs.declared import build_all
from smartbind_pipelines_tests.defs.support import ProcessSync


@dataclass
class DeclaredSync(ProcessSync):
    """Runs a declared process's real job against the emulators; the code location builds ``declarations``
    (the process alone by default)."""

    declaration: ProcessDeclaration | None = None
    declarations: tuple[ProcessDeclaration, ...] = ()

    @property
    def job_id(self) -> str:
        return self.declaration.job_id

    @property
    def source_asset(self) -> str:
        return self.declaration.source_asset

    @property
    def sheet_asset(self) -> str:
        return self.declaration.sheet_asset

    @property
    def mapping(self) -> SheetMapping:
        return self.declaration.mapping

    @property
    def sheet_name(self) -> str:
        return self.declaration.sheet_name

    def process_definitions(self) -> dg.Definitions:
        return build_all(list(self.declarations) or [self.declaration])

    def create_sheet(self, columns: list[dict] | None = None, name: str | None = None) -> int:
        store = self.process_config.store()
        self.declaration.effective_config(store, {})  # seeds the row, as the sensor's first tick does
        store.update(self.job_id, {"is_active": True}, via="test")
        return super().create_sheet(columns, name)

    def run(self, *, dry_run: bool = False, now: datetime | None = None) -> dg.ExecuteInProcessResult:
        return self.execute(sheet={"dry_run": dry_run}, now=now)


@pytest.fixture
def declared_sync(bind_emulator, smartsheet_emulator, process_config, instance) -> Callable[..., DeclaredSync]:
    """``declared_sync(declaration, declarations=())``: the harness of one declared process."""

    def make(declaration: ProcessDeclaration, declarations=()) -> DeclaredSync:
        return DeclaredSync(
            bind_emulator,
            smartsheet_emulator,
            process_config,
            instance,
            declaration=declaration,
            declarations=tuple(declarations),
        )

    return make
