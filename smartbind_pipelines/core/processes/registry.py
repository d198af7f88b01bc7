"""Every process smartbind runs: the built-in ones, the shipped declarations and the operator's.

The operator's declarations are the ``*.toml`` files in ``SMARTBIND_PROCESSES_DIR``, read at each call (the
code location calls it when it loads, so a new or changed file applies on "Reload" in the UI, with no
deploy). A file that does not validate, or repeats a job id, is left out and its problem logged.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping

from smartbind_pipelines.core.processes.builtin import BUILT_IN
from smartbind_pipelines.core.processes.declared import ProcessDeclaration
from smartbind_pipelines.core.processes.files import DECLARATIONS_DIR_ENV, SHIPPED_DIR, load_declarations
from smartbind_pipelines.core.processes.model import Process
from smartbind_pipelines.core.sheets import SheetMapping

log = logging.getLogger(__name__)


@functools.cache
def _shipped() -> tuple[tuple[ProcessDeclaration, ...], tuple[str, ...]]:
    declarations, problems = load_declarations(SHIPPED_DIR)
    return tuple(declarations), tuple(problems)


def declared_processes(env: Mapping[str, str] | None = None) -> tuple[list[ProcessDeclaration], list[str]]:
    """The shipped declarations plus those in ``SMARTBIND_PROCESSES_DIR``, and the problems of any left out
    (a file repeating a job_id, or one that does not validate). ``env`` defaults to the process environment."""
    env = os.environ if env is None else env
    shipped, shipped_problems = _shipped()
    declarations = list(shipped)
    problems = list(shipped_problems)
    directory = (env.get(DECLARATIONS_DIR_ENV) or "").strip()
    if directory:
        extra, extra_problems = load_declarations(directory)
        problems += extra_problems
        for declaration in extra:
            if any(existing.job_id == declaration.job_id for existing in declarations):
                problems.append(f"process declaration {declaration.job_id}: job_id already declared; file ignored")
                continue
            declarations.append(declaration)
    for problem in problems:
        log.error("%s", problem)
    return declarations, problems


def processes_and_problems(env: Mapping[str, str] | None = None) -> tuple[list[Process], list[str]]:
    """Every process (built-in first, then the declared ones), and the problems of declarations left out."""
    declarations, problems = declared_processes(env)
    return [*BUILT_IN, *(declaration.process for declaration in declarations)], problems


def all_processes(env: Mapping[str, str] | None = None) -> list[Process]:
    return processes_and_problems(env)[0]


def get_process(job_id: str, env: Mapping[str, str] | None = None) -> Process | None:
    return next((process for process in all_processes(env) if process.job_id == job_id), None)


def built_in_process(job_id: str) -> Process | None:
    """A process defined in Python (its rows are the ones a new ProcessConfig file is seeded with)."""
    return next((process for process in BUILT_IN if process.job_id == job_id), None)


def process_mapping(job_id: str, env: Mapping[str, str] | None = None) -> SheetMapping | None:
    """The SheetMapping a process's sheet has, or None for a job id no process has."""
    process = get_process(job_id, env)
    return process.mapping if process else None


# The sheet-id variable of every process shipped with smartbind (an operator's declarations name their own).
SHEET_ID_ENV: dict[str, str] = {process.job_id: process.sheet_id_env for process in all_processes({})}
