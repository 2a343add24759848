"""Engine-only fixtures for the CLI tools: a cluster, and a runner that returns what a terminal shows."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from playground.engine import Cluster
from playground.tools import run_headless

BOOTSTRAP = ["--bootstrap-server", "localhost:9092"]


@dataclass
class Result:
    code: int
    out: str
    err: str


class Shell:
    """Runs one command at a time on `cluster`, headless, and lets virtual time pass between them
    (as it does between two commands typed in a terminal)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def __call__(self, *argv: str, stdin=(), pause_ms: int = 500) -> Result:
        out: list[str] = []
        err: list[str] = []
        code = run_headless(self.cluster, list(argv), lambda text, stream: (err if stream == "err" else out)
                            .append(text), stdin)
        self.cluster.advance(pause_ms)
        return Result(code, "".join(out), "".join(err))


def make_cluster(seed: int = 7, **config) -> Cluster:
    c = Cluster(brokers=3, seed=seed, config=config or None)
    c.create_topic("orders", 3, 3, {"min.insync.replicas": 2}, immediate=True)
    return c


@pytest.fixture
def cluster() -> Cluster:
    return make_cluster()


@pytest.fixture
def sh(cluster) -> Shell:
    return Shell(cluster)
