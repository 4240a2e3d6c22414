"""The throughput benchmark runs the real engine and writes consistent figures (needs the dev models)."""

import json
from pathlib import Path

from bench import throughput


def test_quick_run_writes_images_per_second(tmp_path: Path) -> None:
    argv = ["--queries", "3", "--rounds", "1", "--batch-sizes", "1", "3", "--out", str(tmp_path)]
    assert throughput.main(argv) == 0
    report = json.loads((tmp_path / "throughput.json").read_text(encoding="utf-8"))
    assert [row["batch_size"] for row in report["rows"]] == [1, 3]
    for row in report["rows"]:
        assert row["images"] == 3 and row["images_per_s"] > 0 and row["batch_latency_p50_ms"] > 0
    assert report["run"]["fields"] == 5
    assert "| 3 | 3 |" in (tmp_path / "throughput.md").read_text(encoding="utf-8")
