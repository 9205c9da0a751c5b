"""Fixtures of the translation suite: synthetic packages (see tests/fixtures/models.py)."""

from __future__ import annotations

from tests.fixtures.models import (  # noqa: F401  (fixtures)
    installed_models_dir,
    models_dir,
    multilingual_model_source,
    synthetic_archives,
)
