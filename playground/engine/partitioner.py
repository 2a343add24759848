"""Choosing a partition exactly as Kafka's producer does.

Keyed records: `toPositive(murmur2(keyBytes)) % numPartitions` over all
partitions (Kafka's `BuiltInPartitioner.partitionForKey`). Null keys: the
uniform sticky partitioner (KIP-480, KIP-794) by default, which stays on one
partition until `batch.size` bytes went there, then picks another at random;
or the older `RoundRobinPartitioner`.
"""

from __future__ import annotations

import random
import struct
from functools import lru_cache

_SEED = 0x9747B28C                      # and the multiplier m = 0x5BD1E995, written out below
# The little-endian 32-bit words of a key, by word count (keys are short; longer ones get theirs).
_WORDS = [struct.Struct("<%dI" % n).unpack_from for n in range(64)]


def murmur2(data: bytes) -> int:
    """Kafka's `Utils.murmur2`, returning Java's signed 32-bit int. (Constants written out: every
    keyed record goes through here.)"""
    length = len(data)
    h = _SEED ^ length
    n4 = length >> 2
    if n4:
        unpack = _WORDS[n4] if n4 < 64 else struct.Struct("<%dI" % n4).unpack_from
        for k in unpack(data):
            k = (k * 0x5BD1E995) & 0xFFFFFFFF
            k ^= k >> 24
            h = ((h * 0x5BD1E995) & 0xFFFFFFFF) ^ ((k * 0x5BD1E995) & 0xFFFFFFFF)
    tail = length & 3
    if tail:
        i = length & ~3
        if tail == 3:
            h ^= data[i + 2] << 16
        if tail >= 2:
            h ^= data[i + 1] << 8
        h ^= data[i]
        h = (h * 0x5BD1E995) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0x5BD1E995) & 0xFFFFFFFF
    h ^= h >> 15
    return h - 0x100000000 if h & 0x80000000 else h


def to_positive(n: int) -> int:
    """Kafka's `Utils.toPositive`: clear the sign bit (not abs())."""
    return n & 0x7FFFFFFF


@lru_cache(maxsize=65536)
def _positive_hash(key: bytes) -> int:
    # Pure function of the key: caching only saves re-hashing hot keys.
    return to_positive(murmur2(key))


def partition_for_key(key: bytes, num_partitions: int) -> int:
    return _positive_hash(key) % num_partitions


class StickyPartitioner:
    """Uniform sticky partitioning for null keys (KIP-794, Kafka 3.3+; Kafka's BuiltInPartitioner).

    Stays on one partition while records go to it; after each append it counts
    the bytes produced there and switches to a random partition among those
    with a leader once it has produced `batch.size` bytes *and* the
    partition's last batch is full, or unconditionally at twice `batch.size`
    (so a batch boundary, not a byte count, decides: no stray small batches).
    """

    name = "sticky"

    def __init__(self, rng: random.Random, batch_size: int) -> None:
        self._rng = rng
        self._batch_size = max(1, batch_size)
        self._current: dict[str, int] = {}
        self._produced: dict[str, int] = {}

    def partition(self, topic: str, available: list[int], num_partitions: int, size: int) -> int:
        current = self._current.get(topic)
        if current is None or current >= num_partitions:
            choices = available or list(range(num_partitions))
            current = choices[self._rng.randrange(len(choices))]
            self._current[topic] = current
            self._produced[topic] = 0
        return current

    def appended(self, topic: str, size: int, batch_full: bool) -> None:
        """After the accumulator took a record: `batch_full` when the partition has no batch still filling."""
        produced = self._produced.get(topic, 0) + size
        self._produced[topic] = produced
        if (produced >= self._batch_size and batch_full) or produced >= 2 * self._batch_size:
            del self._current[topic]           # the next record picks a new partition


class RoundRobinPartitioner:
    """Kafka's `RoundRobinPartitioner`: each record to the next available partition."""

    name = "round_robin"

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    def partition(self, topic: str, available: list[int], num_partitions: int, size: int) -> int:
        n = self._counters.get(topic, 0)
        self._counters[topic] = n + 1
        if available:
            return available[n % len(available)]
        return n % num_partitions

    def appended(self, topic: str, size: int, batch_full: bool) -> None:
        pass
