"""The library stays a library: no hub imports, no argostranslate/torch in the serving path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_translation_imports_nothing_of_the_hub_and_no_heavy_dependencies() -> None:
    code = (
        "import sys, translation, hub.commands.models, hub.commands.translate\n"
        "heavy = [m for m in ('argostranslate', 'stanza', 'torch') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
    for module in (REPO / "translation").glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert "from hub" not in source and "import hub" not in source, module.name
