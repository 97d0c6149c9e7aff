"""Whole-pool matching: sparse candidates, then an optimal assignment under capacities.

A round runs in four stages, each a function below: `_Pool` lays the people out as arrays,
`_candidates` keeps each mentee's best `top_k` allowed mentors, `_assign` solves an exact
min-cost flow on those candidate pairs, and `_result` names the pairs with their reasons and
explains everyone left out. `match` is exactly that composition (the benchmark times each part).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.optimize import linear_sum_assignment

from bot.mentoring.model import (
    DEFAULT_TAXONOMY,
    DEFAULT_WEIGHTS,
    OFFER_ORDER,
    MatchResult,
    MentorProfile,
    MentorRequest,
    Proposal,
    Taxonomy,
    Unmatched,
    UnmatchedReason,
    Weights,
)
from bot.mentoring.scoring import (
    OTHER_TEAM_PHRASE,
    experience_fit,
    experience_phrase,
    gap_phrase,
    offers_phrase,
    offset_minutes,
    team_key,
    time_zone_fit,
    topics_phrase,
    tz_gap_minutes,
    tz_weight,
    weight_total,
)

DEFAULT_TOP_K = 48
# Penalty that drives a forbidden pair far below any real score in the float32 screen.
_FORBIDDEN = 1.0e6
# Target size of one score block in the screen; bounds peak memory whatever the pool size.
_BLOCK_CELLS = 4_000_000
# The dense reference solver minimises cost = _BASE_COST - score; staying unmatched costs
# _BASE_COST (score 0), more than any real pair, so every real pair is preferred to nobody.
_BASE_COST = 2.0
# Scores become integer flow costs at this resolution (lowered for huge graphs, see _cost_scale).
_MAX_COST_SCALE = 1.0e12
# Threads that screen topics side by side.
_SCREEN_THREADS = 2
# Bits of the packed (mentee, screen score, mentor) sort key given to the score, at most.
_SCORE_BITS = 32

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
F32Array = npt.NDArray[np.float32]
K = TypeVar("K")


class _Pool:
    """Requests and mentors as arrays, in a canonical order (sorted by user id)."""

    def __init__(
        self,
        requests: Iterable[MentorRequest],
        mentors: Iterable[MentorProfile],
        *,
        weights: Weights,
        excluded: Collection[tuple[str, str]],
        load: Mapping[str, int],
        now: datetime | None,
        taxonomy: Taxonomy,
    ) -> None:
        """Sort both sides by id and lay their attributes out as arrays."""
        self.requests = sorted(requests, key=lambda r: r.mentee_id)
        self.mentors = sorted(mentors, key=lambda m: m.user_id)
        _refuse_duplicates([r.mentee_id for r in self.requests], "mentee")
        _refuse_duplicates([m.user_id for m in self.mentors], "mentor")
        self.weights = weights
        self.taxonomy = taxonomy
        self.slugs = taxonomy.ordered(
            {s for r in self.requests for s in r.topics}
            | {s for m in self.mentors for s in m.topics}
        )
        self.labels = tuple(taxonomy.label(s) for s in self.slugs)
        column = {slug: i for i, slug in enumerate(self.slugs)}
        teams: dict[str, int] = {}
        zones: dict[tuple[str, int], int] = {}

        def team_code(team: str) -> int:
            key = team_key(team)
            return teams.setdefault(key, len(teams)) if key else -1

        def offset(tz_name: str, fallback: int) -> int:
            key = (tz_name, fallback)
            if key not in zones:
                zones[key] = offset_minutes(tz_name, fallback, now)
            return zones[key]

        n, m, t = len(self.requests), len(self.mentors), len(self.slugs)
        self.n, self.m = n, m
        self.te = _membership(n, t, ([column[s] for s in r.topics] for r in self.requests))
        self.tm = _membership(m, t, ([column[s] for s in x.topics] for x in self.mentors))
        offer_column = {o: k for k, o in enumerate(OFFER_ORDER)}
        self.we = _membership(
            n, len(OFFER_ORDER), ([offer_column[o] for o in r.wants] for r in self.requests)
        )
        self.om = _membership(
            m, len(OFFER_ORDER), ([offer_column[o] for o in x.offers] for x in self.mentors)
        )
        self.off_e = _ints(offset(r.tz_name, r.utc_offset_minutes) for r in self.requests)
        self.off_m = _ints(offset(x.tz_name, x.utc_offset_minutes) for x in self.mentors)
        self.years_e = _ints(r.years for r in self.requests)
        self.years_m = _ints(x.years for x in self.mentors)
        self.team_e = _ints(team_code(r.team) for r in self.requests)
        self.team_m = _ints(team_code(x.team) for x in self.mentors)
        self.outside = np.fromiter((r.outside_my_team for r in self.requests), np.bool_, n)
        self.wz = np.fromiter((tz_weight(r, weights) for r in self.requests), np.float64, n)
        self.norm = np.fromiter((weight_total(r, weights) for r in self.requests), np.float64, n)
        self.capacity = _ints(x.effective_capacity for x in self.mentors)
        self.taken = _ints(max(load.get(x.user_id, 0), 0) for x in self.mentors)
        self.remaining = np.maximum(self.capacity - self.taken, 0)
        mentee_index = {r.mentee_id: i for i, r in enumerate(self.requests)}
        mentor_index = {x.user_id: j for j, x in enumerate(self.mentors)}
        self_pairs = [
            (mentee_index[x.user_id], j)
            for j, x in enumerate(self.mentors)
            if x.user_id in mentee_index
        ]
        past_pairs = [
            (mentee_index[mentee], mentor_index[mentor])
            for mentor, mentee in excluded
            if mentee in mentee_index and mentor in mentor_index
        ]
        self.self_keys = self._keys(self_pairs)
        self.past_keys = self._keys(past_pairs)
        self.blocked_keys = _sorted_unique(np.concatenate([self.self_keys, self.past_keys]))

    def _keys(self, pairs: Sequence[tuple[int, int]]) -> IntArray:
        """Encode (mentee, mentor) index pairs as sorted unique int64 keys."""
        if not pairs:
            return np.zeros(0, dtype=np.int64)
        arr = np.array(pairs, dtype=np.int64)
        return _sorted_unique(arr[:, 0] * self.m + arr[:, 1])

    def base_scores(self, ei: IntArray, mj: IntArray) -> tuple[FloatArray, BoolArray]:
        """Exact weighted fit without the load part, and whether each pair is allowed."""
        w = self.weights
        shared = (self.te[ei] & self.tm[mj]).sum(axis=1)
        topic = shared / self.te[ei].sum(axis=1)
        offered = (self.we[ei] & self.om[mj]).sum(axis=1) / self.we[ei].sum(axis=1)
        tz = time_zone_fit(tz_gap_minutes(self.off_e[ei], self.off_m[mj]))
        gap = self.years_m[mj] - self.years_e[ei]
        years = experience_fit(gap, w.full_experience_gap)
        total = w.topics * topic + w.offers * offered + self.wz[ei] * tz + w.experience * years
        same_team = self.outside[ei] & (self.team_e[ei] >= 0) & (self.team_e[ei] == self.team_m[mj])
        blocked = _contains(self.blocked_keys, ei * self.m + mj)
        allowed = (shared > 0) & (gap > 0) & (self.remaining[mj] > 0) & ~same_team & ~blocked
        return total / self.norm[ei], allowed

    def load_part(self, ei: IntArray, mj: IntArray, slot: IntArray) -> FloatArray:
        """Load-spread part of the score for taking slot `slot` of each mentor."""
        return self.load_weight()[ei] * self.slot_free(mj, slot)

    def load_weight(self) -> FloatArray:
        """Each mentee's weight on a slot's free share, once their scores are normalised."""
        weight: FloatArray = self.weights.load / self.norm
        return weight

    def slot_free(self, mj: IntArray, slot: IntArray) -> FloatArray:
        """Share of each mentor's capacity still free before slot `slot` is used."""
        capacity = np.maximum(self.capacity[mj], 1).astype(np.float64)
        free: FloatArray = np.clip(1.0 - (self.taken[mj] + slot) / capacity, 0.0, 1.0)
        return free


