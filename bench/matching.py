"""Matching benchmark: wall time and peak memory of whole-pool rounds, and the gap to optimum.

Run from the repository root: python -m bench.matching [--top-k K]
Each case runs in its own child process so that its peak RSS (resource.getrusage,
ru_maxrss of that child) is not inflated by an earlier case. A scale case times the four
stages that `match` is made of (prepare the arrays, generate candidates, solve the min-cost
flow, build reasons and diagnoses) one after the other, checks that they give exactly what
`match` gives, and reports the wall time of the stages together.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bot.mentoring import (
    DEFAULT_TAXONOMY,
    DEFAULT_TOP_K,
    DEFAULT_WEIGHTS,
    MentorProfile,
    MentorRequest,
    Offer,
    match,
    matching,
)
from bot.mentoring.matching import exact_match

ZONES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo",
    "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Europe/Moscow",
    "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Singapore", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney",
    "Pacific/Noumea", "Pacific/Auckland",
)  # fmt: skip
TEAMS = tuple(f"team-{k:02d}" for k in range(50))
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SLUGS = tuple(t.slug for t in DEFAULT_TAXONOMY.topics)
OFFERS = tuple(Offer)


def _subset(
    rng: np.random.Generator, items: tuple[str, ...], low: int, high: int
) -> frozenset[str]:
    """A random subset of `low`..`high` items."""
    size = int(rng.integers(low, high + 1))
    return frozenset(items[k] for k in rng.choice(len(items), size=size, replace=False))


def _offers(rng: np.random.Generator) -> frozenset[Offer]:
    """A random non-empty set of offers."""
    return frozenset(OFFERS[k] for k in rng.choice(3, size=int(rng.integers(1, 4)), replace=False))


def make_pool(
    n_mentees: int, n_mentors: int, seed: int
) -> tuple[list[MentorRequest], list[MentorProfile], set[tuple[str, str]], dict[str, int]]:
    """A reproducible random pool with a few past pairs and some mentors already busy."""
    rng = np.random.default_rng(seed)
    mentors = [
        MentorProfile(
            user_id=f"UM{j:06d}",
            topics=_subset(rng, SLUGS, 1, 4),
            offers=_offers(rng),
            capacity=int(rng.integers(1, 4)),
            years=int(rng.integers(0, 31)),
            team=TEAMS[int(rng.integers(len(TEAMS)))],
            tz_name=ZONES[int(rng.integers(len(ZONES)))],
        )
        for j in range(n_mentors)
    ]
    requests = [
        MentorRequest(
            request_id=f"R{i:06d}",
            mentee_id=f"UE{i:06d}",
            topics=_subset(rng, SLUGS, 1, 4),
            wants=_offers(rng),
            years=int(rng.integers(0, 31)),
            prefers_close_tz=bool(rng.random() < 0.3),
            outside_my_team=bool(rng.random() < 0.3),
            team=TEAMS[int(rng.integers(len(TEAMS)))],
            tz_name=ZONES[int(rng.integers(len(ZONES)))],
        )
        for i in range(n_mentees)
    ]
    excluded = {
        (
            mentors[int(rng.integers(n_mentors))].user_id,
            requests[int(rng.integers(n_mentees))].mentee_id,
        )
        for _ in range(n_mentees // 20)
    }
    load = {m.user_id: 1 for m in mentors if rng.random() < 0.1}
    return requests, mentors, excluded, load


def run_scale(size: int, top_k: int) -> dict[str, float | bool]:
    """Time one round on a size × size pool, stage by stage; report this process's peak RSS."""
    requests, mentors, excluded, load = make_pool(size, size, seed=size)
    before = _peak_rss_mib()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    pool = matching._Pool(
        requests,
        mentors,
        weights=DEFAULT_WEIGHTS,
        excluded=excluded,
        load=load,
        now=NOW,
        taxonomy=DEFAULT_TAXONOMY,
    )
    t1 = time.perf_counter()
    ei, mj, base = matching._candidates(pool, top_k)
    t2 = time.perf_counter()
    pair_e, pair_m, score = matching._assign(pool, ei, mj, base)
    t3 = time.perf_counter()
    result = matching._result(pool, pair_e, pair_m, score, candidates=ei)
    t4 = time.perf_counter()
    cpu = time.process_time() - cpu0
    peak = _peak_rss_mib()
    same = result == match(requests, mentors, excluded=excluded, load=load, top_k=top_k, now=NOW)
    return {
        "size": size,
        "wall_s": t4 - t0,
        "cpu_s": cpu,
        "prepare_s": t1 - t0,
        "candidates_s": t2 - t1,
        "solve_s": t3 - t2,
        "reasons_s": t4 - t3,
        "arcs": int(ei.size),
        "rss_before_mib": before,
        "peak_rss_mib": peak,
        "matched": len(result.proposals),
        "unmatched": len(result.unmatched),
        "total": result.total_score,
        "same_as_match": same,
    }


