"""Whole-pool matching: sparse candidates, then an optimal assignment under capacities."""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

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
    describe_fit,
    experience_fit,
    offset_minutes,
    team_key,
    time_zone_fit,
    tz_gap_minutes,
    tz_weight,
    weight_total,
)

DEFAULT_TOP_K = 24
# Penalty that drives a forbidden pair far below any real score in the float32 screen.
_FORBIDDEN = 1.0e6
# Target size of one score block in the screen; bounds peak memory whatever the pool size.
_BLOCK_CELLS = 4_000_000
# Matching minimises cost = _BASE_COST - score; staying unmatched costs _BASE_COST (score 0).
# It must exceed every score so that no edge weight is zero (zeros are missing edges in scipy).
_BASE_COST = 2.0

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
F32Array = npt.NDArray[np.float32]


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
        self.te = np.zeros((n, t), dtype=np.bool_)
        self.tm = np.zeros((m, t), dtype=np.bool_)
        self.we = np.zeros((n, len(OFFER_ORDER)), dtype=np.bool_)
        self.om = np.zeros((m, len(OFFER_ORDER)), dtype=np.bool_)
        for i, r in enumerate(self.requests):
            self.te[i, [column[s] for s in r.topics]] = True
            self.we[i] = [o in r.wants for o in OFFER_ORDER]
        for j, mentor in enumerate(self.mentors):
            self.tm[j, [column[s] for s in mentor.topics]] = True
            self.om[j] = [o in mentor.offers for o in OFFER_ORDER]
        self.off_e = _ints(offset(r.tz_name, r.utc_offset_minutes) for r in self.requests)
        self.off_m = _ints(offset(x.tz_name, x.utc_offset_minutes) for x in self.mentors)
        self.years_e = _ints(r.years for r in self.requests)
        self.years_m = _ints(x.years for x in self.mentors)
        self.team_e = _ints(team_code(r.team) for r in self.requests)
        self.team_m = _ints(team_code(x.team) for x in self.mentors)
        self.outside = np.array([r.outside_my_team for r in self.requests], dtype=np.bool_)
        self.wz = np.array([tz_weight(r, weights) for r in self.requests], dtype=np.float64)
        self.norm = np.array([weight_total(r, weights) for r in self.requests], dtype=np.float64)
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
        self.blocked_keys = np.union1d(self.self_keys, self.past_keys)

    def _keys(self, pairs: Sequence[tuple[int, int]]) -> IntArray:
        """Encode (mentee, mentor) index pairs as sorted unique int64 keys."""
        if not pairs:
            return np.zeros(0, dtype=np.int64)
        arr = np.array(pairs, dtype=np.int64)
        return np.unique(arr[:, 0] * self.m + arr[:, 1])

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
        blocked = np.isin(ei * self.m + mj, self.blocked_keys)
        allowed = (shared > 0) & (gap > 0) & (self.remaining[mj] > 0) & ~same_team & ~blocked
        return total / self.norm[ei], allowed

    def load_part(self, ei: IntArray, mj: IntArray, slot: IntArray) -> FloatArray:
        """Load-spread part of the score for taking slot `slot` of each mentor."""
        capacity = np.maximum(self.capacity[mj], 1).astype(np.float64)
        free = np.clip(1.0 - (self.taken[mj] + slot) / capacity, 0.0, 1.0)
        return self.weights.load * free / self.norm[ei]

    def reasons(self, i: int, j: int) -> tuple[str, ...]:
        """Reasons for pairing mentee i with mentor j."""
        shared = np.flatnonzero(self.te[i] & self.tm[j])
        offered = frozenset(o for k, o in enumerate(OFFER_ORDER) if self.we[i, k] and self.om[j, k])
        gap = tz_gap_minutes(self.off_e[i : i + 1], self.off_m[j : j + 1])
        return describe_fit(
            shared_labels=tuple(self.labels[k] for k in shared),
            gap_minutes=int(gap[0]),
            offered=offered,
            extra_years=int(self.years_m[j] - self.years_e[i]),
            other_team=bool(self.outside[i]) and int(self.team_e[i]) != int(self.team_m[j]),
        )


def _refuse_duplicates(ids: Sequence[str], side: str) -> None:
    """Refuse a pool where one person appears twice on the same side."""
    for a, b in itertools.pairwise(ids):
        if a == b:
            raise ValueError(f"{side} {a} appears more than once")


def _ints(values: Iterable[int]) -> IntArray:
    """Build an int64 array from an iterable."""
    return np.fromiter(values, dtype=np.int64)


