"""Feature alignment: SIFT (what the engine uses) next to ORB, on the same quality gate.

Queries: perturbed synthetic documents (true homography known) and the real jkb/xcm screens.
Aligned = passed the gate and, where the truth is known, every region corner within 3 template
pixels of it. Time is CPU time of feature extraction + matching + fit per query (template
features precomputed, as the engine does). Writes bench/results/align_methods.json and .md.

    python -m bench.align_methods --per-layout 10
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from common.schemas import parse_regions
from worker.pipeline import compile_template, decode_image
from worker.pipeline.align import GateLimits, align_features, project, sane_homography
from worker.pipeline.compile import FEATURE_SIDE, CompiledTemplate, load_compiled, to_gray_scaled

REPO = Path(__file__).resolve().parents[1]
HEALTHCODE = REPO.parent / "shared" / "eval" / "aws-healthcode"
RESULTS = REPO / "bench" / "results"
ORB_FEATURES = 4000
MAX_CORNER_ERROR_PX = 3.0


class OrbTemplate:
    def __init__(self, image: np.ndarray) -> None:
        gray, self.scale = to_gray_scaled(image)
        orb = cv2.ORB_create(nfeatures=ORB_FEATURES)
        keypoints, self.descriptors = orb.detectAndCompute(gray, None)
        self.points = np.array([kp.pt for kp in keypoints], np.float32)
        self.size = (image.shape[1], image.shape[0])


def align_orb(template: OrbTemplate, query: np.ndarray, limits: GateLimits) -> tuple[np.ndarray | None, str]:
    """ORB + Hamming 2-NN ratio test + MAGSAC, then the engine's gate."""
    gray, scale = to_gray_scaled(query)
    keypoints, descriptors = cv2.ORB_create(nfeatures=ORB_FEATURES).detectAndCompute(gray, None)
    if descriptors is None or template.descriptors is None or len(keypoints) < limits.min_inliers:
        return None, "too few features"
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(descriptors, template.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance]
    if len(good) < limits.min_inliers:
        return None, f"{len(good)} matches"
    src = template.points[[m.trainIdx for m in good]]
    dst = np.array([keypoints[m.queryIdx].pt for m in good], np.float32)
    homography, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, 4.0, maxIters=5000)
    if homography is None:
        return None, "no homography"
    inliers = int(mask.sum())
    errors = np.linalg.norm(project(homography, src[mask.ravel() > 0]) - dst[mask.ravel() > 0], axis=1)
    if inliers < limits.min_inliers or inliers / len(good) < limits.min_inlier_ratio:
        return None, f"{inliers} inliers"
    if float(np.median(errors)) > limits.max_reprojection_px:
        return None, "reprojection error"
    full = np.diag([1 / scale, 1 / scale, 1.0]) @ homography @ np.diag([template.scale, template.scale, 1.0])
    problem = sane_homography(full / full[2, 2], template.size, (query.shape[1], query.shape[0]), limits)
    return (None, problem) if problem else (full / full[2, 2], "ok")


