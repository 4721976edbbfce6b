"""Reading many rows without holding them all in memory."""

from __future__ import annotations

from sqlalchemy import CursorResult, Select
from sqlalchemy.engine import Connection


def stream(conn: Connection, query: Select[tuple[object, ...]] | Select[object],
           rows: int) -> CursorResult[object]:
    """Run ``query`` fetching ``rows`` rows at a time (a server-side cursor on PostgreSQL).

    The option is set on the statement: set on the connection, it would stay for every later
    statement of the transaction, and PostgreSQL refuses a cursor over an ``INSERT``.
    """
    return conn.execute(query.execution_options(yield_per=rows))
