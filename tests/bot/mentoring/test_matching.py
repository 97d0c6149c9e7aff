"""Hard constraints, scoring, reasons, optimality and determinism of matching."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.mentoring import (
    Constraint,
    MentorProfile,
    MentorRequest,
    Offer,
    Proposal,
    Unmatched,
    UnmatchedReason,
    Weights,
    best_for,
    blocking_constraint,
    match,
    pair_reasons,
    pair_score,
)
from bot.mentoring.matching import exact_match
from bot.mentoring.scoring import weight_total

A, S, INTRO = Offer.ADVICE, Offer.SUPPORT, Offer.INTRODUCTIONS
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def mentor(user_id: str = "UM1", **changes: object) -> MentorProfile:
    base = MentorProfile(
        user_id=user_id,
        topics=frozenset({"leadership", "public-speaking"}),
        offers=frozenset({A}),
        capacity=2,
        years=10,
        team="Platform",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def request(mentee_id: str = "UE1", **changes: object) -> MentorRequest:
    base = MentorRequest(
        request_id=f"R-{mentee_id}",
        mentee_id=mentee_id,
        topics=frozenset({"leadership"}),
        wants=frozenset({A}),
        years=2,
        team="Payments",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("req", "men", "excluded", "taken", "expected"),
    [
        (request(), mentor(), set(), 0, None),
        (request(mentee_id="UM1"), mentor(), set(), 0, Constraint.SELF),
        (request(topics=frozenset({"writing"})), mentor(), set(), 0, Constraint.NO_SHARED_TOPIC),
        (request(), mentor(), {("UM1", "UE1")}, 0, Constraint.ALREADY_PAIRED),
        (request(), mentor(), {("UM1", "UE2")}, 0, None),
        (request(outside_my_team=True, team="platform "), mentor(), set(), 0, Constraint.SAME_TEAM),
        (request(outside_my_team=False, team="Platform"), mentor(), set(), 0, None),
        (request(outside_my_team=True, team=""), mentor(team=""), set(), 0, None),
        (request(years=10), mentor(years=10), set(), 0, Constraint.NOT_MORE_EXPERIENCED),
        (request(years=9), mentor(years=10), set(), 0, None),
        (request(), mentor(capacity=2), set(), 2, Constraint.NO_ROOM),
        (request(), mentor(capacity=2), set(), 1, None),
        (request(), mentor(capacity=0), set(), 0, Constraint.NO_ROOM),
        (request(), mentor(paused=True), set(), 0, Constraint.NO_ROOM),
    ],
    ids=[
        "allowed",
        "never-oneself",
        "no-shared-topic",
        "declined-or-ended-before",
        "other-pair-excluded-only",
        "same-team-when-asked-outside",
        "same-team-fine-when-not-asked",
        "unknown-teams-never-clash",
        "equal-years-not-enough",
        "one-more-year-is-enough",
        "full-with-active-and-pending",
        "one-slot-left",
        "capacity-zero-paused",
        "paused-flag",
    ],
)
def test_hard_constraints(req, men, excluded, taken, expected):
    assert blocking_constraint(req, men, excluded=excluded, taken=taken) == expected
    result = match([req], [men], excluded=excluded, load={men.user_id: taken})
    assert bool(result.proposals) == (expected is None)


@pytest.mark.parametrize(
    ("req", "men", "reasons"),
    [
        (
            request(
                topics=frozenset({"public-speaking", "career-change", "leadership"}),
                wants=frozenset({INTRO}),
            ),
            mentor(
                topics=frozenset({"public-speaking", "career-change", "leadership"}),
                offers=frozenset({A, INTRO}),
                years=8,
                tz_name="Europe/Berlin",
            ),
            (
                "3 shared topics: Changing careers, Leadership, Public speaking",
                "1 h apart",
                "offers introductions",
                "6 more years of experience",
            ),
        ),
        (
            request(years=9, tz_name="Asia/Kolkata", outside_my_team=True),
            mentor(offers=frozenset({S}), tz_name="Europe/London"),
            (
                "1 shared topic: Leadership",
                "5 h 30 min apart",
                "1 more year of experience",
                "from another team, as asked",
            ),
        ),
        (
            request(wants=frozenset({A, S, INTRO}), utc_offset_minutes=-300),
            mentor(offers=frozenset({A, S, INTRO}), utc_offset_minutes=-300),
            (
                "1 shared topic: Leadership",
                "same time zone",
                "offers advice, support and introductions",
                "8 more years of experience",
            ),
        ),
    ],
    ids=["three-topics-introductions", "half-hour-zone-other-team", "stored-offsets-all-offers"],
)
def test_reasons(req, men, reasons):
    assert pair_reasons(req, men, now=NOW) == reasons
    (proposal,) = match([req], [men], now=NOW).proposals
    assert proposal.reasons == reasons


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (
            mentor(topics=frozenset({"leadership", "writing"})),
            mentor(topics=frozenset({"leadership"})),
        ),
        (mentor(offers=frozenset({A})), mentor(offers=frozenset({S}))),
        (mentor(utc_offset_minutes=60), mentor(utc_offset_minutes=600)),
        (mentor(years=8), mentor(years=4)),
    ],
    ids=["covers-more-topics", "offers-what-is-hoped", "closer-zone", "more-experience-up-to-full"],
)
def test_score_orders_by_each_part(better, worse):
    req = request(topics=frozenset({"leadership", "writing"}))
    assert pair_score(req, better) > pair_score(req, worse)


@pytest.mark.parametrize(
    ("taken", "expected"),
    [(0, 1.0), (1, 0.95), (2, 0.9)],
    ids=["free", "half-full", "last-slot-scored-as-full"],
)
def test_load_spread_part(taken, expected):
    perfect = mentor(capacity=2, years=20, topics=frozenset({"leadership"}), offers=frozenset({A}))
    assert pair_score(request(), perfect, taken=taken) == pytest.approx(expected)


def test_close_zone_preference_weighs_distance_more():
    far = mentor(utc_offset_minutes=480)
    plain = pair_score(request(), far)
    keen = pair_score(request(prefers_close_tz=True), far)
    assert keen < plain


def test_load_spread_sends_equal_mentees_to_different_mentors():
    mentees = [request("UE1"), request("UE2")]
    mentors = [mentor("UM1", capacity=2), mentor("UM2", capacity=2)]
    result = match(mentees, mentors)
    assert {p.mentor_id for p in result.proposals} == {"UM1", "UM2"}


def test_whole_pool_beats_first_come():
    # First come would give UM1 (best for both) to UE1 and leave UE2 with nobody.
    ue1 = request("UE1", topics=frozenset({"leadership", "writing"}))
    ue2 = request("UE2", topics=frozenset({"writing"}))
    um1 = mentor("UM1", capacity=1, topics=frozenset({"leadership", "writing"}))
    um2 = mentor("UM2", capacity=1, topics=frozenset({"leadership"}))
    result = match([ue1, ue2], [um1, um2])
    assert {(p.mentee_id, p.mentor_id) for p in result.proposals} == {
        ("UE1", "UM2"),
        ("UE2", "UM1"),
    }


@pytest.mark.parametrize(
    ("req", "mentors", "excluded", "load", "reason"),
    [
        (request(), [], set(), {}, UnmatchedReason.NO_MENTORS),
        (
            request(),
            [mentor(topics=frozenset({"writing"}))],
            set(),
            {},
            UnmatchedReason.NO_SHARED_TOPIC,
        ),
        (request(mentee_id="UM1"), [mentor()], set(), {}, UnmatchedReason.NO_SHARED_TOPIC),
        (request(), [mentor()], {("UM1", "UE1")}, {}, UnmatchedReason.ALREADY_PAIRED),
        (
            request(outside_my_team=True, team="Platform"),
            [mentor()],
            set(),
            {},
            UnmatchedReason.ONLY_SAME_TEAM,
        ),
        (request(years=12), [mentor()], set(), {}, UnmatchedReason.NOBODY_MORE_EXPERIENCED),
        (request(), [mentor()], set(), {"UM1": 2}, UnmatchedReason.ALL_AT_CAPACITY),
        (request(), [mentor(paused=True)], set(), {}, UnmatchedReason.ALL_AT_CAPACITY),
    ],
    ids=[
        "empty-pool",
        "no-topic",
        "only-oneself",
        "all-paired-before",
        "only-same-team",
        "nobody-senior",
        "all-full",
        "all-paused",
    ],
)
def test_unmatched_reasons(req, mentors, excluded, load, reason):
    result = match([req], mentors, excluded=excluded, load=load)
    assert result.unmatched == (Unmatched(req.request_id, req.mentee_id, reason),)
    assert result.unmatched[0].explanation


def test_unmatched_when_taken_this_round():
    result = match([request("UE1"), request("UE2")], [mentor(capacity=1)])
    assert [u.reason for u in result.unmatched] == [UnmatchedReason.TAKEN_THIS_ROUND]


@pytest.mark.parametrize(
    ("asked", "load", "expected"),
    [
        (set(), {}, "UM2"),
        ({"UM2"}, {}, "UM3"),
        (set(), {"UM2": 2}, "UM3"),
        ({"UM2", "UM3"}, {}, UnmatchedReason.ALREADY_ASKED),
    ],
    ids=["best", "next-after-decline", "skips-full", "everyone-asked"],
)
def test_best_for_cascade(asked, load, expected):
    mentors = [
        mentor("UM3", topics=frozenset({"leadership"}), offers=frozenset({S})),
        mentor("UM2", topics=frozenset({"leadership"}), offers=frozenset({A})),
        mentor("UM1", topics=frozenset({"writing"})),
    ]
    got = best_for(request(), mentors, asked=asked, load=load)
    if isinstance(expected, UnmatchedReason):
        assert isinstance(got, Unmatched)
        assert got.reason is expected
    else:
        assert isinstance(got, Proposal)
        assert got.mentor_id == expected


def test_best_for_ties_go_to_first_id():
    twins = [mentor("UM9"), mentor("UM5"), mentor("UM7")]
    got = best_for(request(), twins)
    assert isinstance(got, Proposal)
    assert got.mentor_id == "UM5"


def test_duplicate_people_are_refused():
    with pytest.raises(ValueError, match="more than once"):
        match([request("UE1"), request("UE1")], [mentor()])


TOPICS = ("leadership", "writing", "feedback", "networking")


def _random_pool(rng: random.Random, n: int, m: int):
    def topics():
        return frozenset(rng.sample(TOPICS, rng.randint(1, 3)))

    def offers():
        return frozenset(rng.sample([A, S, INTRO], rng.randint(1, 3)))

    mentors = [
        MentorProfile(
            user_id=f"UM{j}",
            topics=topics(),
            offers=offers(),
            capacity=rng.randint(0, 2),
            years=rng.randint(0, 12),
            team=rng.choice(["a", "b", "c"]),
            utc_offset_minutes=rng.choice([-300, 0, 60, 330, 540]),
        )
        for j in range(m)
    ]
    requests = [
        MentorRequest(
            request_id=f"R{i}",
            mentee_id=f"UE{i}",
            topics=topics(),
            wants=offers(),
            years=rng.randint(0, 8),
            team=rng.choice(["a", "b", "c"]),
            outside_my_team=rng.random() < 0.4,
            prefers_close_tz=rng.random() < 0.4,
            utc_offset_minutes=rng.choice([-300, 0, 60, 330, 540]),
        )
        for i in range(n)
    ]
    excluded = {(f"UM{rng.randrange(m)}", f"UE{rng.randrange(n)}") for _ in range(2)}
    load = {f"UM{j}": rng.randint(0, 1) for j in range(m)}
    return requests, mentors, excluded, load


def _brute_force_best(requests, mentors, excluded, load, weights):
    best = 0.0
    for choice in itertools.product([None, *mentors], repeat=len(requests)):
        total = 0.0
        feasible = True
        for men in mentors:
            mine = [r for r, c in zip(requests, choice, strict=True) if c is men]
            taken = load.get(men.user_id, 0)
            if any(blocking_constraint(r, men, excluded=excluded, taken=taken) for r in mine):
                feasible = False
                break
            if len(mine) > max(men.effective_capacity - taken, 0):
                feasible = False
                break
            # The freest slot is worth most to the mentee whose scores are least diluted.
            for slot, r in enumerate(sorted(mine, key=lambda r: weight_total(r, weights))):
                total += pair_score(r, men, weights=weights, taken=taken + slot)
        if feasible:
            best = max(best, total)
    return best


@pytest.mark.parametrize("seed", range(12), ids=[f"seed-{s}" for s in range(12)])
def test_optimal_on_small_pools(seed):
    rng = random.Random(seed)
    requests, mentors, excluded, load = _random_pool(rng, n=rng.randint(2, 5), m=rng.randint(1, 3))
    weights = Weights()
    expected = _brute_force_best(requests, mentors, excluded, load, weights)
    result = match(requests, mentors, weights, excluded, load=load, top_k=3)
    assert result.total_score == pytest.approx(expected, abs=1e-9)
    exact = exact_match(requests, mentors, weights, excluded, load=load)
    assert exact.total_score == pytest.approx(expected, abs=1e-9)
    for p in result.proposals:
        req = next(r for r in requests if r.mentee_id == p.mentee_id)
        men = next(x for x in mentors if x.user_id == p.mentor_id)
        assert blocking_constraint(req, men, excluded=excluded, taken=load[men.user_id]) is None


@pytest.mark.parametrize("seed", range(5), ids=[f"seed-{s}" for s in range(5)])
def test_same_result_whatever_the_input_order(seed):
    rng = random.Random(100 + seed)
    requests, mentors, excluded, load = _random_pool(rng, n=30, m=15)
    first = match(requests, mentors, excluded=excluded, load=load, now=NOW)
    rng.shuffle(requests)
    rng.shuffle(mentors)
    again = match(requests, mentors, excluded=excluded, load=load, now=NOW)
    assert again == first
    assert [p.mentee_id for p in first.proposals] == sorted(p.mentee_id for p in first.proposals)


@pytest.mark.parametrize("seed", range(4), ids=[f"seed-{s}" for s in range(4)])
def test_engine_scores_agree_with_the_pair_score(seed):
    rng = random.Random(200 + seed)
    requests, mentors, excluded, load = _random_pool(rng, n=25, m=12)
    by_mentee = {r.mentee_id: r for r in requests}
    by_mentor = {x.user_id: x for x in mentors}
    result = match(requests, mentors, excluded=excluded, load=load, now=NOW)
    counts: dict[str, list[float]] = {}
    for p in result.proposals:
        men = by_mentor[p.mentor_id]
        req = by_mentee[p.mentee_id]
        free_slot = pair_score(req, men, taken=load[men.user_id], now=NOW)
        assert p.score <= free_slot + 1e-12
        counts.setdefault(men.user_id, []).append(p.score)
        assert 0.0 < p.score <= 1.0
    for user_id, scores in counts.items():
        assert len(scores) <= by_mentor[user_id].capacity - load[user_id]


@pytest.mark.parametrize(
    ("seed", "weights"),
    [(s, Weights()) for s in range(300, 340)]
    + [(s, Weights(load=0.6)) for s in range(340, 350)]
    + [(s, Weights(load=0.0)) for s in range(350, 353)],
    ids=[f"default-{s}" for s in range(300, 340)]
    + [f"heavy-load-{s}" for s in range(340, 350)]
    + [f"no-load-{s}" for s in range(350, 353)],
)
def test_flow_equals_exact_when_every_mentor_is_a_candidate(seed, weights):
    # Mixed close-zone preferences give mentees different slot weights (the flow's levels).
    rng = random.Random(seed)
    requests, mentors, excluded, load = _random_pool(rng, n=rng.randint(6, 14), m=rng.randint(2, 7))
    fast = match(requests, mentors, weights, excluded, load=load, top_k=len(mentors), now=NOW)
    exact = exact_match(requests, mentors, weights, excluded, load=load, now=NOW)
    assert fast.total_score == pytest.approx(exact.total_score, abs=1e-9)
    assert len(fast.proposals) == len(exact.proposals)


@pytest.mark.parametrize("top_k", [1, 2, 5, 48], ids=["k1", "k2", "k5", "k48"])
def test_capacity_respected_whatever_top_k(top_k):
    rng = random.Random(400 + top_k)
    requests, mentors, excluded, load = _random_pool(rng, n=120, m=20)
    result = match(requests, mentors, excluded=excluded, load=load, top_k=top_k, now=NOW)
    per_mentor: dict[str, int] = {}
    for p in result.proposals:
        per_mentor[p.mentor_id] = per_mentor.get(p.mentor_id, 0) + 1
    for men in mentors:
        room = max(men.effective_capacity - load[men.user_id], 0)
        assert per_mentor.get(men.user_id, 0) <= room
    assert len(result.proposals) + len(result.unmatched) == len(requests)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (Weights(), {"UM1", "UM2"}),
        (Weights(load=0.0), {"UM1"}),
    ],
    ids=["load-spread-splits-a-near-tie", "without-load-weight-best-takes-both"],
)
def test_load_spread_effect(weights, expected):
    # UM2 is one hour further away: a hair worse than UM1, far less than a used slot costs.
    mentees = [request("UE1"), request("UE2")]
    mentors = [mentor("UM1", capacity=2), mentor("UM2", capacity=2, utc_offset_minutes=60)]
    result = match(mentees, mentors, weights)
    assert {p.mentor_id for p in result.proposals} == expected
    assert len(result.proposals) == 2


def test_freest_slot_goes_to_the_mentee_it_is_worth_most_to():
    # A close-zone preference dilutes the other parts, so a free slot counts less for UE2.
    plain = request("UE1")
    keen = request("UE2", prefers_close_tz=True)
    only = mentor("UM1", capacity=2)
    result = match([keen, plain], [only], now=NOW)
    by_mentee = {p.mentee_id: p.score for p in result.proposals}
    assert by_mentee["UE1"] == pytest.approx(pair_score(plain, only, taken=0, now=NOW))
    assert by_mentee["UE2"] == pytest.approx(pair_score(keen, only, taken=1, now=NOW))
    assert result.total_score == pytest.approx(exact_match([plain, keen], [only]).total_score)


@pytest.mark.parametrize("seed", range(3), ids=[f"seed-{s}" for s in range(3)])
def test_large_pool_same_result_whatever_the_input_order(seed):
    rng = random.Random(500 + seed)
    requests, mentors, excluded, load = _random_pool(rng, n=400, m=150)
    first = match(requests, mentors, excluded=excluded, load=load, top_k=4, now=NOW)
    rng.shuffle(requests)
    rng.shuffle(mentors)
    again = match(requests, mentors, excluded=excluded, load=load, top_k=4, now=NOW)
    assert again == first


def test_reasons_agree_with_pair_reasons():
    rng = random.Random(600)
    requests, mentors, excluded, load = _random_pool(rng, n=60, m=25)
    by_mentee = {r.mentee_id: r for r in requests}
    by_mentor = {x.user_id: x for x in mentors}
    result = match(requests, mentors, excluded=excluded, load=load, now=NOW)
    assert result.proposals
    for p in result.proposals:
        assert p.reasons == pair_reasons(by_mentee[p.mentee_id], by_mentor[p.mentor_id], now=NOW)


def test_unmatched_reasons_in_one_round_match_each_alone():
    mentors = [mentor("UM1", capacity=1), mentor("UM2", topics=frozenset({"writing"}), years=3)]
    requests = [
        request("UE1", topics=frozenset({"networking"})),
        request("UE2", years=12),
        request("UE3"),
        request("UE4", outside_my_team=True, team="Platform", topics=frozenset({"leadership"})),
        request("UE5", topics=frozenset({"writing"}), years=5),
        request("UE6"),
        request("UE7"),
    ]
    excluded = {("UM1", "UE3")}
    together = match(requests, mentors, excluded=excluded)
    alone = {
        u.mentee_id: u.reason
        for r in requests
        for u in match([r], mentors, excluded=excluded).unmatched
    }
    reasons = {u.mentee_id: u.reason for u in together.unmatched}
    # UE6 and UE7 want the same single slot: one of them waits.
    waiting = {k for k, v in reasons.items() if v is UnmatchedReason.TAKEN_THIS_ROUND}
    assert len(waiting) == 1
    assert waiting <= {"UE6", "UE7"}
    for mentee_id in waiting:
        del reasons[mentee_id]
    assert all(alone[k] is v for k, v in reasons.items())
    assert reasons == {
        "UE1": UnmatchedReason.NO_SHARED_TOPIC,
        "UE2": UnmatchedReason.NOBODY_MORE_EXPERIENCED,
        "UE3": UnmatchedReason.ALREADY_PAIRED,
        "UE4": UnmatchedReason.ONLY_SAME_TEAM,
        "UE5": UnmatchedReason.NOBODY_MORE_EXPERIENCED,
    }
