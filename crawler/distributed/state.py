"""High-water marks shared through Redis, so every worker of a crawl sees the same marks.

``LendSpider`` loads its state at start and saves its marks when it finishes normally. With
several workers each sees part of the items; saving merges by maximum per mark under WATCH, so
the stored mark is the highest any finished worker saw and no worker's save undoes another's.
The first distributed crawl of a spider starts from the single-machine state file, if any.
"""

from __future__ import annotations

import json
from typing import Any

import redis

from lendcorpus.crawler.distributed.keys import client_for, keys_for
from lendcorpus.crawler.state import load_state


def _newer(a: Any, b: Any) -> bool:
    try:
        return a > b
    except TypeError:  # marks of different types (a format changed): keep the newer write
        return True


class RedisStateStore:
    """State store (``LENDCORPUS_STATE_STORE``) keeping ``<prefix>:<spider>:state`` in Redis."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = client_for(crawler)
        self.directory = crawler.settings.get("LENDCORPUS_STATE_DIR") or None

    @classmethod
    def from_crawler(cls, crawler) -> "RedisStateStore":
        return cls(crawler)

    def load(self, spider: str) -> dict:
        raw = self.server.get(keys_for(self.crawler.settings, spider).state)
        if raw:
            try:
                return json.loads(raw)
            except ValueError:
                return {}
        return load_state(spider, self.directory)

    def save(self, spider: str, state: dict) -> None:
        key = keys_for(self.crawler.settings, spider).state
        with self.server.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = json.loads(raw) if raw else {}
                    marks = dict(current.get("marks", {}))
                    for name, value in (state.get("marks") or {}).items():
                        if name not in marks or _newer(value, marks[name]):
                            marks[name] = value
                    merged = {**current, **state, "marks": marks}
                    pipe.multi()
                    pipe.set(key, json.dumps(merged, ensure_ascii=False, sort_keys=True))
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