def run_gap(size: int, top_k: int) -> dict[str, float]:
    """Compare the round's total score with the exact dense solver on the same pool."""
    requests, mentors, excluded, load = make_pool(size, size, seed=7)
    start = time.perf_counter()
    fast = match(requests, mentors, excluded=excluded, load=load, top_k=top_k, now=NOW)
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    exact = exact_match(requests, mentors, excluded=excluded, load=load, now=NOW)
    exact_s = time.perf_counter() - start
    gap = 100.0 * (exact.total_score - fast.total_score) / exact.total_score
    return {
        "size": size,
        "fast_total": fast.total_score,
        "exact_total": exact.total_score,
        "gap_pct": gap,
        "fast_matched": len(fast.proposals),
        "exact_matched": len(exact.proposals),
        "fast_s": fast_s,
        "exact_s": exact_s,
    }


def _peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(case: str, size: int, top_k: int) -> dict[str, Any]:
    """Run one case in a fresh interpreter and read its JSON line."""
    cmd = [sys.executable, "-m", "bench.matching", "--case", case, "--size", str(size)]
    cmd += ["--top-k", str(top_k)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Run every case (or one, with --case) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=("scale", "gap"))
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--top-k", type=int, default=DEFAULT_TOP_K)
    args = parser.parse_args()
    if args.case == "scale":
        print(json.dumps(run_scale(args.size, args.top_k)))
        return
    if args.case == "gap":
        print(json.dumps(run_gap(args.size, args.top_k)))
        return
    print(
        f"top_k={args.top_k} (candidates per mentee); peak RSS = ru_maxrss (getrusage) of a "
        "fresh child process per case, which includes building the random pool"
    )
    for size, target in ((10_000, 2.0), (50_000, 20.0)):
        r = _child("scale", size, args.top_k)
        print(
            f"{size:>6} x {size:<6} wall {r['wall_s']:6.2f} s (target <= {target:g} s) = "
            f"prepare {r['prepare_s']:.2f} + candidates {r['candidates_s']:.2f} + "
            f"solve {r['solve_s']:.2f} + reasons {r['reasons_s']:.2f}  "
            f"[{r['arcs']} candidate arcs; CPU time {r['cpu_s']:.2f} s]"
        )
        print(
            f"{'':15} peak RSS {r['peak_rss_mib']:7.1f} MiB (before the round "
            f"{r['rss_before_mib']:.1f}; target <= 1536 MiB at 10k)  matched {r['matched']}  "
            f"unmatched {r['unmatched']}  total {r['total']:.4f}  "
            f"stages == match(): {r['same_as_match']}"
        )
    g = _child("gap", 3_000, args.top_k)
    print(
        f" 3000 x 3000  total {g['fast_total']:.4f} vs exact {g['exact_total']:.4f}: "
        f"gap {g['gap_pct']:.4f} % (goal <= 0.1 %)  matched {g['fast_matched']} vs "
        f"{g['exact_matched']}  time {g['fast_s']:.2f} s vs exact {g['exact_s']:.1f} s"
    )


if __name__ == "__main__":
    main()
