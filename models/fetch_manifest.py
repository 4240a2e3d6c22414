"""Fetch, verify and unpack the production models listed in models/manifest.json.

Called by the GPU image's Dockerfile at build time (never at run time):

    python models/fetch_manifest.py --dest /opt/models --profile ppocrv5-mobile

Each archive is streamed to disk while hashing; a sha256 mismatch aborts the build. Entries whose
sha256 is still null abort too, unless --record is given: then the digest is printed and written
back into the manifest (trust on first use — commit the updated manifest so later builds verify).
Archives are unpacked safely (no absolute paths, links or `..`) into <dest>/<dir>/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

MANIFEST = Path(__file__).resolve().parent / "manifest.json"
REQUIRED_FILES = ("inference.yml", "inference.pdiparams")


def download(url: str, target: Path) -> str:
    """Stream `url` to `target`; return its sha256."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
        for block in iter(lambda: response.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def unpack(archive: Path, destination: Path) -> None:
    """Extract the archive's files into `destination`, dropping the single top-level folder."""
    with tarfile.open(archive) as tar, tempfile.TemporaryDirectory() as scratch:
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
        tar.extractall(scratch, members=members, filter="data")
        roots = [p for p in Path(scratch).iterdir()]
        source = roots[0] if len(roots) == 1 and roots[0].is_dir() else Path(scratch)
        missing = [name for name in REQUIRED_FILES if not (source / name).is_file()]
        if missing:
            raise SystemExit(f"{archive.name}: missing {missing} after unpacking")
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(source, destination)


def fetch(entry: dict[str, Any], dest: Path, record: bool) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / Path(entry["url"]).name
        digest = download(entry["url"], archive)
        expected = entry.get("sha256")
        if expected is None and not record:
            raise SystemExit(
                f"{entry['name']}: sha256 not pinned in the manifest (got {digest}); "
                "rerun with --record once, review, and commit the manifest"
            )
        if expected is not None and digest != expected:
            raise SystemExit(f"{entry['name']}: sha256 {digest} != pinned {expected}")
        unpack(archive, dest / entry["dir"])
    return digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, required=True, help="model root (EngineConfig.model_root)")
    parser.add_argument("--profile", action="append", help="only models of this profile (repeatable)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--record", action="store_true", help="pin digests of unpinned entries")
    args = parser.parse_args(argv)

    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    entries = [e for e in manifest["models"] if not args.profile or set(args.profile) & set(e["profiles"])]
    if not entries:
        raise SystemExit(f"no manifest entries for profiles {args.profile}")
    args.dest.mkdir(parents=True, exist_ok=True)
    changed = False
    for entry in entries:
        digest = fetch(entry, args.dest, args.record)
        if entry.get("sha256") is None:
            entry["sha256"] = digest
            changed = True
        print(f"{entry['name']}: sha256 {digest} -> {args.dest / entry['dir']}")
    if changed:
        args.manifest.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"recorded new digests in {args.manifest}; commit it", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
