"""Declared pull processes (core/processes/declared.py): each declaration becomes its assets, checks, job and sensor.

``load_defs`` runs each time the code location loads: a declaration added to SMARTBIND_PROCESSES_DIR (or
changed there) applies when the location is reloaded from the UI (Deployment > Code locations > Reload).
"""

from __future__ import annotations

import os

import dagster as dg

from smartbind_pipelines.core.processes import ProcessDeclaration, declared_processes

from .factory import build_declared_defs


def build_all(declarations: list[ProcessDeclaration]) -> dg.Definitions:
    return dg.Definitions.merge(dg.Definitions(), *(build_declared_defs(declaration) for declaration in declarations))


def load_defs() -> dg.Definitions:
    """Every declared process, read from the code and SMARTBIND_PROCESSES_DIR now (bad files are logged, skipped)."""
    declarations, _ = declared_processes(os.environ)
    return build_all(declarations)
