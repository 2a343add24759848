"""Time travel without a window: a rewound cluster is exactly the cluster as it was; forks diverge."""

from __future__ import annotations

import pytest

from playground.engine import Cluster
from playground.storage import ClusterSetup, Journal
from playground.storage.timetravel import RewindCancelled, TimeMachine, TimeTravelError, compare_rows

SETUP = ClusterSetup(seed=7, brokers=3, network_latency=5,
                     topics=[{"name": "orders", "partitions": 3, "replication_factor": 3,
                              "config": {"min.insync.replicas": 2}}])


def produce(journal: Journal, n: int, acks: str = "all", value: str = "v{i}") -> None:
    journal.execute("produce", {"topic": "orders", "key": "k{i}", "value": value, "count": n, "headers": [],
                                "partition": None, "acks": acks, "producer": f"ui-acks-{acks}"})


def fingerprint(cluster: Cluster) -> tuple:
    """Everything a learner can see, and more: every event so far, every replica's log end and HW."""
    view = cluster.view()
    events = tuple((e.time, e.kind.value, e.text) for e in cluster.events.history)
    parts = tuple((p.topic, p.partition, p.leader, p.leader_epoch, p.isr, p.high_watermark,
                   tuple(sorted(p.log_end_offsets.items())))
                  for t in view.topic_names() for p in view.partitions(t))
    return cluster.now, cluster.clock.executed, events, parts, view.audit().as_report()


def live_run() -> tuple[Journal, dict[int, tuple]]:
    """A journalled run with commands at several instants; the fingerprint at instants between them."""
    journal = Journal.start(SETUP)
    seen: dict[int, tuple] = {}
    cluster = journal.cluster

    def to(t: int) -> None:
        cluster.advance(t - cluster.now)
        snap()

    def snap() -> None:
        # The state at an instant includes the commands given at that instant.
        seen[cluster.now] = fingerprint(cluster)

    to(300)
    produce(journal, 5)
    snap()
    to(700)
    journal.execute("kill_broker", {"broker": cluster.view().partitions("orders")[0].leader})
    snap()
    to(1500)
    produce(journal, 4, acks="1")
    snap()
    to(2600)
    journal.execute("start_consumer", {"name": "c1", "group": "g1", "topics": ["orders"],
                                       "auto.offset.reset": "earliest"})
    snap()
    to(4100)
    to(9000)
    return journal, seen


def test_a_rewound_cluster_is_the_cluster_as_it_was_at_that_instant():
    journal, seen = live_run()
    machine = TimeMachine(journal)
    for t in sorted(seen, reverse=True):             # backwards: every rewind replays from the start
        past = machine.rewind(t)
        assert past.cluster is not journal.cluster
        assert fingerprint(past.cluster) == seen[t], f"the cluster rewound to {t} ms differs from the live one"
    assert journal.cluster.now == 9000               # the live cluster did not move


def test_rewinding_forward_reuses_the_last_rewound_cluster():
    journal, seen = live_run()
    machine = TimeMachine(journal)
    first = machine.rewind(700)
    again = machine.rewind(2600)
    assert again is first                            # replayed on from 700 ms, not from the start
    assert fingerprint(again.cluster) == seen[2600]
    earlier = machine.rewind(1500)
    assert earlier is not first and fingerprint(earlier.cluster) == seen[1500]


def test_a_fork_goes_its_own_way_and_the_original_is_untouched():
    journal, seen = live_run()
    machine = TimeMachine(journal)
    # Before the acks=1 send at 1,500 ms: this time, send with acks=all.
    past = machine.rewind(1400)
    branch = machine.fork(past, machine.branches[0], 1400)
    assert (branch.number, branch.parent, branch.fork_ms, branch.inherited) == (2, 1, 1400, 2)
    assert machine.current is branch
    produce(past, 4, acks="all", value="other{i}")
    past.cluster.advance(9000 - past.cluster.now)
    assert [c.action for c in branch.own_commands()] == ["produce"]
    assert fingerprint(journal.cluster) == seen[9000]
    rows = {label: (a, b) for label, a, b in compare_rows(machine.branches[0], branch)}
    assert rows["virtual time"] == ("9.000 s", "9.000 s")
    # acks=1 was answered by the leaders alone; acks=all waits for the dead ISR member to be removed.
    assert rows["acknowledged"] == ("8", "5")
    assert rows["group g1: lag"][1] == "–"            # no consumer was started in the fork
    # The fork can itself be rewound: its journal holds its whole history.
    again = machine.rewind(2000, branch)
    assert again.cluster.now == 2000 and again.commands[-1].args["value"] == "other{i}"
    assert [c.action for c in again.commands] == ["produce", "kill_broker", "produce"]


def test_a_fork_is_no_longer_reused_as_a_rewind_cache():
    journal, _ = live_run()
    machine = TimeMachine(journal)
    past = machine.rewind(700)
    machine.fork(past, machine.branches[0], 700)
    produce(past, 1)
    assert machine.rewind(800, machine.branches[0]) is not past


def test_an_instant_outside_the_run_is_refused():
    journal, _ = live_run()
    machine = TimeMachine(journal)
    for t in (-1, 9001, "5"):
        with pytest.raises(TimeTravelError, match="runs from 0 to 9.000 s"):
            machine.rewind(t)


def test_a_cluster_without_a_known_set_up_cannot_travel():
    cluster = Cluster(brokers=1, seed=1)
    journal = Journal(cluster, None)
    machine = TimeMachine(journal)
    assert machine.can_rewind() is not None
    with pytest.raises(TimeTravelError, match="set-up"):
        machine.rewind(0)


def test_a_cancelled_rewind_leaves_nothing_behind():
    journal, seen = live_run()
    machine = TimeMachine(journal)
    reports: list[int] = []

    def progress(reached: int, target: int) -> bool:
        reports.append(reached)
        return reached < 2000

    with pytest.raises(RewindCancelled):
        machine.rewind(9000, progress=progress)
    assert reports and reports == sorted(reports)
    assert fingerprint(machine.rewind(2600).cluster) == seen[2600]


def test_switching_to_an_unknown_branch_is_refused():
    journal, _ = live_run()
    machine = TimeMachine(journal)
    with pytest.raises(TimeTravelError, match="There is no branch 4"):
        machine.switch(4)
