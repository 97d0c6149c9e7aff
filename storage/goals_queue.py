"""The dispatcher's queue: claim due rows under a lease, then record what happened, in batches.

Claiming (`claim_due`) takes rows whose lease ran out first, then pending rows by due time:

- PostgreSQL, one statement: `UPDATE ... WHERE id = ANY(ARRAY(<expired> UNION ALL <pending>
  LIMIT n))`, each pick `FOR UPDATE SKIP LOCKED`: concurrent workers skip each other's rows
  instead of waiting.
- SQLite, one statement per kind: SQLAlchemy silently drops SKIP LOCKED there, so the UPDATE is
  a compare-and-set: it repeats the "still due" condition on the rows it changes, and the engine
  begins every transaction with BEGIN IMMEDIATE, so two claims never interleave.

A row is due when it is `pending` with `due_at <= now`, or `claimed` with an expired lease: a
crashed worker's rows come back on their own. Every completion is a compare-and-set on
(`status = 'claimed'`, `lease_owner = me`), so a worker whose lease ran out cannot overwrite the
result of the worker that took the row over.

Cost per check-in is what bounds a large drain, so a batch is a fixed number of statements. On
PostgreSQL a batch takes two, written out as SQL once rather than built by SQLAlchemy per batch:
the claim returns each row with its goal and its goal's last answer (`claim_checkins`), and the
write-back (`write_back`) completes the rows, moves their goals on and inserts the next
check-ins in one statement over the whole batch, passed as one jsonb array of arrays. SQLite
runs the claim and two reads (goals and last answers, one id-array parameter each), then
executemany for the write-back, which is in-process and as fast, with the rows handed to the
driver as tuples (`storage.bulk`: SQLAlchemy's own per-row parameter handling cost more than
SQLite's work). `complete` and `advance_goals` are the write-back's two halves on their own
(digests, tests), over a JSON batch (`rows_source`) on PostgreSQL.
The due and lease indexes are partial (pending rows / claimed rows), so
a row leaves them once sent and every claim and completion writes fewer index entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    Date,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.goals import CheckinRecord, GoalLimits, GoalStatus, digest_at, resolve_zone
from storage import bulk
from storage.goals import (
    CheckinKind,
    CheckinRow,
    CheckinStatus,
    DigestRow,
    Goal,
    GoalRow,
    GoalValues,
    dialect_insert,
    insert_pending,
    next_row_values,
    status_is,
    to_goal,
)
from storage.types import UTCDateTime

Queue = type[CheckinRow] | type[DigestRow]


@dataclass(frozen=True)
class LastAnswerRow:
    """A goal's latest answered check-in, as the next check-in shows it."""

    period: date
    answer: str
    answered_at: datetime
    note: str | None


@dataclass(frozen=True)
class Claimed:
    """A check-in this worker now holds, with what is needed to send it."""

    id: int
    kind: CheckinKind
    period: date
    attempts: int
    first_claimed_at: datetime
    lease_expires_at: datetime
    due_at: datetime
    goal: Goal
    last_answer: LastAnswerRow | None
    unanswered_before: bool


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row, to be written back in the batch's completion.

    status: `sent` (ts known), `pending` (retry at `due_at`, or released untried when
    `attempted` is False), `cancelled` or `failed`.
    """

    id: int
    status: str
    due_at: datetime
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    attempted: bool = True


def _table(model: Queue | type[GoalRow]) -> Table:
    """The Core table behind a model (for executemany statements)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _pending_due(table: Table, now: datetime) -> Any:
    """Pending rows whose time has come."""
    return and_(status_is(table.c.status, CheckinStatus.PENDING), table.c.due_at <= now)


def _lease_expired(table: Table, now: datetime) -> Any:
    """Claimed rows whose worker's lease has run out."""
    return and_(status_is(table.c.status, CheckinStatus.CLAIMED), table.c.lease_expires_at <= now)


