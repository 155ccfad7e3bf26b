"""bench/quality.py's calibration trial helpers: the isotonic map and its lookup."""

from __future__ import annotations

from bench_modules import load_bench

quality = load_bench("quality")


def test_isotonic_pools_violations_into_a_non_decreasing_map() -> None:
    points = [(0.1, False), (0.2, True), (0.3, False), (0.6, True), (0.9, True)]
    steps = quality.isotonic(points)
    shares = [share for _, share in steps]
    assert shares == sorted(shares)
    # 0.2 (right) and 0.3 (wrong) violate the order and are pooled to one block of share 0.5
    assert steps == [(0.1, 0.0), (0.2, 0.5), (0.6, 1.0)]


def test_calibrated_reads_the_block_a_score_falls_in() -> None:
    steps = [(0.1, 0.0), (0.2, 0.5), (0.6, 1.0)]
    assert quality.calibrated(steps, 0.05) == 0.0  # below the first block: its share
    assert quality.calibrated(steps, 0.2) == 0.5
    assert quality.calibrated(steps, 0.59) == 0.5
    assert quality.calibrated(steps, 0.95) == 1.0
    assert quality.calibrated([], 0.5) == 0.0
