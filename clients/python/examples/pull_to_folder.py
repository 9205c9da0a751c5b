"""Mirror one language's feed into a folder of JSON files, resumably.

    ULAK_KEY=... python pull_to_folder.py --hub http://127.0.0.1:8000 --lang en --out ./en [--follow]

Each story lands in ``<out>/<story id>.json`` (its latest version in that language; a
killed story's file shows ``pubStatus: canceled``). The feed position is kept in
``<out>/.ulak-checkpoint.json``: stop the script at any moment (Ctrl-C, kill -9, a
reboot) and the next run continues with the first entry that was not yet written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ulak_client import Checkpoint, FeedEntry, UlakClient


def write_entry(out: Path, entry: FeedEntry) -> Path:
    target = out / f"{entry.story_id}.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(entry.item.to_json_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, target)  # a reader of the folder never sees half a file
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", default=os.environ.get("ULAK_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--key", default=os.environ.get("ULAK_KEY"), help="API key with the pull scope (or ULAK_KEY)")
    parser.add_argument("--lang", required=True, help="feed language, e.g. en, az, tr, ru, uz")
    parser.add_argument("--out", type=Path, required=True, help="folder to mirror into")
    parser.add_argument("--follow", action="store_true", help="keep polling for new entries")
    parser.add_argument("--poll-interval", type=float, default=5.0)
    args = parser.parse_args(argv)
    if not args.key:
        parser.error("an API key is required (--key or ULAK_KEY)")

    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = Checkpoint(args.out / ".ulak-checkpoint.json")
    written = 0
    with UlakClient(args.hub, api_key=args.key) as hub:
        feed = hub.feed(args.lang, checkpoint=checkpoint, follow=args.follow, poll_interval=args.poll_interval)
        try:
            for entry in feed:
                path = write_entry(args.out, entry)
                written += 1
                print(f"{entry.pub_status:9} v{entry.version} {path.name}", flush=True)
        except KeyboardInterrupt:
            pass  # the entry being written when interrupted is written again next time
    print(f"{written} entries written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