def _refuse_duplicates(ids: Sequence[str], side: str) -> None:
    """Refuse a pool where one person appears twice on the same side."""
    for a, b in itertools.pairwise(ids):
        if a == b:
            raise ValueError(f"{side} {a} appears more than once")


def _ints(values: Iterable[int]) -> IntArray:
    """Build an int64 array from an iterable."""
    return np.fromiter(values, dtype=np.int64)


def _membership(rows: int, width: int, columns: Iterable[list[int]]) -> BoolArray:
    """A rows × width boolean matrix with the given columns set in each row."""
    out = np.zeros((rows, width), dtype=np.bool_)
    lists = list(columns)
    counts = np.fromiter((len(c) for c in lists), dtype=np.int64, count=rows)
    flat = np.fromiter(
        itertools.chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum())
    )
    out[np.repeat(np.arange(rows), counts), flat] = True
    return out


def _sorted_unique(values: IntArray) -> IntArray:
    """Sorted distinct values (numpy's hash-based unique is far slower on large key arrays)."""
    ordered = np.sort(values)
    return ordered[_run_starts(ordered)]


def _distinct(values: FloatArray) -> FloatArray:
    """Sorted distinct values of a float array."""
    ordered = np.sort(values)
    return ordered[_run_starts(ordered)]


