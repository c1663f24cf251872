"""A Bloom-filter duplicate filter in a Redis bitmap: fixed memory, shared by every worker.

scrapy-redis's own duplicate filter keeps every fingerprint in a Redis set: about 100 bytes per
URL, growing without bound. A Bloom filter answers "seen?" in a fixed bitmap sized for a
capacity ``n`` and false-positive rate ``p``: ``m = -n ln p / (ln 2)^2`` bits and
``k = (m / n) ln 2`` hash functions (docs/distributed.md has the table). A false positive means a
new URL is wrongly taken as seen and not crawled, so ``p`` is kept small (default 1e-6: 3.4 MiB
per million URLs). Past its capacity the rate rises; workers warn when the count passes it.

Positions come from the request fingerprint (already a SHA-1, volatile parameters stripped) by
double hashing, computed in Python; one Lua script sets the k bits and says whether any was new,
atomically, so two workers can never both think they were first.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from scrapy.dupefilters import BaseDupeFilter

from lendcorpus.crawler.distributed.keys import Keys, client_for, keys_for

logger = logging.getLogger(__name__)

BLOCK_BITS = 2**32  # a Redis string holds at most 2**32 bits (512 MiB)

#: KEYS[1] = meta hash, KEYS[2..k+1] = bitmap block per position; ARGV[1..k] = bit offsets.
#: Returns 1 if the item was new (some bit was 0), else 0.
ADD_LUA = """
local new = 0
for i = 2, #KEYS do
  if redis.call('SETBIT', KEYS[i], ARGV[i - 1], 1) == 0 then new = 1 end
