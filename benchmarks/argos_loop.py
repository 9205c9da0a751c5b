"""The Argos Translate baseline, in a child process whose threads are pinned.

Argos imports stanza, and stanza imports torch: a second OpenMP runtime (torch's libgomp
beside CTranslate2's own copy) with its own thread pool, sized from OMP_NUM_THREADS or the
core count. Argos itself passes ``inter_threads=ARGOS_INTER_THREADS`` (default 1) and
``intra_threads=ARGOS_INTRA_THREADS`` (default 0: CTranslate2's own default) to every
``ctranslate2.Translator``, cuts each sentence list into ``ARGOS_BATCH_SIZE`` (32) token
batches, and keeps the previous call's paragraphs per package (``CachedTranslation``), so a
story sent to four targets in turn goes source → en once. So the child starts with every
thread variable set here (``pinned_environment``), sets torch's threads to 1 once torch is
in (it runs nothing here), and reports what it ended up with; the engine's process never
imports torch. The parent drives it over stdin/stdout, one JSON line per command, so Argos
runs can be interleaved with the engine's.

    python -m benchmarks.argos_loop CONFIG.json   (started by ``ArgosLoop``)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("az", "tr", "ru", "uz", "en")
THREAD_PREFIXES = ("OMP_", "MKL_", "OPENBLAS_", "CT2_", "TORCH_", "NUMEXPR_", "VECLIB_", "GOMP_", "KMP_", "ARGOS_")
# glibc's malloc tuning (the engine caps its arenas with mallopt, in its own process only).
DROPPED_PREFIXES = (*THREAD_PREFIXES, "MALLOC_")


def pinned_environment(packages_dir: Path, work_dir: Path, settings: dict, intra_threads: int) -> dict[str, str]:
    """This process's environment without any thread or Argos variable, plus the pinned ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_PREFIXES)}
    return env | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        # OpenMP pools of both runtimes: CTranslate2 sets its own per translator from
        # intra_threads; torch's (unused here) would otherwise size itself to the cores.
        "OMP_NUM_THREADS": str(intra_threads),
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "ARGOS_PACKAGES_DIR": str(packages_dir),
        "XDG_DATA_HOME": str(work_dir / "data"),
        "XDG_CONFIG_HOME": str(work_dir / "config"),
        "XDG_CACHE_HOME": str(work_dir / "cache"),
        "ARGOS_DEVICE_TYPE": "cpu",
        "ARGOS_INTER_THREADS": "1",
        "ARGOS_INTRA_THREADS": str(intra_threads),
        "ARGOS_COMPUTE_TYPE": settings["compute_type"],
        "ARGOS_BEAM_SIZE": str(settings["beam_size"]),
        "ARGOS_BATCH_SIZE": "32",
        "ARGOS_CHUNK_TYPE": "ARGOSTRANSLATE",
    }


