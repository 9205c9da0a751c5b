"""Database engine, sessions and the schema-version gate.

The request or job scope owns commit/rollback (``session_scope``); repositories only
flush. Migrations are Alembic's (``ulak db upgrade``); the app refuses to start on a
schema that is not at head.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import adapt as psycopg_adapt
from sqlalchemy import Connection, CursorResult, Engine, LargeBinary, Result, Select, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaOutdated(Exception):
    """The database schema is not at the migration head."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    # JSON columns (stored ninjs documents) are decoded with orjson: a feed page decodes a
    # hundred of them. Encoding stays the standard library's (writes are not the hot path,
    # and it is what every stored document was written with).
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own BEGIN handling defers the write lock; we issue BEGIN ourselves
        # so that a transaction that writes takes the lock up front (see _sqlite_begin).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    ping_when_idle = kwargs.pop("pool_pre_ping", True)
    connect_args = kwargs.pop("connect_args", {}) | {"connect_timeout": 5}
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "before_cursor_execute", _text_as_bytes)
    if ping_when_idle:
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A connection that sat in the pool this long is pinged before use: a restarted server
# or a firewall that dropped idle connections then costs a reconnect, not a failed
# request. One in steady use is not (a ping per checkout was a round trip per request).
IDLE_BEFORE_PING_SECONDS = 2.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_BEFORE_PING_SECONDS:
        return  # new, or used a moment ago
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()
    except Exception as exc:
        raise DisconnectionError(f"pooled connection is dead: {exc}") from exc  # the pool reconnects


class utf8_bytes(FunctionElement[bytes]):  # lower case: used like func.* in a select
    """A text column read as the UTF-8 bytes it is stored as, not decoded into ``str``.
    Feed pages splice a hundred stored JSON texts into one response: decoding them into
    ``str`` and encoding the page back cost more than the query itself.

    SQLite: ``CAST(column AS BLOB)``, the text's bytes as they are. PostgreSQL: the column
    itself, and every ``text`` column of such a statement is loaded as bytes (the cursor
    gets a loader of its own, see ``_text_as_bytes``; other statements are untouched)."""

    type = LargeBinary()
    inherit_cache = True


@compiles(utf8_bytes, "sqlite")
def _utf8_bytes_sqlite(element: utf8_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


@compiles(utf8_bytes, "postgresql")
def _utf8_bytes_postgresql(element: utf8_bytes, compiler: SQLCompiler, **kw: Any) -> str:
    compiler.ulak_text_as_bytes = True  # type: ignore[attr-defined]  # kept with the cached compiled statement
    return compiler.process(element.clauses, **kw)


def _text_as_bytes(_conn: Any, cursor: Any, _statement: str, _parameters: Any, context: Any, _many: bool) -> None:
    if context is not None and getattr(context.compiled, "ulak_text_as_bytes", False):
        cursor.adapters.register_loader("text", _Utf8BytesLoader)  # this cursor only


class _Utf8BytesLoader(psycopg_adapt.Loader):
    def load(self, data: Any) -> bytes:
        return bytes(data)


class _DriverStatement(NamedTuple):
    statement: Select[*tuple[Any, ...]]  # held so that its id, the cache key, is never reused
    sql: str
    names: list[str] | None  # positional paramstyles (SQLite's ``?``): each value's name
    defaults: dict[str, Any]  # values the statement binds itself (SQLite's OFFSET 0)
    required: frozenset[str]  # the values the caller must give
    text_as_bytes: bool


_driver_statements: dict[tuple[int, str], _DriverStatement | None] = {}


def driver_rows(
    connection: Connection, statement: Select[*tuple[Any, ...]], values: dict[str, Any]
) -> Sequence[tuple[Any, ...]]:
    """``connection.execute(statement, values).all()`` as plain tuples, for the reads every
    pull request makes (the key lookup, the feed page): the statement is compiled once
    per dialect and run on the driver's own cursor. SQLAlchemy's execution path (an
    execution context, result metadata from the cursor's description, a Row per row)
    cost more than the key lookup itself and a third of the page query on SQLite.

    Values reach the driver as given and results come back as the driver returns them:
    for statements whose parameters and columns need no conversion (ints, strings,
    bytes). A statement with list parameters (expanding IN) goes through SQLAlchemy.
    Errors are SQLAlchemy's as usual (a lost connection is invalidated, the API's 503);
    cursor events fire, with no execution context."""
    dialect = connection.dialect
    key = (id(statement), dialect.name)
    if key not in _driver_statements:
        compiled: Any = statement.compile(dialect=dialect)
        plain = not compiled.post_compile_params and not compiled.literal_execute_params
        defaults = {name: value for name, value in compiled.params.items() if value is not None}
        _driver_statements[key] = (
            _DriverStatement(
                statement,
                str(compiled),
                list(compiled.positiontup) if compiled.positional else None,
                defaults,
                frozenset(compiled.params) - defaults.keys(),
                getattr(compiled, "ulak_text_as_bytes", False),
            )
            if plain
            else None
        )
    compiled_statement = _driver_statements[key]
    if compiled_statement is None:
        return [tuple(row) for row in connection.execute(statement, values)]
    _, sql, names, defaults, required, text_as_bytes = compiled_statement
    if missing := required - values.keys():
        raise KeyError(f"no value for {', '.join(map(repr, sorted(missing)))}")
    parameters: Any = tuple((defaults | values)[name] for name in names) if names else defaults | values
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None  # a Connection in use holds one
    cursor = dbapi_connection.cursor()
    try:
        if text_as_bytes:
            cursor.adapters.register_loader("text", _Utf8BytesLoader)
        # Statement events fire as for any statement (what listeners see: no execution
        # context), so tracing and statement capture still see the hot reads.
        for listener in connection.dispatch.before_cursor_execute:
            sql, parameters = listener(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        connection.dispatch.after_cursor_execute(connection, cursor, sql, parameters, None, False)
        return cursor.fetchall()
    except dialect.loaded_dbapi.Error as exc:
        invalidated = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if invalidated:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql, parameters, exc, dialect.loaded_dbapi.Error, connection_invalidated=invalidated, dialect=dialect
        ) from exc
    finally:
        cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A transaction that will write takes the write lock at BEGIN (IMMEDIATE), so
    # concurrent writers queue on busy_timeout instead of failing with "database is
    # locked" when a reader upgrades; readers stay DEFERRED and never wait (WAL).
    immediate = conn.get_execution_options().get("ulak_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite"):
        make_engine(url).dispose()  # creates the data directory
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_schema(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise SchemaOutdated(
            f"the database schema is {state}, but this version of Ulak needs {head}: run `ulak db upgrade`"
        )


def affected_rows(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (``session.execute`` types its result as a plain
    ``Result``; for those statements it is a ``CursorResult``)."""
    assert isinstance(result, CursorResult)
    return result.rowcount or 0
