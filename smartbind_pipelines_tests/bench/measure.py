"""Run one workload in a fresh Python process and measure that process alone.

The emulators live in the parent (with their threads, uvicorn and the whole fake sheet in memory), so the
parent's own CPU and RSS say nothing about the sync. Each workload therefore runs in a child started
with ``python -m smartbind_pipelines_tests.bench.child``; ``os.wait4`` returns the kernel's resource
usage for exactly that child, so CPU time and peak RSS belong to it and to no earlier child.

The configuration (which holds the sandbox tokens) goes through stdin, never argv, so it does not show in
``ps``; the child writes its JSON answer to a file named on the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


class ChildFailed(RuntimeError):
    """The workload process exited non-zero; ``stderr_tail`` holds the end of its stderr."""

    def __init__(self, workload: str, exit_code: int, stderr_tail: str):
        self.workload = workload
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        super().__init__(f"bench workload {workload!r} exited with {exit_code}:\n{stderr_tail}")


@dataclass
class ChildMeasurement:
    workload: str
    process_wall_s: float  # fork to exit, interpreter start and imports included
    cpu_s: float  # user + system of the child (kernel rusage)
    peak_rss_mb: float  # the child's VmHWM (ru_maxrss where /proc is absent)
    result: dict[str, Any] = field(default_factory=dict)  # what the workload reported

    @property
    def wall_s(self) -> float:
        """The workload's own wall time (imports excluded) when it reported one."""
        return float(self.result.get("wall_s", self.process_wall_s))


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run_child(workload: str, config: dict[str, Any], *, timeout_s: float = 3600) -> ChildMeasurement:
    """Run ``workload`` with ``config`` in a child process; raise ChildFailed if it fails."""
    with tempfile.TemporaryDirectory(prefix="smartbind-bench-") as scratch:
        result_path = Path(scratch) / "result.json"
        stderr_path = Path(scratch) / "stderr.txt"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        payload = json.dumps({"workload": workload, "config": config}).encode()
        with open(stderr_path, "wb") as stderr:
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "smartbind_pipelines_tests.bench.child", str(result_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=REPO_ROOT,
                env=env,
            )
            child.stdin.write(payload)
            child.stdin.close()
            _, status, usage = _wait4(child, timeout_s)
            process_wall = time.perf_counter() - started
        exit_code = os.waitstatus_to_exitcode(status)
        child.returncode = exit_code  # reaped by wait4: keep Popen from waiting again
        if exit_code != 0 or not result_path.exists():
            tail = stderr_path.read_text(errors="replace")[-4000:]
            raise ChildFailed(workload, exit_code, tail)
        result = json.loads(result_path.read_text())
    own_peak_kb = result.pop("_peak_rss_kb", None)
    peak_rss_mb = own_peak_kb / 1024 if own_peak_kb else _maxrss_mb(usage.ru_maxrss)
    return ChildMeasurement(
        workload=workload,
        process_wall_s=process_wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=peak_rss_mb,
        result=result,
    )


def _wait4(child: subprocess.Popen, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            return pid, status, usage
        if time.monotonic() > deadline:
            child.kill()
            return os.wait4(child.pid, 0)
        time.sleep(0.02)
