"""models/fetch_manifest.py against a local archive (file:// URL): digest check, pinning, unpacking."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from worker.pipeline.config import REPO_ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fetch_manifest", REPO_ROOT / "models" / "fetch_manifest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _archive(tmp_path: Path) -> Path:
    folder = tmp_path / "Fake_det_infer"
    folder.mkdir()
    (folder / "inference.yml").write_text("Global:\n  model_name: Fake_det\n")
    (folder / "inference.pdiparams").write_bytes(b"\x00" * 64)
    archive = tmp_path / "Fake_det_infer.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(folder, arcname=folder.name)
    return archive


def _manifest(tmp_path: Path, archive: Path, sha256: str | None) -> Path:
    entry = {
        "name": "Fake_det",
        "version": "1",
        "url": archive.as_uri(),
        "sha256": sha256,
        "dir": "Fake_det",
        "profiles": ["p"],
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"models": [entry]}))
    return path


def test_pinned_digest_verifies_and_unpacks(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    dest = tmp_path / "models"
    assert _script().main(["--dest", str(dest), "--manifest", str(_manifest(tmp_path, archive, digest))]) == 0
    assert (dest / "Fake_det" / "inference.yml").read_text().startswith("Global:")


def test_wrong_digest_aborts(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    manifest = _manifest(tmp_path, archive, "0" * 64)
    with pytest.raises(SystemExit, match="sha256"):
        _script().main(["--dest", str(tmp_path / "models"), "--manifest", str(manifest)])
    assert not (tmp_path / "models" / "Fake_det").exists()


def test_unpinned_entry_needs_record_and_is_then_pinned(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    manifest = _manifest(tmp_path, archive, None)
    with pytest.raises(SystemExit, match="not pinned"):
        _script().main(["--dest", str(tmp_path / "models"), "--manifest", str(manifest)])
    assert _script().main(["--dest", str(tmp_path / "models"), "--manifest", str(manifest), "--record"]) == 0
    pinned = json.loads(manifest.read_text())["models"][0]["sha256"]
    assert pinned == hashlib.sha256(archive.read_bytes()).hexdigest()


def test_shipped_manifest_covers_every_gpu_profile() -> None:
    manifest = json.loads((REPO_ROOT / "models" / "manifest.json").read_text())
    profiles = json.loads((REPO_ROOT / "models" / "profiles.json").read_text())
    for profile in ("ppocrv5-mobile", "ppocrv5-server"):
        dirs = {e["dir"] for e in manifest["models"] if profile in e["profiles"]}
        assert dirs == {entry["dir"] for entry in profiles[profile].values()}, profile
