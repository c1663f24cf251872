"""Per-spider crawl state kept between runs: high-water marks for incremental crawls.

The crawl never opens the corpus (DuckDB would lock analysts out), so what a spider needs to
remember — the newest complaint id or time it has seen per list — lives in a small JSON file
under the data folder: ``<data home>/state/<spider>.json``. It is written only when a crawl
finishes normally, so an interrupted crawl never moves a mark past pages it did not fetch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lendcorpus.paths import data_home


def state_path(spider: str, directory: Path | None = None) -> Path:
    return Path(directory or Path(os.environ.get("LENDCORPUS_STATE_DIR") or data_home() / "state")) / f"{spider}.json"


def load_state(spider: str, directory: Path | None = None) -> dict:
    path = state_path(spider, directory)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_state(spider: str, state: dict, directory: Path | None = None) -> Path:
    path = state_path(spider, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path