def _embed(pool: _Pool, active: IntArray) -> tuple[F32Array, F32Array]:
    """Factor the score so that mentee row · mentor row is the fit, forbidden pairs negative."""
    w = pool.weights
    inv = 1.0 / pool.norm
    mentee_years, year_col = np.unique(pool.years_e, return_inverse=True)
    year_onehot = np.zeros((pool.n, mentee_years.size))
    year_onehot[np.arange(pool.n), year_col] = 1.0
    angle_e = pool.off_e * (2.0 * np.pi / (24 * 60))
    angle_m = pool.off_m[active] * (2.0 * np.pi / (24 * 60))
    half = 0.5 * pool.wz * inv
    mentee = np.hstack(
        [
            pool.te * (w.topics * inv / pool.te.sum(axis=1))[:, None],
            pool.we * (w.offers * inv / pool.we.sum(axis=1))[:, None],
            np.column_stack([half, half * np.cos(angle_e), half * np.sin(angle_e)]),
            year_onehot * inv[:, None],
            inv[:, None],
        ]
    )
    gap = pool.years_m[active][:, None] - mentee_years[None, :]
    years = np.where(
        gap > 0, w.experience * experience_fit(gap, w.full_experience_gap), -_FORBIDDEN
    )
    capacity = np.maximum(pool.capacity[active], 1)
    mentor = np.hstack(
        [
            pool.tm[active].astype(np.float64),
            pool.om[active].astype(np.float64),
            np.column_stack([np.ones(active.size), np.cos(angle_m), np.sin(angle_m)]),
            years,
            (w.load * (1.0 - pool.taken[active] / capacity))[:, None],
        ]
    )
    return mentee.astype(np.float32), mentor.astype(np.float32)


