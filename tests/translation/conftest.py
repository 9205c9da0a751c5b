"""Fixtures of the translation suite: synthetic packages (see tests/fixtures/models.py) and a
local Argos index serving them (tests/fixtures/argos_index.py)."""

from __future__ import annotations

from tests.fixtures.argos_index import index_server  # noqa: F401  (fixture)
from tests.fixtures.models import (  # noqa: F401  (fixtures)
    installed_models_dir,
    models_dir,
    multilingual_model_source,
    synthetic_archives,
)
