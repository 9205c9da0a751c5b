"""The reads of a pull request (the caller's key, its rate limit, a feed page), written
once as a sequence of steps and run two ways:

- on a session, in a worker thread (``run_on_session``): SQLite, whose reads are work in
  this process, and anything outside the API;
- on the event loop (``AsyncReads``): PostgreSQL, with psycopg's asyncio connections.
  The reads are network waits, and awaiting them costs less than the two trips through
  the thread pool a request made for them (a tenth of a feed page's time).

On the event loop the reads bypass SQLAlchemy's engine: its statement events do not see
them (``benchmarks/feed.py --explain`` reads the same statements on a session).

A sequence is a generator that yields steps and gets each one's result back:

- ``Read(statement, values)`` (hub.db): the rows, as ``hub.db.driver_rows`` returns them;
- ``Together(reads)``: the rows of each, the reads sent at once (one round trip on the
  event loop, in psycopg's pipeline mode);
- ``Count(request, caller, scope)``: the request counted against the key's rate limit
  (``hub.ratelimit.count_request``); None;
- ``Blocking(call)``: a call that may wait on I/O or write (an embargo release), run
  inline on a session (whose read ends first, so later reads see what it wrote) and in
  the thread pool from the event loop; its result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from hub.db import IDLE_BEFORE_PING_SECONDS, DriverStatement, Read, Utf8BytesLoader, driver_rows, driver_statement
from hub.ratelimit import count_request, count_request_at_once

if TYPE_CHECKING:
    from hub.auth.service import Principal

T = TypeVar("T")


class Count(NamedTuple):
    request: Request
    caller: Principal
    scope: str


class Blocking(NamedTuple):
    call: Callable[[], Any]


class Together(NamedTuple):
    reads: tuple[Read, ...]


Step = Read | Together | Count | Blocking
Steps = Generator[Step, Any, T]


def run_on_session(session: Session, steps: Steps[T]) -> T:
    """Run ``steps`` on ``session`` (its reads on the driver's cursor)."""
    result: Any = None
    while True:
        try:
            step = steps.send(result)
        except StopIteration as done:
            return done.value
        if isinstance(step, Read):
            result = driver_rows(session.connection(), step.statement, step.values)
        elif isinstance(step, Together):
            result = tuple(driver_rows(session.connection(), read.statement, read.values) for read in step.reads)
        elif isinstance(step, Count):
            count_request(step.request, step.caller, step.scope)
            result = None
        else:
            session.close()  # the next read starts afresh and sees what the call wrote
            result = step.call()


# Connections the event loop keeps idle at most; beyond that a returned one is closed.
MAX_IDLE = 4


class AsyncReads:
    """PostgreSQL connections for the event loop, in autocommit (under READ COMMITTED each
    statement sees its own snapshot, in a transaction or not; without one there is no
    BEGIN and no ROLLBACK), and the driver that runs a sequence of steps on one.

    Not psycopg_pool's pool: while the database is down, that one waits out its timeout
    for a connection its background workers keep failing to open, where a request should
    fail at once with a 503 as it does on the hub's other routes. This pool, like
    SQLAlchemy's, connects on demand (failing at once), keeps a few idle connections,
    pings one that sat idle (a restarted server) and drops any a failure left broken.
    At most ``max_connections`` are in use at once; further requests wait for one."""

    def __init__(self, url: str, dialect: Dialect, *, max_connections: int = 10) -> None:
        self._conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._dialect = dialect
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[tuple[psycopg.AsyncConnection[Any], float]] = []  # (connection, when it was returned)

    async def run(self, steps: Steps[T]) -> T:
        async with self._connection() as connection:
            result: Any = None
            while True:
                try:
                    step = steps.send(result)
                except StopIteration as done:
                    return done.value
                if isinstance(step, Read):
                    result = await self._rows(connection, step)
                elif isinstance(step, Together):
                    result = await self._rows_together(connection, step.reads)
                elif isinstance(step, Count):
                    if not count_request_at_once(step.request, step.caller, step.scope):
                        await run_in_threadpool(count_request, step.request, step.caller, step.scope)
                    result = None
                else:
                    result = await run_in_threadpool(step.call)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            await connection.close()

    async def _rows(self, connection: psycopg.AsyncConnection[Any], read: Read) -> list[tuple[Any, ...]]:
        compiled, parameters = self._compiled(read)
        try:
            async with connection.cursor() as cursor:
                if compiled.text_as_bytes:
                    cursor.adapters.register_loader("text", Utf8BytesLoader)
                await cursor.execute(compiled.sql, parameters)
                return await cursor.fetchall()
        except psycopg.Error as exc:
            raise self._error(exc, compiled.sql, parameters, invalidated=connection.broken) from exc

    async def _rows_together(
        self, connection: psycopg.AsyncConnection[Any], reads: tuple[Read, ...]
    ) -> tuple[list[tuple[Any, ...]], ...]:
        """The reads sent at once in pipeline mode, their results read after: one round trip."""
        statements = [self._compiled(read) for read in reads]
        try:
            cursors = []
            async with connection.pipeline():
                for compiled, parameters in statements:
                    cursor = connection.cursor()
                    cursors.append(cursor)
                    if compiled.text_as_bytes:
                        cursor.adapters.register_loader("text", Utf8BytesLoader)
                    await cursor.execute(compiled.sql, parameters)
            results = tuple([await cursor.fetchall() for cursor in cursors])
            for cursor in cursors:
                await cursor.close()
            return results
        except psycopg.Error as exc:
            sql = "; ".join(compiled.sql for compiled, _ in statements)
            raise self._error(exc, sql, [p for _, p in statements], invalidated=connection.broken) from exc

    def _compiled(self, read: Read) -> tuple[DriverStatement, Any]:
        compiled = driver_statement(read.statement, self._dialect)
        if compiled is None:
            raise TypeError("a statement with list parameters needs SQLAlchemy's expansion: run it on a session")
        return compiled, compiled.parameters(read.values)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._slots:
            connection = await self._take()
            try:
                yield connection
            finally:
                await self._give_back(connection)

    async def _take(self) -> psycopg.AsyncConnection[Any]:
        while self._idle:
            connection, returned_at = self._idle.pop()  # the most recently used: warm, and the rest may age out
            if time.monotonic() - returned_at < IDLE_BEFORE_PING_SECONDS:
                return connection
            try:
                await connection.execute("SELECT 1")
                return connection
            except psycopg.Error:
                await connection.close()  # dead (a restarted server, a dropped link): try the next
        try:
            return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True, connect_timeout=5)
        except psycopg.Error as exc:
            raise self._error(exc, "connect", None, invalidated=True) from exc

    async def _give_back(self, connection: psycopg.AsyncConnection[Any]) -> None:
        usable = not connection.closed and connection.info.transaction_status == TransactionStatus.IDLE
        if usable and len(self._idle) < MAX_IDLE:
            self._idle.append((connection, time.monotonic()))
        else:  # broken, cancelled mid-statement, or one too many
            await connection.close()

    def _error(self, exc: psycopg.Error, sql: str, parameters: Any, *, invalidated: bool) -> DBAPIError:
        """What SQLAlchemy raises for the same failure on a session, so the same handler
        answers it (hub.errors: a lost or refused connection is a 503)."""
        error = DBAPIError.instance(
            sql, parameters, exc, psycopg.Error, connection_invalidated=invalidated, dialect=self._dialect
        )
        assert isinstance(error, DBAPIError)  # for a driver error, always
        return error
