"""SQLite: one statement run for many rows through the driver's executemany.

SQLAlchemy's executemany builds a parameter dictionary per row and runs every value through its
type's bind processor (for a date or a timestamp, a Python call or two and a string format), which
cost more than SQLite's own work on the dispatcher's batches. Here the statement is compiled once
per call, each row is a tuple in the compiled statement's parameter order, and each distinct value
of a processed column is converted once with the same processor SQLAlchemy would use (a batch
repeats few dates and times), so the database receives exactly what `session.execute(stmt, rows)`
would send.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler


def executemany(
    session: Session, stmt: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Run `stmt` once per row; `names` are its row-wise bind parameters, in each row's order.

    The statement's other bind parameters keep the values it was built with.
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    assert dialect.paramstyle == "qmark", dialect.paramstyle
    order = compiled.positiontup or []
    width = len(names)
    column_of = {name: index for index, name in enumerate(names)}
    # Each position reads the row (its own column) or, past the row's width, a fixed value.
    extra: list[Any] = []
    picks: list[int] = []
    for name in order:
        if name in column_of:
            picks.append(column_of[name])
            continue
        process = _processor(compiled, name, dialect)
        value = compiled.binds[name].effective_value
        extra.append(process(value) if process is not None and value is not None else value)
        picks.append(width + len(extra) - 1)
    processors = [_processor(compiled, name, dialect) for name in names]
    columns = [list(column) for column in zip(*rows, strict=True)]
    for index, process in enumerate(processors):
        if process is not None:
            columns[index] = _processed(columns[index], process)
    tail = tuple(extra)
    pick = itemgetter(*picks) if len(picks) > 1 else (lambda row: (row[picks[0]],))
    params = [pick(row + tail) for row in zip(*columns, strict=True)]
    conn.exec_driver_sql(compiled.string, params)


def _processor(compiled: SQLCompiler, name: str, dialect: Any) -> Any:
    """The bind processor SQLAlchemy applies to parameter `name` on this dialect, or None."""
    bind = compiled.binds.get(name)
    if bind is None:
        return None
    return bind.type.dialect_impl(dialect).bind_processor(dialect)


def _processed(values: list[Any], process: Any) -> list[Any]:
    """`values` through `process`, each distinct value converted once (None stays None)."""
    done: dict[Any, Any] = {None: None}
    out = []
    for value in values:
        try:
            out.append(done[value])
        except KeyError:
            converted = done[value] = process(value)
            out.append(converted)
    return out
