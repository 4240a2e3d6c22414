"""What a benchmark run measured and where: the header every bench/results file starts from."""

import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def code_version() -> str:
    """The commit measured, marked `+dirty` when the engine's or the benchmark's files differ from it.
    Call it before the engine is used: it names what the run measures."""
    git = ["git", "-C", str(REPO)]
    commit = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", "worker/pipeline", "models", "bench"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return (commit or "unknown") + ("+dirty" if changed else "")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def run_header(module: str, argv: list[str] | None, code: str) -> dict[str, Any]:
    """When the run finished, its command line, the code measured and the machine."""
    return {
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": f"python -m {module} " + " ".join(argv if argv is not None else sys.argv[1:]),
        "code": code,
        "machine": cpu_model(),
        "cpus": len(os.sched_getaffinity(0)),
    }
