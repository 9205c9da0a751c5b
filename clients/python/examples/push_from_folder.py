"""Push every ninjs story in a folder to an Ulak hub, with its media.

    ULAK_KEY=... python push_from_folder.py --hub http://127.0.0.1:8000 ./outbox

Each ``<name>.json`` is a ninjs story (``uri`` = your guid, ``language``, ``headlines``,
``bodies``). Files next to it sharing its name (``<name>.jpg``, ``<name>.2.png``…) are
uploaded and attached as associations. Running it again is harmless: a push is
idempotent by guid and content, so unchanged stories keep their version and edited
ones get a new one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ulak_client import APIError, UlakClient


def media_files(story_file: Path) -> list[Path]:
    siblings = story_file.parent.glob(f"{story_file.stem}.*")
    return sorted(p for p in siblings if p.is_file() and p.suffix != ".json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--hub", default=os.environ.get("ULAK_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--key", default=os.environ.get("ULAK_KEY"), help="API key with the push scope (or ULAK_KEY)")
    args = parser.parse_args(argv)
    if not args.key:
        parser.error("an API key is required (--key or ULAK_KEY)")

    failures = 0
    with UlakClient(args.hub, api_key=args.key) as hub:
        for story_file in sorted(args.folder.glob("*.json")):
            story = json.loads(story_file.read_text(encoding="utf-8"))
            try:
                uploads = [hub.upload_media(path) for path in media_files(story_file)]
                associations = [m.as_association(f"media{i}").to_json_dict() for i, m in enumerate(uploads, 1)]
                story["associations"] = [*story.get("associations", []), *associations]
                result = hub.push_story(story)
            except APIError as exc:  # one bad story must not stop the rest
                failures += 1
                print(f"FAILED  {story_file.name}: {exc}", file=sys.stderr)
                continue
            state = "new" if result.created else "unchanged"
            print(f"{state:9} {story_file.name} -> {result.id} v{result.version} ({len(uploads)} media)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