def _run_starts(ordered: npt.NDArray[np.generic]) -> BoolArray:
    """Mark the first element of each run of equal values in a sorted array."""
    keep = np.ones(ordered.size, dtype=np.bool_)
    if ordered.size > 1:
        np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return keep


def _contains(sorted_keys: IntArray, keys: IntArray) -> BoolArray:
    """Whether each key is in the sorted key array."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=np.bool_)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    found: BoolArray = sorted_keys[pos] == keys
    return found


def _group_starts(sorted_ids: IntArray) -> IntArray:
    """Index where each run of equal values starts in a sorted array."""
    if sorted_ids.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], sorted_ids[1:] != sorted_ids[:-1]]))


def _rank_in_group(sorted_ids: IntArray) -> IntArray:
    """Position of each element within its run of equal values."""
    starts = _group_starts(sorted_ids)
    lengths = np.diff(np.append(starts, sorted_ids.size))
    return np.arange(sorted_ids.size) - np.repeat(starts, lengths)


def _embed(pool: _Pool, active: IntArray) -> tuple[F32Array, F32Array]:
    """Factor topics, offers and time zones so that mentee row · mentor row is their part.

    Experience and load are left out: the screen adds them per mentee seniority (see
    `_TopicBlock.seniority_rows`), because the experience part does not factor.
    """
    w = pool.weights
    inv = 1.0 / pool.norm
    angle_e = pool.off_e * (2.0 * np.pi / (24 * 60))
    angle_m = pool.off_m[active] * (2.0 * np.pi / (24 * 60))
    half = 0.5 * pool.wz * inv
    mentee = np.hstack(
        [
            pool.te * (w.topics * inv / pool.te.sum(axis=1))[:, None],
            pool.we * (w.offers * inv / pool.we.sum(axis=1))[:, None],
            np.column_stack([half, half * np.cos(angle_e), half * np.sin(angle_e)]),
        ]
    )
    mentor = np.hstack(
        [
            pool.tm[active].astype(np.float64),
            pool.om[active].astype(np.float64),
            np.column_stack([np.ones(active.size), np.cos(angle_m), np.sin(angle_m)]),
        ]
    )
    return mentee.astype(np.float32), mentor.astype(np.float32)


class _Found:
    """Screened (mentee, mentor, approximate score) triples, gathered block by block."""

    def __init__(self) -> None:
        """Start empty."""
        self.ei: list[IntArray] = [np.zeros(0, dtype=np.int64)]
        self.mj: list[IntArray] = [np.zeros(0, dtype=np.int64)]
        self.score: list[F32Array] = [np.zeros(0, dtype=np.float32)]

    def add(self, ei: IntArray, mj: IntArray, score: F32Array) -> None:
        """Keep one block's finds."""
        self.ei.append(ei)
        self.mj.append(mj)
        self.score.append(score)

    def extend(self, other: _Found) -> None:
        """Keep another collection's finds after these."""
        self.ei.extend(other.ei)
        self.mj.extend(other.mj)
        self.score.extend(other.score)

    def arrays(self) -> tuple[IntArray, IntArray, F32Array]:
        """Everything found, as three arrays."""
        return np.concatenate(self.ei), np.concatenate(self.mj), np.concatenate(self.score)


class _TopicBlock:
    """The active mentors of one topic, most experienced first, ready for the screen."""

    def __init__(self, pool: _Pool, active: IntArray, mentor_vec: F32Array, topic: int) -> None:
        """Order the topic's mentors by years (descending) and index them by team."""
        local = np.flatnonzero(pool.tm[active, topic])
        order = np.argsort(-pool.years_m[active[local]], kind="stable")
        self.pool = pool
        self.cols = active[local[order]]
        self.size = self.cols.size
        self.vecs_t = np.ascontiguousarray(mentor_vec[local[order]].T)
        self.neg_years = -pool.years_m[self.cols]
        capacity = np.maximum(pool.capacity[self.cols], 1)
        self.load = pool.weights.load * (1.0 - pool.taken[self.cols] / capacity)
        team = pool.team_m[self.cols]
        known = np.flatnonzero(team >= 0)
        # Sorted team * size + position: one team's positions form a contiguous run.
        self.team_keys = np.sort(team[known] * self.size + known)

    def senior_count(self, years: int) -> int:
        """How many of these mentors have more years than `years` (they come first)."""
        return int(np.searchsorted(self.neg_years, -years, side="left"))

    def seniority_rows(self, width: int, first_year: int, span: int) -> F32Array:
        """Experience plus load part of the first `width` mentors, one row per mentee seniority.

        Row y is for mentees with first_year + y years; mentors not more experienced than
        them get a large negative value, so the pair can never be chosen.
        """
        w = self.pool.weights
        years = -self.neg_years[:width]
        gap = years[None, :] - (first_year + np.arange(span))[:, None]
        fit = w.experience * experience_fit(gap, w.full_experience_gap) + self.load[:width]
        return np.where(gap > 0, fit, -_FORBIDDEN).astype(np.float32)


