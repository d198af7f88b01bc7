"""Entry point of a measured child process: ``python -m smartbind_pipelines_tests.bench.child RESULT``.

Reads ``{"workload": name, "config": {...}}`` from stdin, runs the workload and writes its report (a
JSON object) to RESULT. Imports happen before the workload's clock starts, as in a long-lived Dagster
code server where they are paid once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m smartbind_pipelines_tests.bench.child RESULT_PATH", file=sys.stderr)
        return 2
    request = json.load(sys.stdin)
    from smartbind_pipelines_tests.bench import workloads

    run = workloads.WORKLOADS[request["workload"]]
    report = run(request["config"])
    report["_peak_rss_kb"] = peak_rss_kb()
    Path(argv[1]).write_text(json.dumps(report, default=str))
    return 0


def peak_rss_kb() -> int | None:
    """This process's own high-water RSS (Linux VmHWM), or None where /proc is absent.

    Not ``ru_maxrss``: on Linux, exec keeps the parent's RSS at fork time as the child's starting
    maximum, so a child of a parent that holds 20,000 emulated rows would report the parent's size.
    VmHWM belongs to the address space exec created, so it is the child's alone.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv))
