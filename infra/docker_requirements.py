"""Print the pip requirements of one image target, read from pyproject.toml (the one list of deps).

    python infra/docker_requirements.py gateway|worker-cpu|worker-gpu|opencv-contrib < pyproject.toml

The images run the code from the source tree (worker/pipeline/config.py finds models/ next to it),
so they install the project's dependencies, not the project. The GPU worker leaves out the CPU
``paddlepaddle`` pin: its ``paddlepaddle-gpu`` comes from Paddle's own index (see Dockerfile).

``opencv-contrib`` prints opencv-contrib-python at the version of the project's OpenCV pin: paddlex
installs that package too, both own the ``cv2`` module, and the worker images reinstall it last so
the two agree (as the Makefile does for the dev venv).
"""

from __future__ import annotations

import re
import sys
import tomllib
from typing import Any

TARGETS = ("gateway", "worker-cpu", "worker-gpu", "opencv-contrib")


def requirements(pyproject: dict[str, Any], target: str) -> list[str]:
    project = pyproject["project"]
    base: list[str] = list(project["dependencies"])
    if target == "gateway":
        return base
    worker: list[str] = list(project["optional-dependencies"]["worker"])
    if target == "worker-cpu":
        return base + worker
    if target == "worker-gpu":
        return base + [dep for dep in worker if _name(dep) != "paddlepaddle"]
    if target == "opencv-contrib":
        (pin,) = [dep for dep in base if _name(dep) == "opencv-python-headless"]
        version = re.fullmatch(r"opencv-python-headless==([\w.]+)", pin.replace(" ", "").split("#")[0])
        if version is None:
            raise ValueError(f"the OpenCV requirement must be an exact pin, not {pin!r}")
        return [f"opencv-contrib-python=={version.group(1)}"]
    raise ValueError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else ""


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(TARGETS)}}} < pyproject.toml")
    pyproject = tomllib.loads(sys.stdin.read())
    print("\n".join(requirements(pyproject, sys.argv[1])))


if __name__ == "__main__":
    main()