end
if new == 1 then redis.call('HINCRBY', KEYS[1], 'bloom_count', 1) end
return new
"""


@dataclass(frozen=True)
class BloomParams:
    """Bitmap size ``m`` and hash count ``k`` for ``capacity`` items at ``error_rate``."""

    capacity: int
    error_rate: float

    @property
    def bits(self) -> int:
        return max(64, math.ceil(-self.capacity * math.log(self.error_rate) / (math.log(2) ** 2)))

    @property
    def hashes(self) -> int:
        return max(1, round(self.bits / self.capacity * math.log(2)))

    @property
    def bytes(self) -> int:
        return (self.bits + 7) // 8

    def bytes_per_million(self) -> float:
        return self.bytes / self.capacity * 1_000_000

    def expected_fpr(self, inserted: int) -> float:
        """False-positive rate after ``inserted`` items: (1 - e^(-k n / m))^k."""
        k, m = self.hashes, self.bits
        return (1 - math.exp(-k * inserted / m)) ** k

    def positions(self, fingerprint: bytes) -> list[int]:
        """k bit positions from a (SHA-1) fingerprint by double hashing (Kirsch–Mitzenmacher)."""
        if len(fingerprint) < 16:
            import hashlib

            fingerprint = hashlib.sha1(fingerprint).digest()
        h1 = int.from_bytes(fingerprint[:8], "big")
        h2 = int.from_bytes(fingerprint[8:16], "big") | 1
        m = self.bits
        return [(h1 + i * h2) % m for i in range(self.hashes)]


def params_from_settings(settings) -> BloomParams:
    return BloomParams(settings.getint("LENDCORPUS_BLOOM_CAPACITY", 10_000_000),
                       settings.getfloat("LENDCORPUS_BLOOM_ERROR_RATE", 1e-6))


class RedisBloom:
    """The filter itself: ``add(fp)`` returns True when fp was not (probably) in it."""

    def __init__(self, server, keys: Keys, params: BloomParams):
        self.server = server
        self.keys = keys
        self.params = params
        self._add = server.register_script(ADD_LUA)

    def script_args(self, fingerprint: bytes) -> tuple[list[str], list[int]]:
        pos = self.params.positions(fingerprint)
        return ([self.keys.meta] + [f"{self.keys.bloom}:{p // BLOCK_BITS}" for p in pos],
                [p % BLOCK_BITS for p in pos])

    def add(self, fingerprint: bytes) -> bool:
        keys, args = self.script_args(fingerprint)
        return bool(self._add(keys=keys, args=args))

    def add_many(self, fingerprints: list[bytes], batch: int = 1000) -> list[bool]:
        """``add`` for many, pipelined (benchmarks, bulk seeding)."""
        out: list[bool] = []
        for i in range(0, len(fingerprints), batch):
            pipe = self.server.pipeline(transaction=False)
            for fp in fingerprints[i : i + batch]:
                keys, args = self.script_args(fp)
                self._add(keys=keys, args=args, client=pipe)
            out.extend(bool(x) for x in pipe.execute())
        return out

    def contains_many(self, fingerprints: list[bytes], batch: int = 1000) -> list[bool]:
        """Membership without inserting (measuring the false-positive rate)."""
        out: list[bool] = []
        k = self.params.hashes
        for i in range(0, len(fingerprints), batch):
            pipe = self.server.pipeline(transaction=False)
            for fp in fingerprints[i : i + batch]:
                keys, args = self.script_args(fp)
                for key, off in zip(keys[1:], args):
                    pipe.getbit(key, off)
            bits = pipe.execute()
            out.extend(all(bits[j : j + k]) for j in range(0, len(bits), k))
        return out

    def count(self) -> int:
        return int(self.server.hget(self.keys.meta, "bloom_count") or 0)

    def clear(self) -> None:
        blocks = (self.params.bits + BLOCK_BITS - 1) // BLOCK_BITS
        self.server.delete(*[f"{self.keys.bloom}:{i}" for i in range(blocks)])
        self.server.hdel(self.keys.meta, "bloom_count")


class BloomDupeFilter(BaseDupeFilter):
    """scrapy-redis-compatible duplicate filter (``from_spider``) backed by ``RedisBloom``.

    Positives are cached in the process (a Bloom positive never turns negative), so links a
    worker meets again and again (menus, list pages) cost no Redis round-trip.
    """

    local_cache_max = 200_000

    def __init__(self, crawler, keys: Keys):
        self.crawler = crawler
        self.server = client_for(crawler)
        self.params = params_from_settings(crawler.settings)
        self.bloom = RedisBloom(self.server, keys, self.params)
        self.fingerprinter = crawler.request_fingerprinter
        self.known: set[bytes] = set()
        self.warned = False

    @classmethod
    def from_spider(cls, spider) -> "BloomDupeFilter":
        return cls(spider.crawler, keys_for(spider.crawler.settings, spider.name))

    @classmethod
    def from_crawler(cls, crawler) -> "BloomDupeFilter":
        return cls(crawler, keys_for(crawler.settings, crawler.spidercls.name))

    def fingerprint(self, request) -> bytes:
        return self.fingerprinter.fingerprint(request)

    def seen_locally(self, fp: bytes) -> bool:
        return fp in self.known

    def remember(self, fp: bytes) -> None:
        if len(self.known) >= self.local_cache_max:
            self.known.clear()
        self.known.add(fp)

    def request_seen(self, request) -> bool:
        fp = self.fingerprint(request)
        if fp in self.known:
            return True
        new = self.bloom.add(fp)
        self.remember(fp)
        return not new

    def check_capacity(self) -> None:
        if self.warned:
            return
        n = self.bloom.count()
        if n > self.params.capacity:
            self.warned = True
            logger.warning("Bloom filter holds %d URLs, over its capacity %d: false-positive rate now about %.2g "
                           "(raise LENDCORPUS_BLOOM_CAPACITY for the next crawl)", n, self.params.capacity,
                           self.params.expected_fpr(n))

    def clear(self) -> None:
        self.bloom.clear()

    def close(self, reason: str = "") -> None:  # the shared filter outlives any one worker
        return None

    def log(self, request, spider) -> None:
        self.crawler.stats.inc_value("dupefilter/filtered")
