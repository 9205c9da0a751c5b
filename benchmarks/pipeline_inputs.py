"""What benchmarks/pipeline.py feeds the hub: the real-size synthetic packages, the news
stories and the worker's jobs built from them.

The packages have Argos's dimensions (6+6 layers, d_model 512, ffn 2048, 8 heads, shared
50k vocabulary, int8): az/tr/ru↔en are hard links to the pair package benchmarks/translation.py
builds and caches, en↔uz is one multilingual package (``__en__``/``__uz__`` tokens) built
here and cached beside it, keyed by the builder's source.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hub.jobs.documents import fields_of
from tests.fixtures import synthetic_models
from tests.fixtures.synthetic_models import (
    ARGOS_SIZE,
    SyntheticPackage,
    build_package,
    generated_sentences,
    language_token,
    train_sentencepiece,
)
from translation import Document
from translation.packages import install_archive, read_package

REPO = Path(__file__).resolve().parent.parent
LANGS = ("az", "tr", "ru", "uz", "en")
SOURCES = ("az", "tr", "ru", "en")
AGENCY_OF = {"az": "azertac", "tr": "aa", "ru": "tass", "en": "bench-en"}
MULTILINGUAL = SyntheticPackage("en", "uz", languages=("en", "uz"), seed=42)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- models


def translation_benchmark() -> Any:
    """benchmarks/translation.py as a module (its name clashes with our `translation` package)."""
    spec = importlib.util.spec_from_file_location("benchmarks_translation", REPO / "benchmarks" / "translation.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ensure_multilingual_package(cache_dir: Path) -> Path:
    """The real-size multilingual en↔uz package (``__en__``/``__uz__`` tokens), built once."""
    # Keyed by the builder's source, so a change to the synthetic models rebuilds it.
    builder = hashlib.sha256(Path(synthetic_models.__file__).read_bytes()).hexdigest()[:12]
    installed = cache_dir / f"argos-size-multilingual-en-uz-{builder}"
    if installed.is_dir() and any(installed.iterdir()):
        return next(installed.iterdir())
    started = time.perf_counter()
    log("building the real-size multilingual en↔uz package (cached for next runs)…")
    scratch = Path(tempfile.mkdtemp(dir=cache_dir))
    tokens = [language_token(code) for code in MULTILINGUAL.languages]
    sp_model = train_sentencepiece(vocab_size=8000, language_tokens=tokens, sentences=20000)
    archive = build_package(scratch, MULTILINGUAL, shape=ARGOS_SIZE, sp_model=sp_model)
    install_archive(archive, scratch / "installed")
    shutil.move(scratch / "installed", installed)
    shutil.rmtree(scratch)
    log(f"built in {time.perf_counter() - started:.1f} s")
    return next(installed.iterdir())


def install_models(cache_dir: Path, models_dir: Path) -> list[str]:
    """az/tr/ru↔en from the shared pair package, en↔uz multilingual; hard links, no copies."""
    base = translation_benchmark().ensure_base_package(cache_dir)
    multilingual = ensure_multilingual_package(cache_dir)
    models_dir.mkdir(parents=True)
    metadata = json.loads((base / "metadata.json").read_text())
    for source, target in [(s, "en") for s in ("az", "tr", "ru")] + [("en", t) for t in ("az", "tr", "ru")]:
        code = f"translate-{source}_{target}"
        package_dir = models_dir / f"{code}-1.0"
        shutil.copytree(base, package_dir, copy_function=os.link)
        (package_dir / "metadata.json").unlink()  # a hard link: do not write through it
        (package_dir / "metadata.json").write_text(
            json.dumps(
                metadata
                | {"from_code": source, "to_code": target, "from_name": source, "to_name": target, "code": code}
            )
        )
    shutil.copytree(multilingual, models_dir / multilingual.name, copy_function=os.link)
    return [read_package(path).code for path in sorted(models_dir.iterdir())]


# ---------------------------------------------------------------------------- stories


def news_stories(count: int, sentences: int) -> list[dict[str, Any]]:
    """Deterministic ninjs stories: a headline and ``sentences`` body sentences in three
    paragraphs; sources az, tr, ru, en in turn."""
    stories = []
    for index in range(count):
        lang = SOURCES[index % len(SOURCES)]
        lines = list(generated_sentences((lang,), count=sentences + 1, seed=1000 + index))
        third = max(1, sentences // 3)
        paragraphs = [" ".join(lines[1 + i : 1 + i + third]) for i in range(0, sentences, third)]
        stories.append(
            {
                "uri": f"urn:{AGENCY_OF[lang]}:bench:{index:04d}",
                "language": lang,
                "headlines": [{"role": "main", "value": lines[0].rstrip(".!?")}],
                "bodies": [{"role": "main", "contentType": "text/plain", "value": "\n\n".join(paragraphs)}],
                "urgency": 4,
            }
        )
    return stories


def warmup_stories() -> list[dict[str, Any]]:
    """One short story per source language: loads every model the batch needs."""
    return [
        {
            "uri": f"urn:{AGENCY_OF[lang]}:warmup",
            "language": lang,
            "headlines": [{"value": f"Warm-up {lang}"}],
            "bodies": [{"value": f"Warm-up story in {lang}. Second warm-up sentence."}],
        }
        for lang in SOURCES
    ]


def worker_jobs(originals: list[dict[str, Any]]) -> list[Document]:
    """What the worker translates: one single-target document per job, in queue order."""
    return [
        Document(doc["language"], (target,), fields_of(doc))
        for doc in originals
        for target in LANGS
        if target != doc["language"]
    ]
