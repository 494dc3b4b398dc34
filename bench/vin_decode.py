"""Offline VIN decoding: ultravin alone vs motovault's full path, in the same run.

    .venv/bin/python bench/vin_decode.py [--count N] [--rounds R] [--all-cores]

VINs come from ``ultravin.generate`` (real WMIs and patterns, random serials,
correct check digits except a realistic 5% with one defect). Each round times
``ultravin.decode_batch(vins)`` and then ``motovault.vin.decode.decode_many(vins)``
(normalize + validate + decode + normalize into DecodeResult) on the same list;
the best round of each is reported with their ratio (target: >= 0.60).

motovault pauses the cyclic garbage collector while it builds a batch (see
motovault.vin.decode._gc_paused); a bare ``decode_batch`` call runs with it on, and
a good part of its Python-side time is collections rescanning the growing list
of result dicts. For transparency a third figure times ``decode_batch`` with
the collector paused too, and the ratio against that stricter baseline is
printed as well.

By default the process is pinned to one CPU, as the reference figure (about
87,000 VINs/s for ultravin) is for one core; ``--all-cores`` lifts that.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

TARGET = 0.60


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=50_000, help="VINs per round (default 50,000)")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds of each (default 5)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--invalid-rate", type=float, default=0.05, help="share of VINs with one defect (default 0.05)")
    ap.add_argument("--all-cores", action="store_true", help="do not pin the process to one CPU")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)

    cpus = "all"
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        cpus = f"cpu {cpu}"

    import ultravin

    from motovault.vin.decode import decode_many

    vins = ultravin.generate(args.count, seed=args.seed, invalid_rate=args.invalid_rate)
    # warm up both paths (lazy tables, memo caches of repeated values, allocator)
    ultravin.decode_batch(vins[:2000])
    decode_many(vins[:2000])

    base_rates: list[float] = []
    nogc_rates: list[float] = []
    full_rates: list[float] = []
    for _ in range(args.rounds):
        t = time.perf_counter()
        ultravin.decode_batch(vins)
        base_rates.append(len(vins) / (time.perf_counter() - t))
        gc.disable()
        t = time.perf_counter()
        ultravin.decode_batch(vins)
        nogc_rates.append(len(vins) / (time.perf_counter() - t))
        gc.enable()
        gc.collect()
        t = time.perf_counter()
        results = decode_many(vins)
        full_rates.append(len(vins) / (time.perf_counter() - t))
        assert len(results) == len(vins)
        del results

    base, nogc, full = max(base_rates), max(nogc_rates), max(full_rates)
    ratios = [f / b for f, b in zip(full_rates, base_rates, strict=False)]
    figures = {
        "vins": len(vins),
        "rounds": args.rounds,
        "cpus": cpus,
        "ultravin_decode_batch_per_s": round(base),
        "motovault_decode_many_per_s": round(full),
        "ultravin_decode_batch_gc_paused_per_s": round(nogc),
        "ratio_best": round(full / base, 3),
        "ratio_vs_gc_paused_baseline": round(full / nogc, 3),
        "ratio_median_per_round": round(statistics.median(ratios), 3),
        "target": TARGET,
        "data_version": ultravin.provenance().get("data_month"),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"VINs per round        {len(vins):,} ({args.rounds} rounds, {cpus}, "
              f"vPIC data {figures['data_version']})")
        print(f"ultravin.decode_batch {base:>10,.0f} VINs/s (best round)")
        print(f"motovault decode_many {full:>10,.0f} VINs/s (best round; validate + decode + normalize)")
        print(f"ultravin, gc paused   {nogc:>10,.0f} VINs/s (best round; the stricter baseline)")
        print(f"ratio                 {full / base:>10.1%} "
              f"(median per round {statistics.median(ratios):.1%}; target >= {TARGET:.0%})")
        print(f"ratio vs gc paused    {full / nogc:>10.1%}")
    return 0 if full / base >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
