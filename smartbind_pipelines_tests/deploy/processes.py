"""Long-running subprocesses for the process-level tests, each in its own process group.

Every service starts in a new session, so stopping it also stops what it spawned (the gRPC server's run
workers). Output goes to one log file per service; a failure message carries the tail of the logs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable


class ServiceDied(RuntimeError):
    pass


class ProcessGroup:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")
        try:
            process = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()  # the child holds its own descriptor
        self.processes[name] = process
        return process

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def all_logs(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {name} (last {lines} lines) ---\n{self.log_tail(name, lines)}" for name in self.processes
        )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise ServiceDied(f"{name} exited with {process.returncode}\n{self.all_logs()}")

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float = 60.0, every: float = 0.25):
        """Poll `ready` until it is truthy; fail early, with the logs, if a service dies meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            try:
                result = ready()
            except Exception:  # not up yet: connection refused, half-started server, ...
                result = None
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}\n{self.all_logs()}")
            time.sleep(every)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every group, then SIGKILL whatever is still there after `grace` seconds."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        # Also kill the group when the leader is gone: a run worker may outlive its gRPC server.
        for process in self.processes.values():
            _signal_group(process, signal.SIGKILL)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)  # start_new_session: the group id is the leader's pid
    except (ProcessLookupError, PermissionError):
        pass
