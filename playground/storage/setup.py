"""How a cluster was made: the recipe a workspace stores, so it can make the same cluster again.

The engine is deterministic: the same seed and set-up, then the same commands
at the same virtual instants, give the same cluster. `ClusterSetup` is the
first half (seed, brokers, controller mode, broker config, the topics that
existed from the start, and the scenario the cluster came from, if any); the
journal (`journal.py`) is the second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from playground.engine import Cluster
from playground.scenario import Scenario, parse_scenario
from playground.scenario.runner import build_cluster

if TYPE_CHECKING:
    from playground.lessons import Lesson, LessonSession


@dataclass(frozen=True)
class ScenarioSource:
    """The scenario file a cluster came from, kept as text: the file may change or vanish later."""

    name: str
    file: str
    text: str


@dataclass(frozen=True)
class LessonSource:
    """The lesson file a cluster came from, kept as text: its setup made the cluster, and the journal's
    `lesson` commands name its reference steps (what "Show me" did)."""

    id: str
    file: str
    text: str
    order: str = ""


@dataclass
class ClusterSetup:
    seed: int = 0
    brokers: int = 3
    controller: str = "kraft"          # kraft | zookeeper
    controllers: int = 3               # KRaft voters (ignored in zookeeper mode)
    network_latency: int = 1           # ms, one way
    config: dict[str, Any] = field(default_factory=dict)
    # Topics created with the cluster, before time starts: {name, partitions, replication_factor, config}.
    topics: list[dict[str, Any]] = field(default_factory=list)
    scenario: ScenarioSource | None = None
    lesson: LessonSource | None = None

    # -- making the cluster ------------------------------------------------------------
    def build(self) -> Cluster:
        """A fresh cluster at virtual time 0. With a scenario, its own set-up (`build_cluster`) makes it,
        so a scenario opened from a workspace starts exactly as it did from its file. A lesson's
        cluster is its setup, run to its end, as the lesson window starts it."""
        if self.lesson is not None:
            return self.lesson_session().cluster
        if self.scenario is not None:
            return build_cluster(self.parsed_scenario())
        cluster = Cluster(brokers=self.brokers, seed=self.seed, controllers=self.controllers,
                          network_latency=self.network_latency, config=dict(self.config), mode=self.controller)
        for t in self.topics:
            cluster.create_topic(t["name"], t["partitions"], t["replication_factor"], dict(t.get("config") or {}),
                                 immediate=True)
        return cluster

    def parsed_scenario(self) -> Scenario:
        """The stored scenario text, validated again (ScenarioError if this version refuses it)."""
        assert self.scenario is not None
        return parse_scenario(self.scenario.text, self.scenario.file)

    def parsed_lesson(self) -> Lesson:
        """The stored lesson text, validated again (LessonError if this version refuses it)."""
        from playground.lessons import parse_lesson
        assert self.lesson is not None
        return parse_lesson(self.lesson.text, self.lesson.file, self.lesson.order)

    def lesson_session(self) -> LessonSession:
        """A lesson session on a new cluster: the lesson's setup run, nothing done yet (what the lesson
        window drives; its `run` applies the lesson's steps)."""
        from playground.lessons import LessonSession
        return LessonSession(self.parsed_lesson())

    # -- where a setup comes from ------------------------------------------------------------
    @classmethod
    def from_scenario(cls, text: str, filename: str) -> ClusterSetup:
        """The setup of a scenario file's text (ScenarioError when the file is invalid)."""
        scn = parse_scenario(text, filename)
        spec = scn.cluster
        return cls(seed=scn.seed, brokers=spec.brokers, controller=spec.controller, controllers=spec.controllers,
                   network_latency=spec.network_latency, config=dict(spec.config),
                   topics=[{"name": t.name, "partitions": t.partitions, "replication_factor": t.replication_factor,
                            "config": dict(t.config)} for t in scn.topics],
                   scenario=ScenarioSource(scn.name, filename, text))

    @classmethod
    def from_lesson(cls, text: str, filename: str, order: str = "") -> ClusterSetup:
        """The setup of a lesson file's text (LessonError when the file is invalid)."""
        from playground.lessons import parse_lesson
        lesson = parse_lesson(text, filename, order)
        scn = lesson.setup
        spec = scn.cluster
        return cls(seed=scn.seed, brokers=spec.brokers, controller=spec.controller, controllers=spec.controllers,
                   network_latency=spec.network_latency, config=dict(spec.config),
                   lesson=LessonSource(lesson.id, filename, text, order))

    @classmethod
    def infer(cls, cluster: Cluster) -> ClusterSetup | None:
        """The setup that made `cluster`, read off a cluster nothing has happened to yet.

        Kept only if a cluster built from it is the same (same topic ids, replica
        placement, pending work and events): otherwise None, and such a cluster
        cannot be saved as a workspace.
        """
        if cluster.clock.now != 0 or cluster.clock.executed != 0:
            return None
        image = cluster.controller.image
        setup = cls(seed=cluster.seed, brokers=len(cluster.brokers), controller=cluster.controller_mode,
                    controllers=max(1, len(cluster.controllers)), network_latency=cluster.network.latency,
                    config=dict(cluster.broker_config.overrides),
                    topics=[{"name": name, "partitions": len(t.partitions),
                             "replication_factor": len(t.partitions[0].replicas) if t.partitions else 1,
                             "config": dict(t.configs)} for name, t in image.topics.items()])
        try:
            twin = setup.build()
        except Exception:           # noqa: BLE001 - a set-up we cannot rebuild is simply not inferred
            return None
        return setup if fingerprint(twin) == fingerprint(cluster) else None

    # -- storage ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterSetup:
        data = dict(data)
        scenario = data.pop("scenario", None)
        lesson = data.pop("lesson", None)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known, scenario=ScenarioSource(**scenario) if scenario else None,
                   lesson=LessonSource(**lesson) if lesson else None)

    def describe(self) -> str:
        """`3 brokers, KRaft (3 controllers), seed 0` (and the scenario's name)."""
        mode = f"KRaft ({self.controllers} controllers)" if self.controller == "kraft" else "ZooKeeper"
        text = f"{self.brokers} brokers, {mode}, seed {self.seed}"
        if self.lesson is not None:
            return f"lesson “{self.lesson.id}”: {text}"
        return f"scenario “{self.scenario.name}”: {text}" if self.scenario else text


def fingerprint(cluster: Cluster) -> tuple:
    """What two clusters made from one recipe agree on before anything runs."""
    image = cluster.controller.image
    topics = tuple((name, t.topic_id, tuple((p.partition, tuple(p.replicas), p.leader, p.leader_epoch)
                                            for p in t.partitions), tuple(sorted(t.configs.items())))
                   for name, t in image.topics.items())
    return (cluster.clock.now, cluster.clock.executed, cluster.clock.pending(), len(cluster.events.history),
            cluster.controller_mode, tuple(sorted(cluster.brokers)), tuple(sorted(cluster.controllers)),
            cluster.network.latency, topics)