def _screen(pool: _Pool, top_k: int) -> tuple[IntArray, IntArray, F32Array]:
    """Each mentee's best `top_k` allowed mentors among those whose first shared topic is t.

    Every allowed pair shares a topic, so scanning topic by topic covers them all while
    skipping the pairs that share none; a pair is scored only under its first shared topic.
    Topics are independent, so two threads share them (numpy releases the GIL while it
    multiplies and partitions); their finds are joined in topic order, so the result does
    not depend on which thread did what.
    """
    found = _Found()
    active = np.flatnonzero(pool.remaining > 0)
    if active.size == 0 or pool.n == 0:
        return found.arrays()
    mentee_vec, mentor_vec = _embed(pool, active)

    def scan(topic: int) -> _Found:
        return _screen_topic(pool, active, (mentee_vec, mentor_vec), topic, top_k)

    with ThreadPoolExecutor(max_workers=_SCREEN_THREADS) as workers:
        for part in workers.map(scan, range(len(pool.slugs))):
            found.extend(part)
    return found.arrays()


def _screen_topic(
    pool: _Pool, active: IntArray, vecs: tuple[F32Array, F32Array], topic: int, top_k: int
) -> _Found:
    """Screen the mentees and mentors of one topic.

    Mentees are taken in order of seniority and mentors most senior first, so that each
    chunk of mentees only meets the mentors more experienced than its most junior member.
    """
    found = _Found()
    mentee_vec, mentor_vec = vecs
    rows = np.flatnonzero(pool.te[:, topic])
    block = _TopicBlock(pool, active, mentor_vec, topic)
    if rows.size == 0 or block.size == 0:
        return found
    col_pos = np.full(pool.m, -1, dtype=np.int64)
    col_pos[block.cols] = np.arange(block.size)
    rows = rows[np.argsort(pool.years_e[rows], kind="stable")]
    start = 0
    while start < rows.size:
        width = block.senior_count(int(pool.years_e[rows[start]]))
        if width == 0:
            break
        chunk = rows[start : start + max(1, _BLOCK_CELLS // width)]
        start += chunk.size
        chunk = np.sort(chunk)
        scores = _chunk_scores(pool, block, chunk, topic=topic, width=width, vecs=mentee_vec)
        _forbid_same_team(pool, block, chunk, width, scores)
        _forbid_pairs(pool, chunk, col_pos, width, scores)
        e, c, s = _best_per_row(chunk, scores, top_k)
        found.add(e, block.cols[c], s)
    return found


def _chunk_scores(
    pool: _Pool, block: _TopicBlock, chunk: IntArray, *, topic: int, width: int, vecs: F32Array
) -> F32Array:
    """Approximate scores of a chunk of mentees against the first `width` mentors of a topic."""
    years = pool.years_e[chunk]
    first_year = int(years.min())
    span = int(years.max()) - first_year + 1
    base = vecs.shape[1]
    mentees = np.zeros((chunk.size, base + span), dtype=np.float32)
    mentees[:, :base] = vecs[chunk]
    mentees[np.arange(chunk.size), base + years - first_year] = 1.0 / pool.norm[chunk]
    # A mentor sharing an earlier topic with the mentee was scored under that topic already.
    earlier = mentees[:, :topic]
    earlier[pool.te[chunk, :topic]] = -_FORBIDDEN
    mentors = np.vstack([block.vecs_t[:, :width], block.seniority_rows(width, first_year, span)])
    scores: F32Array = mentees @ mentors
    return scores


def _forbid_same_team(
    pool: _Pool, block: _TopicBlock, chunk: IntArray, width: int, scores: F32Array
) -> None:
    """Blank out same-team pairs for mentees who asked for someone outside their team."""
    asking = np.flatnonzero(pool.outside[chunk] & (pool.team_e[chunk] >= 0))
    if asking.size == 0 or block.team_keys.size == 0:
        return
    size = block.cols.size
    team = pool.team_e[chunk[asking]]
    first = np.searchsorted(block.team_keys, team * size)
    last = np.searchsorted(block.team_keys, team * size + width)
    counts = last - first
    total = int(counts.sum())
    if total == 0:
        return
    rows = np.repeat(asking, counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    cols = block.team_keys[np.repeat(first, counts) + offsets] % size
    scores[rows, cols] = -np.inf


def _forbid_pairs(
    pool: _Pool, chunk: IntArray, col_pos: IntArray, width: int, scores: F32Array
) -> None:
    """Blank out self pairs and pairs that were declined or ended before."""
    keys = pool.blocked_keys
    if keys.size == 0:
        return
    lo, hi = np.searchsorted(keys, [chunk[0] * pool.m, (chunk[-1] + 1) * pool.m])
    pair_e, pair_m = np.divmod(keys[lo:hi], pool.m)
    pos = np.searchsorted(chunk, pair_e)
    col = col_pos[pair_m]
    inside = (pos < chunk.size) & (chunk[np.minimum(pos, chunk.size - 1)] == pair_e)
    inside &= (col >= 0) & (col < width)
    scores[pos[inside], col[inside]] = -np.inf


def _best_per_row(
    chunk: IntArray, scores: F32Array, top_k: int
) -> tuple[IntArray, IntArray, F32Array]:
    """The `top_k` best positive entries of each row: (mentee, column, score)."""
    width = scores.shape[1]
    if width > top_k:
        best = np.argpartition(scores, width - top_k, axis=1)[:, width - top_k :]
    else:
        best = np.broadcast_to(np.arange(width), scores.shape)
    values = np.take_along_axis(scores, best, axis=1)
    keep = values > 0
    rows = np.broadcast_to(chunk[:, None], best.shape)
    return rows[keep], best[keep].astype(np.int64, copy=False), values[keep]


def _candidates(pool: _Pool, top_k: int) -> tuple[IntArray, IntArray, FloatArray]:
    """Each mentee's best `top_k` allowed mentors, rescored exactly, grouped by mentee."""
    ei, mj, approx = _screen(pool, top_k)
    ei, mj = _top_per_mentee(pool, ei, mj, approx, top_k)
    base, allowed = pool.base_scores(ei, mj)
    return ei[allowed], mj[allowed], base[allowed]


def _top_per_mentee(
    pool: _Pool, ei: IntArray, mj: IntArray, approx: F32Array, top_k: int
) -> tuple[IntArray, IntArray]:
    """Keep the `top_k` best screened pairs of each mentee, best first, ties by mentor."""
    mentor_bits = max(int(pool.m - 1).bit_length(), 1)
    mentee_bits = max(int(pool.n - 1).bit_length(), 1)
    score_bits = min(64 - mentor_bits - mentee_bits, _SCORE_BITS)
    if score_bits >= 20:
        # One packed uint64 sort (mentee, worse score, mentor) beats a three-key lexsort.
        top = float((1 << score_bits) - 1)
        worse = np.clip(np.rint((1.0 - approx.astype(np.float64)) * top), 0, top)
        key = (ei.astype(np.uint64) << np.uint64(score_bits + mentor_bits)) | (
            worse.astype(np.uint64) << np.uint64(mentor_bits)
        )
        key = np.sort(key | mj.astype(np.uint64))
        ei = (key >> np.uint64(score_bits + mentor_bits)).astype(np.int64)
        mj = (key & np.uint64((1 << mentor_bits) - 1)).astype(np.int64)
    else:
        order = np.lexsort((mj, -approx, ei))
        ei, mj = ei[order], mj[order]
    keep = _rank_in_group(ei) < top_k
    return ei[keep], mj[keep]


def _cost_scale(num_nodes: int) -> float:
    """Integer cost resolution that cannot overflow OR-Tools' scaled costs."""
    # The solver multiplies costs by about the node count; costs here are at most 1 in size.
    return min(_MAX_COST_SCALE, float(2**62) / (4.0 * (num_nodes + 1)))


def _assign(
    pool: _Pool, ei: IntArray, mj: IntArray, base: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Exact min-cost flow over the candidate pairs under capacities and convex load costs.

    A mentor's k-th slot is worth weight × free share, and the weight depends on the mentee
    (scores are normalised per mentee), so the slot value is not a cost of the mentor alone.
    With the distinct mentee weights a_1 > … > a_c, filling slots heaviest mentee first is
    best, and its value is the sum over levels of (a_k - a_k+1) × (free shares of the first
    N_k slots), N_k counting mentees of classes 1..k. So each mentor gets a chain of c nodes:
    class-k mentees enter at node k, and node k passes on through one arc per slot costing
    -(a_k - a_k+1) × free share, which grows with the slot: the flow is exact.
    """
    if ei.size == 0:
        return _no_pairs()
    weight = pool.load_weight()
    levels = _distinct(weight[ei])[::-1]
    mentee_class = np.searchsorted(-levels, -weight)
    # Candidates come grouped by mentee: number the mentees and the mentors they reach.
    row = np.cumsum(np.concatenate([[False], ei[1:] != ei[:-1]]))
    n_e = int(row[-1]) + 1
    used = np.flatnonzero(np.bincount(mj, minlength=pool.m))
    position = np.zeros(pool.m, dtype=np.int64)
    position[used] = np.arange(used.size)
    col = position[mj]
    n_u, n_c = used.size, levels.size
    sink = n_e + n_c * n_u
    slots = np.minimum(pool.remaining[used], np.bincount(col, minlength=n_u))
    scale = _cost_scale(sink + 1)
    step = levels - np.append(levels[1:], 0.0)
    tails = [row, np.arange(n_e)]
    heads = [n_e + mentee_class[ei] * n_u + col, np.full(n_e, sink)]
    costs = [-np.rint(base * scale), np.zeros(n_e)]
    for slot in range(int(slots.max())):
        u = np.flatnonzero(slots > slot)
        free = pool.slot_free(used[u], np.full(u.size, slot, dtype=np.int64))
        for k in range(n_c):
            tails.append(n_e + k * n_u + u)
            heads.append(n_e + (k + 1) * n_u + u if k + 1 < n_c else np.full(u.size, sink))
            costs.append(-np.rint(step[k] * free * scale))
    flow = min_cost_flow.SimpleMinCostFlow()
    tail = np.concatenate(tails).astype(np.int32)
    flow.add_arcs_with_capacity_and_unit_cost(
        tail,
        np.concatenate(heads).astype(np.int32),
        np.ones(tail.size, dtype=np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    supply = np.zeros(sink + 1, dtype=np.int64)
    supply[:n_e] = 1
    supply[sink] = -n_e
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supply)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed: {status}")
    chosen = flow.flows(np.arange(ei.size, dtype=np.int32)) > 0
    return _slotted(pool, ei[chosen], mj[chosen], base[chosen])


def _slotted(
    pool: _Pool, pair_e: IntArray, pair_m: IntArray, base: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Give each mentor's freest slots to its heaviest-weighted mentees; pairs by mentee."""
    order = np.lexsort((pair_e, -pool.load_weight()[pair_e], pair_m))
    slot = _rank_in_group(pair_m[order])
    pair_e, pair_m, base = pair_e[order], pair_m[order], base[order]
    score = base + pool.load_part(pair_e, pair_m, slot)
    by_mentee = np.argsort(pair_e, kind="stable")
    return pair_e[by_mentee], pair_m[by_mentee], score[by_mentee]


def _diagnose(pool: _Pool, idx: IntArray) -> list[UnmatchedReason]:
    """Find the most fundamental reason why each mentee in `idx` (sorted) got nobody."""
    if idx.size == 0:
        return []
    if pool.m == 0:
        return [UnmatchedReason.NO_MENTORS] * idx.size
    stages = (
        UnmatchedReason.NO_SHARED_TOPIC,
        UnmatchedReason.ALREADY_PAIRED,
        UnmatchedReason.ONLY_SAME_TEAM,
        UnmatchedReason.NOBODY_MORE_EXPERIENCED,
        UnmatchedReason.ALL_AT_CAPACITY,
    )
    failed = np.full(idx.size, len(stages), dtype=np.int64)
    mentor_topics = np.ascontiguousarray(pool.tm.T, dtype=np.float32)
    step = max(1, _BLOCK_CELLS // pool.m)
    for start in range(0, idx.size, step):
        chunk = idx[start : start + step]
        ok = (pool.te[chunk].astype(np.float32) @ mentor_topics) > 0.5
        for stage in range(len(stages)):
            _apply_stage(pool, chunk, stage, ok)
            gone = ~ok.any(axis=1)
            here = failed[start : start + chunk.size]
            here[gone & (here == len(stages))] = stage
    return [
        stages[k] if k < len(stages) else UnmatchedReason.TAKEN_THIS_ROUND for k in failed.tolist()
    ]


def _apply_stage(pool: _Pool, chunk: IntArray, stage: int, ok: BoolArray) -> None:
    """Narrow `ok` (chunk × mentors) by one more hard rule, in diagnosis order."""
    if stage in (0, 1):
        keys = pool.self_keys if stage == 0 else pool.past_keys
        pair_e, pair_m = np.divmod(keys, pool.m)
        pos = np.minimum(np.searchsorted(chunk, pair_e), chunk.size - 1)
        inside = chunk[pos] == pair_e
        ok[pos[inside], pair_m[inside]] = False
    elif stage == 2:
        asking = pool.outside[chunk] & (pool.team_e[chunk] >= 0)
        ok &= ~(asking[:, None] & (pool.team_e[chunk][:, None] == pool.team_m[None, :]))
    elif stage == 3:
        ok &= pool.years_m[None, :] > pool.years_e[chunk][:, None]
    else:
        ok &= (pool.remaining > 0)[None, :]


def match(
    requests: Iterable[MentorRequest],
    mentors: Iterable[MentorProfile],
    weights: Weights = DEFAULT_WEIGHTS,
    excluded: Collection[tuple[str, str]] = frozenset(),
    *,
    load: Mapping[str, int] | None = None,
    top_k: int = DEFAULT_TOP_K,
    now: datetime | None = None,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
) -> MatchResult:
    """Propose mentors for all open requests at once, maximising the total score.

    `excluded` holds (mentor_id, mentee_id) pairs that must never be proposed again;
    `load` maps a mentor id to active mentees plus pending proposals; `now` resolves
    IANA zones to offsets (without it the stored offsets are used). The total is optimal
    over each mentee's `top_k` best allowed mentors (ranked by a float32 screen, so pairs
    within about 1e-7 of the cut may swap places).
    """
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    pool = _Pool(
        requests,
        mentors,
        weights=weights,
        excluded=excluded,
        load=load or {},
        now=now,
        taxonomy=taxonomy,
    )
    ei, mj, base = _candidates(pool, top_k)
    pair_e, pair_m, score = _assign(pool, ei, mj, base)
    return _result(pool, pair_e, pair_m, score, candidates=ei)


def _result(
    pool: _Pool, pair_e: IntArray, pair_m: IntArray, score: FloatArray, *, candidates: IntArray
) -> MatchResult:
    """Turn matched index pairs (sorted by mentee) into proposals; explain the others."""
    reasons = _reasons(pool, pair_e, pair_m)
    proposals = tuple(
        Proposal(
            request_id=pool.requests[i].request_id,
            mentee_id=pool.requests[i].mentee_id,
            mentor_id=pool.mentors[j].user_id,
            score=value,
            reasons=why,
        )
        for i, j, value, why in zip(
            pair_e.tolist(), pair_m.tolist(), score.tolist(), reasons, strict=True
        )
    )
    left = np.ones(pool.n, dtype=np.bool_)
    left[pair_e] = False
    had = np.zeros(pool.n, dtype=np.bool_)
    had[candidates] = True
    why_not = dict.fromkeys(np.flatnonzero(left & had).tolist(), UnmatchedReason.TAKEN_THIS_ROUND)
    lonely = np.flatnonzero(left & ~had)
    why_not.update(zip(lonely.tolist(), _diagnose(pool, lonely), strict=True))
    unmatched = tuple(
        Unmatched(pool.requests[i].request_id, pool.requests[i].mentee_id, why_not[i])
        for i in sorted(why_not)
    )
    return MatchResult(proposals, unmatched)


def _reasons(pool: _Pool, pair_e: IntArray, pair_m: IntArray) -> list[tuple[str, ...]]:
    """Reasons for each (mentee, mentor) pair; each distinct fact is phrased once."""
    shared = np.packbits(pool.te[pair_e] & pool.tm[pair_m], axis=1)
    offered = pool.we[pair_e] & pool.om[pair_m]
    offer_code = offered.astype(np.int64) @ (1 << np.arange(len(OFFER_ORDER)))
    gap = tz_gap_minutes(pool.off_e[pair_e], pool.off_m[pair_m])
    extra = pool.years_m[pair_m] - pool.years_e[pair_e]
    other = pool.outside[pair_e] & (pool.team_e[pair_e] != pool.team_m[pair_m])
    topics: _Phrases[bytes] = _Phrases(lambda bits: topics_phrase(_shared_labels(pool, bits)))
    offers: _Phrases[int] = _Phrases(
        lambda code: offers_phrase(frozenset(o for k, o in enumerate(OFFER_ORDER) if code >> k & 1))
    )
    gaps = _Phrases(gap_phrase)
    years = _Phrases(experience_phrase)
    facts = zip(
        map(bytes, shared),
        offer_code.tolist(),
        gap.tolist(),
        extra.tolist(),
        other.tolist(),
        strict=True,
    )
    return [
        tuple(
            p
            for p in (
                topics(t),
                gaps(g),
                offers(o),
                years(y),
                OTHER_TEAM_PHRASE if x else "",
            )
            if p
        )
        for t, o, g, y, x in facts
    ]


class _Phrases(Generic[K]):
    """A phrase maker that phrases each distinct fact once."""

    def __init__(self, make: Callable[[K], str]) -> None:
        """Wrap the function that phrases one fact."""
        self.make = make
        self.cache: dict[K, str] = {}

    def __call__(self, fact: K) -> str:
        """The phrase for this fact."""
        phrase = self.cache.get(fact)
        if phrase is None:
            phrase = self.cache[fact] = self.make(fact)
        return phrase


def _shared_labels(pool: _Pool, bits: bytes) -> tuple[str, ...]:
    """Labels of the topics set in a packed bit row, in display order."""
    flags = np.unpackbits(np.frombuffer(bits, dtype=np.uint8))[: len(pool.slugs)]
    return tuple(pool.labels[k] for k in np.flatnonzero(flags))


def exact_match(
    requests: Iterable[MentorRequest],
    mentors: Iterable[MentorProfile],
    weights: Weights = DEFAULT_WEIGHTS,
    excluded: Collection[tuple[str, str]] = frozenset(),
    *,
    load: Mapping[str, int] | None = None,
    now: datetime | None = None,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
) -> MatchResult:
    """Reference solver: a dense assignment over every pair and slot (small pools only)."""
    pool = _Pool(
        requests,
        mentors,
        weights=weights,
        excluded=excluded,
        load=load or {},
        now=now,
        taxonomy=taxonomy,
    )
    if pool.n == 0 or pool.m == 0:
        return _result(pool, *_no_pairs(), candidates=np.zeros(0, dtype=np.int64))
    ei = np.repeat(np.arange(pool.n, dtype=np.int64), pool.m)
    mj = np.tile(np.arange(pool.m, dtype=np.int64), pool.n)
    base, allowed = pool.base_scores(ei, mj)
    slot_start = np.concatenate([[0], np.cumsum(pool.remaining)])
    n_slots = int(slot_start[-1])
    cost = np.full((pool.n, n_slots + pool.n), _FORBIDDEN)
    cost[:, n_slots:] = _BASE_COST
    for s in range(int(pool.remaining.max())):
        use = allowed & (pool.remaining[mj] > s)
        slot = np.full(int(use.sum()), s, dtype=np.int64)
        score = base[use] + pool.load_part(ei[use], mj[use], slot)
        cost[ei[use], slot_start[mj[use]] + s] = _BASE_COST - score
    row_ind, col_ind = linear_sum_assignment(cost)
    matched = col_ind < n_slots
    pair_e, col = row_ind[matched].astype(np.int64), col_ind[matched].astype(np.int64)
    pair_m = np.searchsorted(slot_start, col, side="right") - 1
    pair_base, _ = pool.base_scores(pair_e, pair_m)
    score = pair_base + pool.load_part(pair_e, pair_m, col - slot_start[pair_m])
    return _result(pool, pair_e, pair_m, score, candidates=ei[allowed])


def _no_pairs() -> tuple[IntArray, IntArray, FloatArray]:
    """Empty matched-pair arrays."""
    empty = np.zeros(0, dtype=np.int64)
    return empty, empty, np.zeros(0, dtype=np.float64)


def best_for(
    request: MentorRequest,
    mentors: Iterable[MentorProfile],
    weights: Weights = DEFAULT_WEIGHTS,
    excluded: Collection[tuple[str, str]] = frozenset(),
    *,
    load: Mapping[str, int] | None = None,
    asked: Collection[str] = frozenset(),
    now: datetime | None = None,
    taxonomy: Taxonomy = DEFAULT_TAXONOMY,
) -> Proposal | Unmatched:
    """The best available mentor for one request, skipping mentors already `asked`.

    Ties go to the mentor whose id sorts first.
    """
    pool = _Pool(
        [request],
        mentors,
        weights=weights,
        excluded=excluded,
        load=load or {},
        now=now,
        taxonomy=taxonomy,
    )
    mj = np.arange(pool.m, dtype=np.int64)
    ei = np.zeros(pool.m, dtype=np.int64)
    base, allowed = pool.base_scores(ei, mj)
    score = base + pool.load_part(ei, mj, np.zeros_like(mj))
    not_asked = np.array([m.user_id not in asked for m in pool.mentors], dtype=np.bool_)
    usable = np.flatnonzero(allowed & not_asked)
    if usable.size:
        j = int(usable[np.argmax(score[usable])])
        pair = np.array([j], dtype=np.int64)
        (reasons,) = _reasons(pool, np.zeros(1, dtype=np.int64), pair)
        return Proposal(
            request_id=request.request_id,
            mentee_id=request.mentee_id,
            mentor_id=pool.mentors[j].user_id,
            score=float(score[j]),
            reasons=reasons,
        )
    (reason,) = _diagnose(pool, np.zeros(1, dtype=np.int64))
    if reason is UnmatchedReason.TAKEN_THIS_ROUND:
        reason = UnmatchedReason.ALREADY_ASKED
    return Unmatched(request.request_id, request.mentee_id, reason)
