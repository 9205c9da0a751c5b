"""Alembic migrations and the models agree, up and down, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hub.db import check_schema, current_revision, downgrade, head_revision, make_engine, upgrade
from hub.models import Base


def test_schema_at_head_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision()
        check_schema(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(database_url)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