def corner_error(found: np.ndarray, truth: np.ndarray, compiled: CompiledTemplate) -> float:
    """Largest distance between region corners mapped by `found` and by `truth`, in template pixels
    (query distances divided by the true local scale)."""
    corners = compiled.region_quads.reshape(-1, 2)
    scale = np.sqrt(abs(np.linalg.det(truth[:2, :2])))
    return float(np.abs(project(found, corners) - project(truth, corners)).max() / scale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-layout", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    limits = GateLimits()
    rows: dict[str, dict[str, list[Any]]] = {
        m: {"ok": [], "cpu_ms": [], "error": []} for m in ("sift", "orb")
    }
    queries: list[tuple[str, np.ndarray, CompiledTemplate, OrbTemplate, np.ndarray | None]] = []
    with tempfile.TemporaryDirectory() as scratch:
        command = [sys.executable, "-m", "bench.synth", "dataset", "--out", scratch, "--perturb", "all"]
        command += ["--per-layout", str(args.per_layout), "--seed", str(args.seed)]
        subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        data = json.loads((Path(scratch) / "cases.json").read_text(encoding="utf-8"))
        templates = {}
        for layout, spec in data["templates"].items():
            image = decode_image((Path(scratch) / spec["image"]).read_bytes())
            raw = json.loads((Path(scratch) / spec["regions"]).read_text(encoding="utf-8"))
            regions = parse_regions(raw)
            templates[layout] = (load_compiled(compile_template(image, regions)), OrbTemplate(image))
        for case in data["cases"]:
            query = decode_image((Path(scratch) / case["query"]).read_bytes())
            compiled, orb = templates[case["layout"]]
            queries.append((case["id"], query, compiled, orb, np.array(case["homography"])))
    if HEALTHCODE.is_dir():
        raw_templates = json.loads((HEALTHCODE / "templates.json").read_text(encoding="utf-8"))
        for layout, query_name in (("jkb", "jkb-test-input.png"), ("xcm", "xcm-test-input.jpeg")):
            image = decode_image((HEALTHCODE / f"{layout}-template.png").read_bytes())
            regions = parse_regions(raw_templates[layout])
            query = decode_image((HEALTHCODE / query_name).read_bytes())
            queries.append(
                (layout, query, load_compiled(compile_template(image, regions)), OrbTemplate(image), None)
            )

    per_query = []
    for name, query, compiled, orb, truth in queries:
        started = time.process_time()
        sift_fit, _ = align_features(compiled, query, limits)
        sift_ms = (time.process_time() - started) * 1000
        started = time.process_time()
        orb_h, _ = align_orb(orb, query, limits)
        orb_ms = (time.process_time() - started) * 1000
        record: dict[str, Any] = {"query": name}
        for method, homography, ms in (
            ("sift", sift_fit and sift_fit.homography, sift_ms),
            ("orb", orb_h, orb_ms),
        ):
            error = None if homography is None or truth is None else corner_error(homography, truth, compiled)
            ok = homography is not None and (error is None or error <= MAX_CORNER_ERROR_PX)
            rows[method]["ok"].append(ok)
            rows[method]["cpu_ms"].append(ms)
            if error is not None:
                rows[method]["error"].append(error)
            record[method] = {"ok": ok, "cpu_ms": round(ms, 1), "corner_error_px": error and round(error, 2)}
        per_query.append(record)

    summary = {
        method: {
            "aligned": f"{sum(r['ok'])}/{len(r['ok'])}",
            "cpu_ms_p50": round(float(np.median(r["cpu_ms"])), 1),
            "corner_error_px_p50": round(float(np.median(r["error"])), 2) if r["error"] else None,
            "corner_error_px_max": round(float(np.max(r["error"])), 2) if r["error"] else None,
        }
        for method, r in rows.items()
    }
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"per_layout": args.per_layout, "seed": args.seed, "summary": summary, "queries": per_query}
    (args.out / "align_methods.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    lines = [
        "# Feature alignment: SIFT vs ORB (same gate)",
        "",
        f"`python -m bench.align_methods --per-layout {args.per_layout} --seed {args.seed}`: "
        f"{len(queries)} queries (perturbed synthetic with true homography, plus jkb/xcm real screens). "
        f"Aligned = passed the gate and, where the truth is known, every region corner within "
        f"{MAX_CORNER_ERROR_PX} template px. Features at longest side {FEATURE_SIDE} px.",
        "",
        "| method | aligned | CPU ms p50 | corner error p50 / max (px) |",
        "|---|---:|---:|---:|",
    ]
    for method, s in summary.items():
        errors = f"{s['corner_error_px_p50']} / {s['corner_error_px_max']}"
        lines.append(f"| {method} | {s['aligned']} | {s['cpu_ms_p50']} | {errors} |")
    (args.out / "align_methods.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
