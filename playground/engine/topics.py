"""Topic rules: legal names and replica placement, as Kafka applies them."""

from __future__ import annotations

import random
import re

from .errors import Errors, KafkaError

MAX_NAME_LENGTH = 249
_LEGAL = re.compile(r"[a-zA-Z0-9._-]+")
COLLISION_WARNING = ("WARNING: Due to limitations in metric names, topics with a period ('.') or "
                     "underscore ('_') could collide. To avoid issues it is best to use either, but not both.")


def validate_topic_name(name: str) -> None:
    """Kafka's `Topic.validate`: raises INVALID_TOPIC_EXCEPTION with Kafka's sentence."""
    if not name:
        raise KafkaError(Errors.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty")
    if name in (".", ".."):
        raise KafkaError(Errors.INVALID_TOPIC_EXCEPTION, "Topic name cannot be \".\" or \"..\"")
    if len(name) > MAX_NAME_LENGTH:
        raise KafkaError(Errors.INVALID_TOPIC_EXCEPTION,
                         f"Topic name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters, "
                         f"topic name: {name}")
    if not _LEGAL.fullmatch(name):
        raise KafkaError(Errors.INVALID_TOPIC_EXCEPTION,
                         f"Topic name \"{name}\" is illegal, it contains a character other than "
                         "ASCII alphanumerics, '.', '_' and '-'")


def has_collision_chars(name: str) -> bool:
    return "." in name or "_" in name


def unify_collision_chars(name: str) -> str:
    """Kafka's `Topic.unifyCollisionChars`: '.' and '_' look the same in metric names."""
    return name.replace(".", "_")


def assign_replicas_rack_unaware(
    n_partitions: int,
    replication_factor: int,
    brokers: list[int],
    rng: random.Random,
    fixed_start_index: int = -1,
    start_partition_id: int = -1,
) -> list[list[int]]:
    """Kafka's rack-unaware replica assignment (`AdminUtils.assignReplicasToBrokersRackUnaware`).

    The first replica (the preferred leader) of consecutive partitions walks
    round the brokers from a random start, so leaders spread; the followers
    are shifted by an amount that grows every time the walk wraps, so
    replicas of different partitions do not all land on the same pairs.
    """
    ids = sorted(brokers)
    n = len(ids)
    start_index = fixed_start_index if fixed_start_index >= 0 else rng.randrange(n)
    next_shift = fixed_start_index if fixed_start_index >= 0 else rng.randrange(n)
    current = max(0, start_partition_id)
    out: list[list[int]] = []
    for _ in range(n_partitions):
        if current > 0 and current % n == 0:
            next_shift += 1
        first = (current + start_index) % n
        replicas = [ids[first]]
        for j in range(replication_factor - 1):
            shift = 1 + (next_shift + j) % (n - 1)
            replicas.append(ids[(first + shift) % n])
        out.append(replicas)
        current += 1
    return out
