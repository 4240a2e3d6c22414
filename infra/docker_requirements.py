"""Print the pip requirements of one image target, read from pyproject.toml (the one list of deps).

    python infra/docker_requirements.py gateway|worker-cpu|worker-gpu < pyproject.toml

The images run the code from the source tree (worker/pipeline/config.py finds models/ next to it),
so they install the project's dependencies, not the project. The GPU worker leaves out the CPU
``paddlepaddle`` pin: its ``paddlepaddle-gpu`` comes from Paddle's own index (see Dockerfile).
"""

from __future__ import annotations

import re
import sys
import tomllib
from typing import Any

TARGETS = ("gateway", "worker-cpu", "worker-gpu")


def requirements(pyproject: dict[str, Any], target: str) -> list[str]:
    project = pyproject["project"]
    base: list[str] = list(project["dependencies"])
    if target == "gateway":
        return base
    worker: list[str] = list(project["optional-dependencies"]["worker"])
    if target == "worker-cpu":
        return base + worker
    if target == "worker-gpu":
        return base + [dep for dep in worker if not _is_cpu_paddle(dep)]
    raise ValueError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")


def _is_cpu_paddle(requirement: str) -> bool:
    name = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    return name is not None and re.sub(r"[-_.]+", "-", name.group(0)).lower() == "paddlepaddle"


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(TARGETS)}}} < pyproject.toml")
    pyproject = tomllib.loads(sys.stdin.read())
    print("\n".join(requirements(pyproject, sys.argv[1])))


if __name__ == "__main__":
    main()