def _screen(pool: _Pool, top_k: int) -> tuple[IntArray, IntArray]:
    """Pairs worth considering: each mentee's best `top_k` allowed mentors, per shared topic."""
    active = np.flatnonzero(pool.remaining > 0)
    if active.size == 0 or pool.n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    mentee_vec, mentor_vec = _embed(pool, active)
    blocked_e, blocked_m = np.divmod(pool.blocked_keys, pool.m)
    found_e: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    found_m: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    col_pos = np.full(pool.m, -1, dtype=np.int64)
    # Every allowed pair shares a topic, so scanning topic by topic covers them all while
    # skipping the pairs that share none; a pair met under two topics is deduplicated below.
    for t in range(len(pool.slugs)):
        rows = np.flatnonzero(pool.te[:, t])
        local = np.flatnonzero(pool.tm[active, t])
        if rows.size == 0 or local.size == 0:
            continue
        cols = active[local]
        block_mentors = np.ascontiguousarray(mentor_vec[local].T)
        col_pos[cols] = np.arange(cols.size)
        step = max(1, _BLOCK_CELLS // cols.size)
        for start in range(0, rows.size, step):
            chunk = rows[start : start + step]
            scores = mentee_vec[chunk] @ block_mentors
            _forbid_same_team(pool, chunk, cols, scores)
            _forbid_pairs(chunk, col_pos, blocked_e, blocked_m, scores)
            e, m = _best_per_row(chunk, cols, scores, top_k)
            found_e.append(e)
            found_m.append(m)
        col_pos[cols] = -1
    keys = np.unique(np.concatenate(found_e) * pool.m + np.concatenate(found_m))
    return np.divmod(keys, pool.m)


def _forbid_same_team(pool: _Pool, chunk: IntArray, cols: IntArray, scores: F32Array) -> None:
    """Blank out same-team pairs for mentees who asked for someone outside their team."""
    asking = np.flatnonzero(pool.outside[chunk] & (pool.team_e[chunk] >= 0))
    if asking.size == 0:
        return
    r, c = np.nonzero(pool.team_e[chunk[asking]][:, None] == pool.team_m[cols][None, :])
    scores[asking[r], c] = -np.inf


def _forbid_pairs(
    chunk: IntArray, col_pos: IntArray, pair_e: IntArray, pair_m: IntArray, scores: F32Array
) -> None:
    """Blank out self pairs and pairs that were declined or ended before."""
    if pair_e.size == 0:
        return
    pos = np.searchsorted(chunk, pair_e)
    inside = (pos < chunk.size) & (chunk[np.minimum(pos, chunk.size - 1)] == pair_e)
    inside &= col_pos[pair_m] >= 0
    scores[pos[inside], col_pos[pair_m[inside]]] = -np.inf


def _best_per_row(
    chunk: IntArray, cols: IntArray, scores: F32Array, top_k: int
) -> tuple[IntArray, IntArray]:
    """The `top_k` best positive entries of each row as (mentee, mentor) index pairs."""
    if cols.size > top_k:
        best = np.argpartition(scores, cols.size - top_k, axis=1)[:, cols.size - top_k :]
    else:
        best = np.broadcast_to(np.arange(cols.size), scores.shape)
    keep = np.take_along_axis(scores, best, axis=1) > 0
    rows = np.broadcast_to(chunk[:, None], best.shape)
    return rows[keep].astype(np.int64), cols[best[keep]].astype(np.int64)


def _candidates(pool: _Pool, top_k: int) -> tuple[IntArray, IntArray, FloatArray]:
    """Screened pairs rescored exactly, allowed only, the best `top_k` per mentee."""
    ei, mj = _screen(pool, top_k)
    base, allowed = pool.base_scores(ei, mj)
    ei, mj, base = ei[allowed], mj[allowed], base[allowed]
    first = base + pool.load_part(ei, mj, np.zeros_like(mj))
    order = np.lexsort((mj, -first, ei))
    ei, mj, base = ei[order], mj[order], base[order]
    starts = np.searchsorted(ei, ei, side="left")
    rank = np.arange(ei.size) - starts
    keep = rank < top_k
    return ei[keep], mj[keep], base[keep]


def _assign(
    pool: _Pool, ei: IntArray, mj: IntArray, base: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Optimal assignment of candidate pairs to mentor slots; returns matched pairs and scores."""
    if ei.size == 0:
        return ei, mj, base
    mentees, row = np.unique(ei, return_inverse=True)
    # A mentor never needs more slots than the mentees who could take them.
    slots = np.minimum(pool.remaining, np.bincount(mj, minlength=pool.m))
    slot_start = np.concatenate([[0], np.cumsum(slots)])
    n_slots = int(slot_start[-1])
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    costs: list[FloatArray] = []
    for s in range(int(slots.max())):
        use = slots[mj] > s
        slot = np.full(int(use.sum()), s, dtype=np.int64)
        score = base[use] + pool.load_part(ei[use], mj[use], slot)
        rows.append(row[use])
        cols.append(slot_start[mj[use]] + s)
        costs.append(_BASE_COST - score)
    rows.append(np.arange(mentees.size))
    cols.append(n_slots + np.arange(mentees.size))
    costs.append(np.full(mentees.size, _BASE_COST))
    graph = csr_matrix(
        (np.concatenate(costs), (np.concatenate(rows), np.concatenate(cols))),
        shape=(mentees.size, n_slots + mentees.size),
    )
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    matched = col_ind < n_slots
    row_ind, col_ind = row_ind[matched], col_ind[matched]
    mentor = np.searchsorted(slot_start, col_ind, side="right") - 1
    slot = col_ind - slot_start[mentor]
    pair_e = mentees[row_ind]
    pair_base, _ = pool.base_scores(pair_e, mentor)
    return pair_e, mentor, pair_base + pool.load_part(pair_e, mentor, slot)


def _diagnose(pool: _Pool, i: int, *, had_candidates: bool) -> UnmatchedReason:
    """Find the most fundamental reason why mentee i got nobody."""
    if had_candidates:
        return UnmatchedReason.TAKEN_THIS_ROUND
    if pool.m == 0:
        return UnmatchedReason.NO_MENTORS
    mj = np.flatnonzero((pool.tm & pool.te[i]).any(axis=1))
    key = i * pool.m + mj
    mj = mj[~np.isin(key, pool.self_keys)]
    if mj.size == 0:
        return UnmatchedReason.NO_SHARED_TOPIC
    mj = mj[~np.isin(i * pool.m + mj, pool.past_keys)]
    if mj.size == 0:
        return UnmatchedReason.ALREADY_PAIRED
    if pool.outside[i] and pool.team_e[i] >= 0:
        mj = mj[pool.team_m[mj] != pool.team_e[i]]
        if mj.size == 0:
            return UnmatchedReason.ONLY_SAME_TEAM
    mj = mj[pool.years_m[mj] > pool.years_e[i]]
    if mj.size == 0:
        return UnmatchedReason.NOBODY_MORE_EXPERIENCED
    if not (pool.remaining[mj] > 0).any():
        return UnmatchedReason.ALL_AT_CAPACITY
    return UnmatchedReason.TAKEN_THIS_ROUND


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
    IANA zones to offsets (without it the stored offsets are used).
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
    """Turn matched index pairs into proposals, and explain every mentee left out."""
    mentor_of = dict(
        zip(pair_e.tolist(), zip(pair_m.tolist(), score.tolist(), strict=True), strict=True)
    )
    had = np.zeros(pool.n, dtype=np.bool_)
    had[candidates] = True
    proposals: list[Proposal] = []
    unmatched: list[Unmatched] = []
    for i, request in enumerate(pool.requests):
        if i in mentor_of:
            j, value = mentor_of[i]
            proposals.append(_proposal(pool, request, i, j, value))
            continue
        reason = _diagnose(pool, i, had_candidates=bool(had[i]))
        unmatched.append(Unmatched(request.request_id, request.mentee_id, reason))
    return MatchResult(tuple(proposals), tuple(unmatched))


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


def _proposal(pool: _Pool, request: MentorRequest, i: int, j: int, score: float) -> Proposal:
    """Build the proposal for mentee i and mentor j."""
    return Proposal(
        request_id=request.request_id,
        mentee_id=request.mentee_id,
        mentor_id=pool.mentors[j].user_id,
        score=score,
        reasons=pool.reasons(i, j),
    )


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
        return _proposal(pool, request, 0, j, float(score[j]))
    reason = _diagnose(pool, 0, had_candidates=False)
    if reason is UnmatchedReason.TAKEN_THIS_ROUND:
        reason = UnmatchedReason.ALREADY_ASKED
    return Unmatched(request.request_id, request.mentee_id, reason)