class ArgosLoop:
    """A child process translating ``batch`` with Argos at ``intra_threads``; ``run(n)`` times
    ``n`` stories from ``start`` (all if None). Argos keeps each package's previous call
    (``CachedTranslation``): a story translated twice in a row costs nothing the second time. ``pinned=False`` inherits this environment as it is
    (how the baseline ran before, for comparison)."""

    def __init__(
        self,
        packages_dir: Path,
        work_dir: Path,
        batch: list[tuple[str, str]],
        settings: dict,
        intra_threads: int,
        *,
        pinned: bool = True,
    ) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        config = work_dir / f"argos-{intra_threads}.json"
        config.write_text(json.dumps({"batch": batch, "settings": settings, "intra_threads": intra_threads}))
        env = pinned_environment(packages_dir, work_dir, settings, intra_threads)
        if not pinned:
            env = {k: v for k, v in env.items() if not k.startswith(("OMP_", "MKL_", "OPENBLAS_"))}
            env |= {k: v for k, v in os.environ.items() if k.startswith(THREAD_PREFIXES[:-1])}
        env["ULAK_BENCH_PIN_TORCH"] = "1" if pinned else "0"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.argos_loop", str(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        self.ready = self._reply()

    def _reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Argos child exited with {self.process.wait()}")
        return json.loads(line)

    def run(self, stories: int | None = None, start: int = 0) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(f"run {stories or 0} {start}\n")
        self.process.stdin.flush()
        return self._reply()

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=60)

    def __enter__(self) -> ArgosLoop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _child(config_path: str) -> None:
    # Argos and its splitters print to stdout: the replies get a stdout of their own.
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from benchmarks.measure import CpuWatch
    from translation.segmentation import segment_text

    config = json.loads(Path(config_path).read_text())
    batch, settings = config["batch"], config["settings"]
    started = time.perf_counter()
    import argostranslate.translate as argos
    import ctranslate2

    import_seconds = time.perf_counter() - started
    torch_threads_at_import = None
    if "torch" in sys.modules:
        import torch

        torch_threads_at_import = torch.get_num_threads()
        if os.environ.get("ULAK_BENCH_PIN_TORCH") == "1":
            torch.set_num_threads(1)
    length = settings["decoding_length"]
    passed: dict[str, Any] = {}

    class FixedLengthTranslator:
        """ctranslate2.Translator with the benchmark's fixed output length forced in; records
        the thread counts Argos passes (from its settings, read at import)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            passed.update(inter_threads=kwargs.get("inter_threads"), intra_threads=kwargs.get("intra_threads"))
            self._translator = ctranslate2.Translator(*args, **kwargs)

        def translate_batch(self, *args: Any, **kwargs: Any) -> Any:
            return self._translator.translate_batch(
                *args, **kwargs, min_decoding_length=length, max_decoding_length=length
            )

    argos.ctranslate2 = types.SimpleNamespace(Translator=FixedLengthTranslator)

    class OurSentencizer:
        """Argos's own splitter needs a downloaded model; ours splits the same way for both paths."""

        def __init__(self, lang: str) -> None:
            self.lang = lang

        def split_sentences(self, text: str) -> list[str]:
            return segment_text(text, self.lang).sentences

    argos.get_installed_languages()
    for installed in argos.installed_translates:
        underlying = installed.cached_translation.underlying
        underlying.sentencizer = OurSentencizer(underlying.pkg.from_code)
    for lang in LANGS:  # warm-up: load every model, on text outside the batch
        for target in LANGS:
            if target != lang:
                argos.translate(f"Warm up {lang} {target}.", lang, target)
    threads: dict[str, Any] = {
        "ctranslate2_inter_threads": passed.get("inter_threads"),
        "ctranslate2_intra_threads": passed.get("intra_threads"),
        "torch_loaded": "torch" in sys.modules,
        "torch_threads_at_import": torch_threads_at_import,
        "torch_threads": sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None,
        "os_threads_after_warm_up": len(os.listdir("/proc/self/task")),
        "env": {k: v for k, v in os.environ.items() if k.startswith(THREAD_PREFIXES) and "DIR" not in k},
    }
    _send(replies, {"import_seconds": import_seconds, "threads": threads, "argostranslate": argos.__name__})
    for line in sys.stdin:
        _, count_text, start_text = line.split()
        start = int(start_text)
        count = int(count_text) or len(batch) - start
        with CpuWatch() as watch:
            translations = 0
            for lang, text in batch[start : start + count]:
                for target in LANGS:
                    if target != lang:
                        argos.translate(text, lang, target)
                        translations += 1
        _send(
            replies,
            {
                "seconds": watch.seconds,
                "cpu_seconds": watch.cpu_seconds,
                "other_cores": watch.other_cores,
                "stories": count,
                "translations": translations,
            },
        )


def _send(replies: Any, message: dict[str, Any]) -> None:
    replies.write(json.dumps(message) + "\n")
    replies.flush()


if __name__ == "__main__":
    _child(sys.argv[1])