def claim_due(
    session: Session, model: Queue, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Claim up to `limit` due rows for `owner` until `now + lease`; returns their ids."""
    table = _table(model)
    rows = _claim_rows(session, model, [table.c.id], owner=owner, now=now, lease=lease, limit=limit)
    return [int(row.id) for row in rows]


def claim_checkins(
    session: Session, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Claim up to `limit` due check-ins and load what sending them needs.

    PostgreSQL: one statement (`_CLAIM_CHECKINS_PG`); SQLite: three (claim, goals, answers).
    """
    if _is_postgres(session):
        return _claim_checkins_pg(session, owner=owner, now=now, lease=lease, limit=limit)
    table = _table(CheckinRow)
    rows = _claim_rows(
        session,
        CheckinRow,
        [table.c[name] for name in _CLAIMED_COLUMNS],
        owner=owner,
        now=now,
        lease=lease,
        limit=limit,
    )
    return _to_claimed(session, rows)


def _claim_rows(
    session: Session,
    model: Queue,
    columns: Sequence[Any],
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Any]:
    """Claim due rows, returning `columns` of each.

    Rows whose lease ran out come first (they have waited longest), then pending rows by due
    time; each kind is picked through its own index, so a claim never sorts the whole backlog.
    """
    table = _table(model)
    kinds = [
        (_lease_expired(table, now), table.c.lease_expires_at),
        (_pending_due(table, now), table.c.due_at),
    ]
    if _is_postgres(session):
        # One statement. ARRAY(subquery) is evaluated once, then rows are found by primary key:
        # no join plan that scans the whole table. SKIP LOCKED lets other workers take the next
        # rows, and the outer LIMIT stops the pending pick (and its locking) once expired
        # leases have filled part of the batch.
        picks = [
            select(pick.c.id)
            for pick in (
                _pick(table, condition, order, limit).with_for_update(skip_locked=True).subquery()
                for condition, order in kinds
            )
        ]
        ids = union_all(*picks).limit(limit).scalar_subquery()
        where = table.c.id == any_(func.array(ids))
        return _claim(session, table, where, columns, owner=owner, now=now, lease=lease)
    # SQLite: a compare-and-set per kind (the UPDATE repeats the condition on what it changes).
    claimed: list[Any] = []
    for condition, order in kinds:
        if len(claimed) == limit:
            break
        pick = _pick(table, condition, order, limit - len(claimed)).scalar_subquery()
        where = and_(table.c.id.in_(pick), condition)
        claimed += _claim(session, table, where, columns, owner=owner, now=now, lease=lease)
    return claimed


# The claim of `_claim_rows` on PostgreSQL, with the goal and last answer of every claimed row
# joined in: one round trip and one statement a batch, written out once rather than built by
# SQLAlchemy every batch (building and caching those constructs cost more Python than the rows).
# Both joins are LATERAL with a LIMIT, which PostgreSQL cannot flatten into a plain join: each
# claimed row finds its goal by primary key and its newest answer backwards through the
# (goal, kind, period) index, whatever the planner's statistics say (a freshly loaded table would
# otherwise be scanned whole). Every subquery reads the snapshot the statement started with; the
# claim changes no goal and no answer, so that is what a later query would read too.
_CLAIM_CHECKINS_PG = """
WITH claimed AS (
    UPDATE goal_checkins AS c SET
        status = 'claimed',
        lease_owner = %(owner)s,
        lease_expires_at = %(until)s,
        attempts = c.attempts + 1,
        first_claimed_at = COALESCE(c.first_claimed_at, %(now)s)
    WHERE c.id = ANY (ARRAY(
        SELECT expired.id FROM (
            SELECT id FROM goal_checkins
            WHERE status = 'claimed' AND lease_expires_at <= %(now)s
            ORDER BY lease_expires_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
        ) AS expired
        UNION ALL
        SELECT due.id FROM (
            SELECT id FROM goal_checkins
            WHERE status = 'pending' AND due_at <= %(now)s
            ORDER BY due_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
        ) AS due
        LIMIT %(limit)s
    ))
    RETURNING c.id, c.goal_id, c.kind, c.period, c.attempts, c.first_claimed_at,
        c.lease_expires_at, c.due_at
)
SELECT claimed.*, g.*, a.*
FROM claimed
CROSS JOIN LATERAL (
    -- GoalValues' columns, in its order (a test compares them)
    SELECT id, team_id, user_id, title, success, end_date, cadence, weekday, local_time,
        coach_id, anchor, tz_name, tz_checked_at, dm_channel, status, pause_reason,
        needs_attention, counting_since, last_sent_period, outcome, what_helped, created_at
    FROM goals
    WHERE goals.id = claimed.goal_id LIMIT 1
) AS g
LEFT JOIN LATERAL (
    SELECT period, answer, answered_at, note FROM goal_checkins AS answered
    WHERE answered.goal_id = claimed.goal_id AND answered.kind = 'checkin'
        AND answered.answered_at IS NOT NULL
    ORDER BY answered.period DESC LIMIT 1
) AS a ON true
"""
_GOAL_WIDTH = len(GoalValues._fields)


def _claim_checkins_pg(
    session: Session, *, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """`claim_checkins` on PostgreSQL: one statement, rows read as plain tuples.

    The session runs in UTC (storage.db), so timestamps come back aware and in UTC already, as
    `UTCDateTime` would return them.
    """
    params = {"owner": owner, "now": now, "until": now + lease, "limit": limit}
    rows = session.connection().exec_driver_sql(_CLAIM_CHECKINS_PG, params).all()
    goals: dict[int, Goal] = {}
    claimed = []
    goal_end = 8 + _GOAL_WIDTH
    for row in rows:
        goal_id = row[1]
        goal = goals.get(goal_id)
        if goal is None:
            goal = goals[goal_id] = to_goal(GoalValues._make(row[8:goal_end]))
        answered_period, answer, answered_at, note = row[goal_end:]
        last = (
            None
            if answered_period is None
            else LastAnswerRow(answered_period, answer, answered_at, note)
        )
        claimed.append(_claimed(row[:8], goal, last))
    return claimed


def _pick(table: Table, condition: Any, order: Any, limit: int) -> Select[Any]:
    """The ids of up to `limit` rows matching `condition`, oldest `order` first."""
    return select(table.c.id).where(condition).order_by(order).limit(limit)


def _claim(
    session: Session,
    table: Table,
    where: Any,
    columns: Sequence[Any],
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
) -> list[Any]:
    """The claiming UPDATE of the rows matching `where`, returning `columns` of each.

    Built from the table's columns, not the mapped class's attributes, so that it runs as a
    plain Core statement rather than through the ORM's bulk-update handling.
    """
    values = {
        "status": CheckinStatus.CLAIMED.value,
        "lease_owner": owner,
        "lease_expires_at": now + lease,
        "attempts": table.c.attempts + 1,
        "first_claimed_at": func.coalesce(table.c.first_claimed_at, now),
    }
    stmt = update(table).where(where).values(values).returning(*columns)
    return list(session.execute(stmt).all())


_CLAIMED_COLUMNS = (
    "id",
    "goal_id",
    "kind",
    "period",
    "attempts",
    "first_claimed_at",
    "lease_expires_at",
    "due_at",
)


def load_claimed(session: Session, ids: Sequence[int]) -> list[Claimed]:
    """The claimed check-ins with their goals and each goal's last answer."""
    if not ids:
        return []
    checkins = _table(CheckinRow)
    rows = session.execute(
        select(*[checkins.c[name] for name in _CLAIMED_COLUMNS]).where(
            _id_in(session, checkins.c.id, ids)
        )
    ).all()
    return _to_claimed(session, rows)


def _to_claimed(session: Session, rows: Sequence[Any]) -> list[Claimed]:
    """Claimed check-ins from their rows, with goals and last answers (two queries)."""
    if not rows:
        return []
    goals_table = _table(GoalRow)
    goal_ids = {row[1] for row in rows}
    # Rows become plain named tuples first: their attributes read ~10x faster than a Row's.
    # (All fetched at once: iterating a result fetches one row per driver call.)
    found = session.execute(
        select(*[goals_table.c[name] for name in GoalValues._fields]).where(
            _id_in(session, goals_table.c.id, goal_ids)
        )
    ).all()
    goals = {goal.id: goal for goal in map(to_goal, map(GoalValues._make, found))}
    answers = _last_answers(session, goal_ids)
    return [_claimed(row, goals[row[1]], answers.get(row[1])) for row in rows]


_KINDS = {kind.value: kind for kind in CheckinKind}


def _claimed(head: Sequence[Any], goal: Goal, last: LastAnswerRow | None) -> Claimed:
    """A claimed check-in from the claim's eight columns, with its goal and last answer."""
    row_id, _, kind, period, attempts, first_claimed, lease_expires, due_at = head
    previous = goal.last_sent_period
    return Claimed(
        id=row_id,
        kind=_KINDS[kind],
        period=period,
        attempts=attempts,
        first_claimed_at=first_claimed or due_at,
        lease_expires_at=lease_expires or due_at,
        due_at=due_at,
        goal=goal,
        last_answer=last,
        unanswered_before=previous is not None and (last is None or last.period < previous),
    )


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _id_in(session: Session, column: Any, ids: Iterable[int]) -> Any:
    """`column IN ids`; on PostgreSQL `IN (SELECT unnest(:ids))` with one array parameter.

    A 500-placeholder IN costs more to build and parse than the lookup itself, and unlike
    `= ANY(:ids)` the subquery is planned as a small set joined through the index even before
    the table has statistics (a freshly loaded table would otherwise be scanned whole).
    """
    values = list(ids)
    if _is_postgres(session):
        return column.in_(select(func.unnest(_int_array(values))))
    return column.in_(values)


def _int_array(values: Iterable[int]) -> Any:
    """PostgreSQL: ints as one `int[]` parameter sent in its text form, `{1,2,3}`; a list would
    have psycopg quote every element in Python, which costs more than the lookup it feeds."""
    text = "{" + ",".join(str(int(value)) for value in values) + "}"
    return cast(bindparam(None, text, type_=String()), postgresql.ARRAY(Integer))


def _last_answers(session: Session, goal_ids: set[int]) -> dict[int, LastAnswerRow]:
    """Each goal's latest answered check-in (one query for the batch)."""
    if not goal_ids:
        return {}
    columns = (
        CheckinRow.goal_id,
        CheckinRow.period,
        CheckinRow.answer,
        CheckinRow.answered_at,
        CheckinRow.note,
    )
    answered = (
        CheckinRow.kind == CheckinKind.CHECKIN.value,
        CheckinRow.answered_at.is_not(None),
    )
    if _is_postgres(session):
        # Per goal, the newest answered row, read backwards through the (goal, kind, period)
        # index: a nested loop by construction, whatever the planner's statistics say (a
        # freshly loaded table would otherwise be scanned whole), and one row per goal however
        # long its history.
        batch = func.unnest(_int_array(goal_ids)).table_valued("id").render_derived(name="g")
        newest = (
            select(*columns)
            .where(CheckinRow.goal_id == batch.c.id, *answered)
            .order_by(CheckinRow.period.desc())
            .limit(1)
            .lateral()
        )
        rows = session.execute(select(*newest.c).select_from(batch).join(newest, true())).all()
    else:
        rows = session.execute(
            select(*columns).where(_id_in(session, CheckinRow.goal_id, goal_ids), *answered)
        ).all()
    latest: dict[int, LastAnswerRow] = {}
    for goal_id, period, answer, answered_at, note in rows:
        seen = latest.get(goal_id)
        if seen is None or period > seen.period:
            latest[goal_id] = LastAnswerRow(period, answer, answered_at, note)
    return latest


def rows_source(columns: Sequence[tuple[str, Any]], rows: Sequence[dict[str, Any]]) -> Any:
    """PostgreSQL: a batch of rows as one JSON parameter read back as a typed derived table,
    `json_to_recordset(:rows) AS v(col1 type1, ...)`, so writing a batch is one statement
    whatever its size. (SQLite runs executemany in-process, which is as fast there; typed
    arrays per column cost more than JSON: the driver quotes every element in Python.)

    The JSON is written by orjson, in C: dates and aware datetimes come out in ISO 8601 with
    their offset, as `isoformat()` writes them. (The standard library's encoder, with the dates
    formatted first, cost ~15 us a row.)
    """
    typed = [column(name, type_) for name, type_ in columns]
    payload = cast(bindparam(None, orjson.dumps(rows).decode(), type_=String()), postgresql.JSON)
    return (
        func.json_to_recordset(payload)
        .table_valued(*typed)
        .render_derived(name="v", with_types=True)
    )


def _update_many(
    session: Session,
    table: Table,
    columns: Sequence[tuple[str, Any]],
    rows: Sequence[Sequence[Any]],
    build: Any,
    *,
    returning: bool = False,
) -> list[int] | None:
    """Run `build(src, match)` for every row: on PostgreSQL one `UPDATE ... FROM` a JSON batch
    (see `rows_source`), on SQLite one prepared UPDATE executed per row (`bulk.executemany`).

    With `returning`, the ids of the updated rows on PostgreSQL; None on SQLite, whose
    executemany returns no rows.
    """
    if not rows:
        return []
    if _is_postgres(session):
        names = [name for name, _ in columns]
        values = rows_source(columns, [dict(zip(names, row, strict=True)) for row in rows])
        src = {name: values.c[name] for name in names}
        stmt = build(src, table.c.id == src["id"])
        if not returning:
            session.execute(stmt)
            return None
        return list(session.scalars(stmt.returning(table.c.id)).all())
    src = {name: bindparam(f"b_{name}", type_=type_) for name, type_ in columns}
    bulk.executemany(
        session, build(src, table.c.id == src["id"]), [f"b_{name}" for name, _ in columns], rows
    )
    return None


def _outcome_values(outcome: Outcome) -> tuple[Any, ...]:
    """A send's outcome as the write-back's first seven values (`untried`: 1 if never posted)."""
    return (
        outcome.id,
        outcome.status,
        outcome.due_at,
        outcome.channel,
        outcome.ts,
        outcome.error,
        0 if outcome.attempted else 1,
    )


def complete(
    session: Session,
    model: Queue,
    outcomes: Sequence[Outcome],
    *,
    owner: str,
    now: datetime,
) -> None:
    """Write back a batch's outcomes (compare-and-set on the lease owner), one statement."""
    table = _table(model)
    columns = [
        ("id", Integer()),
        ("status", String()),
        ("due_at", UTCDateTime()),
        ("channel", String()),
        ("ts", String()),
        ("error", String()),
        ("untried", Integer()),
    ]
    rows = [_outcome_values(outcome) for outcome in outcomes]

    # A person can answer a check-in between Slack taking the post and this write-back; the
    # answer then waits on the claimed row (see storage.goals.record_answer) and lands here.
    # (Digest rows have no answers.)
    answered_early = table.c.answered_at.is_not(None) if "answered_at" in table.c else false()
    sent_at = literal(now, UTCDateTime())  # the same for every row sent: one parameter

    def build(src: dict[str, Any], match: Any) -> Any:
        sent = src["status"] == CheckinStatus.SENT.value
        return (
            update(table)
            .where(
                match,
                # The same test as `=` (status is never NULL), but one no index can serve: the
                # planner then walks the batch and finds rows by id, rather than walk the
                # claimed rows and re-read the whole batch for each one.
                table.c.status.is_not_distinct_from(CheckinStatus.CLAIMED.value),
                table.c.lease_owner == owner,
            )
            .values(
                status=case(
                    (and_(answered_early, sent), CheckinStatus.ANSWERED.value),
                    else_=src["status"],
                ),
                due_at=src["due_at"],
                channel=src["channel"],
                ts=src["ts"],
                sent_at=case((sent, sent_at), else_=null()),
                last_error=src["error"],
                attempts=table.c.attempts - src["untried"],
                lease_owner=None,
                lease_expires_at=None,
            )
        )

    _update_many(session, table, columns, rows, build)


def write_back(
    session: Session,
    outcomes: Sequence[Outcome],
    sent: Sequence[tuple[Claimed, Outcome]],
    *,
    owner: str,
    now: datetime,
    limits: GoalLimits,
    coach_zones: dict[tuple[str, str], str],
) -> None:
    """A check-in batch's write-back: `complete`, then `advance_goals` for the rows sent.

    PostgreSQL: one statement for both (`_WRITE_BACK_PG`); SQLite: the two functions, whose
    executemany runs in-process. Digest rows, needed only for goals with a coach, are inserted
    by a statement of their own afterwards on both.
    """
    if not _is_postgres(session):
        complete(session, CheckinRow, outcomes, owner=owner, now=now)
        advance_goals(session, sent, now=now, limits=limits, coach_zones=coach_zones)
        return
    moves = {outcome.id: claimed for claimed, outcome in sent}
    later = now + limits.nudge_after
    rows: list[list[Any]] = []
    digests: list[dict[str, Any]] = []
    for outcome in outcomes:
        # Positional, in `_WRITE_BACK_PG`'s order: PostgreSQL reads a jsonb array's elements
        # by position faster than it finds keys in each row (and writing lists is cheaper).
        claimed = moves.get(outcome.id)
        goal_id = period = review_at = following = None
        if claimed is not None:
            goal_id = claimed.goal.id
            if claimed.kind is CheckinKind.CHECKIN:
                period = claimed.period
                review_at = now if claimed.unanswered_before else later
                following = _following(claimed, now, limits)
                coach = claimed.goal.spec.coach_id
                if coach is not None:
                    digests.append(
                        _digest_values(claimed, coach, now, limits.digest_local_time, coach_zones)
                    )
        row = [*_outcome_values(outcome), goal_id, period, review_at]
        if following is not None:
            row += (following["kind"], following["period"], following["due_at"])
        rows.append(row)
    if rows:
        params = {"rows": orjson.dumps(rows).decode(), "owner": owner, "now": now}
        session.connection().exec_driver_sql(_WRITE_BACK_PG, params)
    _insert_digests(session, digests)


# `complete` and `advance_goals` (with its insert of the next check-ins) as one statement on
# PostgreSQL: one round trip, one parse and one read of the batch's JSON (`v`, materialized
# because three parts read it) a batch instead of three. Each part keeps its own semantics:
# the completion is the compare-and-set on the lease owner (see `complete`); the goal update,
# like `advance_goals`, moves on every goal whose DM was sent whether or not the compare-and-set
# held (a worker that took the row over adopts the same post: the move is idempotent); and the
# next check-ins go only to goals the update found, returned with their team and user, so a goal
# deleted while its DM was in flight gets none (the update holds the goals it moved locked until
# commit, so none of them can go before the insert). All three parts see the snapshot the
# statement started with, and none reads a row another one writes: the completion changes the
# claimed rows, the insert adds rows of later periods, the update changes goals.
_WRITE_BACK_PG = """
WITH v AS MATERIALIZED (
    -- One jsonb array per outcome (see `write_back`); elements past its end read as NULL.
    SELECT (r->>0)::integer AS id, r->>1 AS status, (r->>2)::timestamptz AS due_at,
        r->>3 AS channel, r->>4 AS ts, r->>5 AS error, (r->>6)::integer AS untried,
        (r->>7)::integer AS goal_id, (r->>8)::date AS period,
        (r->>9)::timestamptz AS review_at, r->>10 AS next_kind,
        (r->>11)::date AS next_period, (r->>12)::timestamptz AS next_due_at
    FROM jsonb_array_elements(%(rows)s::jsonb) AS r
),
done AS (
    UPDATE goal_checkins AS c SET
        status = CASE WHEN c.answered_at IS NOT NULL AND v.status = 'sent'
            THEN 'answered' ELSE v.status END,
        due_at = v.due_at,
        channel = v.channel,
        ts = v.ts,
        sent_at = CASE WHEN v.status = 'sent' THEN %(now)s::timestamptz END,
        last_error = v.error,
        attempts = c.attempts - v.untried,
        lease_owner = NULL,
        lease_expires_at = NULL
    FROM v
    -- IS NOT DISTINCT FROM: the same test as `=` here, but one the partial lease index cannot
    -- serve, so the planner walks the batch and finds rows by id (see `complete`).
    WHERE c.id = v.id AND c.status IS NOT DISTINCT FROM 'claimed' AND c.lease_owner = %(owner)s
),
moved AS (
    UPDATE goals AS g SET
        last_sent_period = CASE
            WHEN v.period IS NOT NULL
                AND (g.last_sent_period IS NULL OR g.last_sent_period < v.period)
            THEN v.period ELSE g.last_sent_period END,
        dm_channel = COALESCE(v.channel, g.dm_channel),
        review_at = v.review_at
    FROM v
    WHERE g.id = v.goal_id
    RETURNING g.id, g.team_id, g.user_id
)
INSERT INTO goal_checkins (goal_id, team_id, user_id, kind, period, status, due_at, attempts)
SELECT moved.id, moved.team_id, moved.user_id, v.next_kind, v.next_period, 'pending',
    v.next_due_at, 0
FROM v JOIN moved ON moved.id = v.goal_id
WHERE v.next_kind IS NOT NULL
ON CONFLICT (goal_id, kind, period) DO NOTHING
"""


def advance_goals(
    session: Session,
    sent: Sequence[tuple[Claimed, Outcome]],
    *,
    now: datetime,
    limits: GoalLimits,
    coach_zones: dict[tuple[str, str], str],
) -> None:
    """After sends: move each goal on (last period, DM channel, review), schedule its next DM.

    `coach_zones`: the stored zone of each (team, coach), for the hour of the coach's digest.
    """
    if not sent:
        return
    goals = _table(GoalRow)
    rows = []
    following: list[dict[str, Any] | None] = []
    digests: list[dict[str, Any]] = []
    for claimed, outcome in sent:
        is_checkin = claimed.kind is CheckinKind.CHECKIN
        review_at = None
        if is_checkin:
            review_at = now if claimed.unanswered_before else now + limits.nudge_after
        rows.append(
            (claimed.goal.id, claimed.period if is_checkin else None, outcome.channel, review_at)
        )
        if not is_checkin:
            continue
        following.append(_following(claimed, now, limits))
        coach = claimed.goal.spec.coach_id
        if coach is not None:
            digests.append(
                _digest_values(claimed, coach, now, limits.digest_local_time, coach_zones)
            )
    columns = [
        ("id", Integer()),
        ("period", Date()),
        ("channel", String()),
        ("review_at", UTCDateTime()),
    ]

    def build(src: dict[str, Any], match: Any) -> Any:
        last = goals.c.last_sent_period
        period = src["period"]
        newer = and_(period.is_not(None), or_(last.is_(None), last < period))
        return (
            update(goals)
            .where(match)
            .values(
                last_sent_period=case((newer, period), else_=last),
                dm_channel=func.coalesce(src["channel"], goals.c.dm_channel),
                review_at=src["review_at"],
            )
        )

    moved = _update_many(session, goals, columns, rows, build, returning=True)
    nexts = [values for values in following if values is not None]
    if nexts:
        # A goal deleted by forget-me while its DM was in flight gets no next row (and must not
        # fail the whole batch's write-back on the foreign key). On PostgreSQL the UPDATE above
        # returned the goals it moved on, and holds them locked until commit, so none of them
        # can go before the insert; SQLite's transaction holds the write lock from its start.
        if moved is None:
            ids = [values["goal_id"] for values in nexts]
            moved = list(session.scalars(select(GoalRow.id).where(GoalRow.id.in_(ids))))
        alive = set(moved)
        insert_pending(session, [values for values in nexts if values["goal_id"] in alive])
    _insert_digests(session, digests)


def _following(claimed: Claimed, now: datetime, limits: GoalLimits) -> dict[str, Any] | None:
    """The row after the one just sent, computed from the goal as it now stands."""
    goal = claimed.goal
    last = max(claimed.period, goal.last_sent_period or claimed.period)
    return next_row_values(goal, now, limits, last_sent_period=last)


def _digest_values(
    claimed: Claimed,
    coach: str,
    now: datetime,
    digest_time: time,
    coach_zones: dict[tuple[str, str], str],
) -> dict[str, Any]:
    """The coach's digest row for the day of this check-in."""
    team = claimed.goal.team_id
    zone = resolve_zone(coach_zones.get((team, coach)) or claimed.goal.tz_name).zone
    at = digest_at(claimed.period, zone, digest_time)
    # A check-in sent after the digest hour still gets a couple of hours to be answered.
    return {
        "team_id": team,
        "coach_id": coach,
        "day": claimed.period,
        "status": CheckinStatus.PENDING.value,
        "due_at": max(at, now + timedelta(hours=2)),
        "attempts": 0,
    }


def _insert_digests(session: Session, rows: list[dict[str, Any]]) -> None:
    """One digest row per (coach, day); later check-ins of the same day join the same row."""
    if not rows:
        return
    insert = dialect_insert(session)(DigestRow)
    session.execute(
        insert.on_conflict_do_nothing(index_elements=["team_id", "coach_id", "day"]), rows
    )


# digests ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimedDigest:
    """A coach digest this worker holds."""

    id: int
    team_id: str
    coach_id: str
    day: date
    attempts: int
    first_claimed_at: datetime
    lease_expires_at: datetime
    due_at: datetime
    channel: str | None


@dataclass(frozen=True)
class DigestLine:
    """One coachee goal's check-in of the digest day."""

    coachee_id: str
    goal_title: str
    answer: str | None
    note: str | None


def load_digests(session: Session, ids: Sequence[int]) -> list[ClaimedDigest]:
    """The claimed digest rows."""
    if not ids:
        return []
    rows = session.scalars(select(DigestRow).where(DigestRow.id.in_(list(ids))))
    return [
        ClaimedDigest(
            id=row.id,
            team_id=row.team_id,
            coach_id=row.coach_id,
            day=row.day,
            attempts=row.attempts,
            first_claimed_at=row.first_claimed_at or row.due_at,
            lease_expires_at=row.lease_expires_at or row.due_at,
            due_at=row.due_at,
            channel=row.channel,
        )
        for row in rows
    ]


def digest_lines(session: Session, digest: ClaimedDigest) -> list[DigestLine]:
    """The coach's coachees' check-ins of the digest day, on goals still open."""
    rows = session.execute(
        select(GoalRow.user_id, GoalRow.title, CheckinRow.answer, CheckinRow.note)
        .join(CheckinRow, CheckinRow.goal_id == GoalRow.id)
        .where(
            GoalRow.team_id == digest.team_id,
            GoalRow.coach_id == digest.coach_id,
            GoalRow.status.in_([GoalStatus.ACTIVE.value, GoalStatus.PAUSED.value]),
            CheckinRow.kind == CheckinKind.CHECKIN.value,
            CheckinRow.period == digest.day,
            CheckinRow.sent_at.is_not(None),
        )
    ).all()
    return [DigestLine(user_id, title, answer, note) for user_id, title, answer, note in rows]


# accountability reviews ------------------------------------------------------------------------
@dataclass(frozen=True)
class Review:
    """A goal due a look by the accountability rules, with its check-in history."""

    goal: Goal
    history: list[CheckinRecord]
    newest_checkin_id: int | None


def due_reviews(session: Session, now: datetime, limit: int) -> list[Review]:
    """Active goals whose review time has come, locked for this transaction.

    `review_at` is not indexed (every send sets it; see storage.goals.GOALS_FILLFACTOR), so this
    reads every goal: on PostgreSQL a sequential scan, about as much work as reading 100,000
    goals once a tick (20 s).
    """
    query = (
        select(GoalRow)
        .where(GoalRow.review_at <= now, GoalRow.status == GoalStatus.ACTIVE.value)
        .order_by(GoalRow.review_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    goals = list(session.scalars(query))
    if not goals:
        return []
    by_goal: dict[int, list[CheckinRow]] = {goal.id: [] for goal in goals}
    rows = session.scalars(
        select(CheckinRow).where(
            CheckinRow.goal_id.in_(list(by_goal)),
            CheckinRow.kind == CheckinKind.CHECKIN.value,
            CheckinRow.sent_at.is_not(None),
        )
    )
    for row in rows:
        by_goal[row.goal_id].append(row)
    reviews = []
    for goal in goals:
        sent = sorted(by_goal[goal.id], key=lambda row: row.sent_at or now)
        reviews.append(
            Review(
                goal=to_goal(goal),
                history=[
                    CheckinRecord(
                        period=row.period,
                        sent_at=row.sent_at or now,
                        answered_at=row.answered_at,
                        nudged_at=row.nudged_at,
                    )
                    for row in sent
                ],
                newest_checkin_id=sent[-1].id if sent else None,
            )
        )
    return reviews


def set_review(session: Session, goal_id: int, at: datetime | None) -> None:
    """When the accountability rules should look at the goal again (None: not until a send)."""
    session.execute(update(GoalRow).where(GoalRow.id == goal_id).values(review_at=at))


def mark_nudged(session: Session, checkin_id: int, now: datetime) -> bool:
    """Record a nudge once (compare-and-set): True when this call is the one to send it."""
    result = session.execute(
        update(CheckinRow)
        .where(
            CheckinRow.id == checkin_id,
            CheckinRow.nudged_at.is_(None),
            CheckinRow.answered_at.is_(None),
        )
        .values(nudged_at=now)
    )
    return int(getattr(result, "rowcount", 0)) == 1


def set_needs_attention(session: Session, goal_id: int, on: bool, now: datetime) -> None:
    """Set or clear the goal's "needs attention" flag."""
    session.execute(
        update(GoalRow).where(GoalRow.id == goal_id).values(needs_attention=on, updated_at=now)
    )


# time zones ------------------------------------------------------------------------------------
def goals_needing_zone(
    session: Session, now: datetime, *, max_age: timedelta, horizon: timedelta, limit: int
) -> list[tuple[int, str, str]]:
    """(goal id, team, user) of active goals due soon whose zone was checked long ago."""
    rows = session.execute(
        select(GoalRow.id, GoalRow.team_id, GoalRow.user_id)
        .join(CheckinRow, CheckinRow.goal_id == GoalRow.id)
        .where(
            GoalRow.status == GoalStatus.ACTIVE.value,
            GoalRow.tz_checked_at < now - max_age,
            status_is(CheckinRow.status, CheckinStatus.PENDING),
            CheckinRow.due_at <= now + horizon,
        )
        .order_by(CheckinRow.due_at)
        .limit(limit)
    ).all()
    return [(int(goal_id), team, user) for goal_id, team, user in rows]


def counts_by_status(session: Session) -> dict[str, int]:
    """How many check-in rows are in each status (for the CLI and the benchmark)."""
    rows = session.execute(
        select(CheckinRow.status, func.count(literal_column("*"))).group_by(CheckinRow.status)
    ).all()
    return {str(status): int(count) for status, count in rows}
