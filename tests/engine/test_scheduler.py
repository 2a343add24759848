"""The virtual-time scheduler: order of callbacks, and cancelled timers that do not pile up."""

import random

from playground.engine.clock import Scheduler


def test_callbacks_run_in_time_then_scheduling_order():
    s = Scheduler()
    ran = []
    s.call_at(5, ran.append, "b")
    s.call_at(3, ran.append, "a")
    s.call_at(5, ran.append, "c")
    s.call_later(0, ran.append, "now")
    s.run_until(10)
    assert ran == ["now", "a", "b", "c"]
    assert s.now == 10


def test_a_cancelled_timer_is_skipped_and_lets_go_of_its_callback():
    s = Scheduler()
    ran = []
    payload = ["big request"]
    t = s.call_later(30_000, ran.append, payload)
    t.cancel()
    t.cancel()                          # twice is harmless
    assert t.cancelled and t.args == ()
    s.run_until(40_000)
    assert ran == []
    assert s.pending() == 0


def test_cancelling_a_timer_that_already_ran_changes_nothing():
    s = Scheduler()
    ran = []
    t = s.call_at(1, ran.append, 1)
    s.run_until(2)
    t.cancel()
    assert ran == [1] and s._cancelled_in_heap == 0


def test_cancelled_timeouts_are_purged_and_the_rest_run_in_the_same_order():
    """Request timeouts are cancelled long before they are due: the heap drops them once they
    are most of it, and the callbacks left run exactly as they would have (seed 7)."""
    def run(purge: bool):
        s = Scheduler()
        if not purge:
            s._purge = lambda: None
        rng = random.Random(7)
        ran = []
        live = []

        def work(i):
            ran.append((s.now, i))
            if i % 3 == 0:
                s.call_later(rng.randrange(3), work, i + 1)

        for i in range(5000):
            timeout = s.call_later(30_000, ran.append, ("timeout", i))
            s.call_later(rng.randrange(5), work, i)
            if rng.random() < 0.95:
                timeout.cancel()
            else:
                live.append(i)
            s.advance(rng.randrange(2))
            if purge:
                assert len(s._heap) < 1200, "cancelled timers piled up in the heap"
        s.run_until(100_000)
        return ran, s.executed

    assert run(purge=True) == run(purge=False)


def test_a_purge_during_a_run_keeps_running_the_due_callbacks():
    s = Scheduler()
    ran = []

    def cancel_many():
        for _ in range(2000):
            s.call_later(50_000, ran.append, "never").cancel()

    s.call_at(1, cancel_many)
    s.call_at(2, ran.append, "after")
    s.call_at(2, ran.append, "after, too")
    s.run_until(3)
    assert ran == ["after", "after, too"]
    assert len(s._heap) < 1100


def test_the_steady_produce_and_consume_path_leaves_no_reference_cycles():
    """Requests, their timeouts and delayed produces are freed when they complete: reference
    cycles would wait for the garbage collector, whose full collections then come more often
    the more a run holds (every record, every event)."""
    import gc

    from playground.engine import Cluster
    from playground.ui import commands

    c = Cluster(brokers=3, seed=0, network_latency=1)
    c.create_topic("t", 6, 3, {"min.insync.replicas": 2}, immediate=True)
    commands.start_producer(c, "load", "t", rate="500", key="k{i}")
    commands.start_consumer(c, "c1", "g", ["t"], auto_offset_reset="earliest")
    c.advance(8000)                     # the group has joined and reads
    gc.collect()
    gc.disable()
    try:
        c.advance(1000)
        assert c.view().producers()["load"].acked > 4000
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0, f"{found} objects in reference cycles after one virtual second"


def test_timeouts_outside_the_heap_run_exactly_where_timers_in_it_would():
    """call_timeout keeps timeouts out of the heap until due: with timeouts of several delays,
    most cancelled, some at the same instant as other work, and a deadline set again at every
    step (call_timeout_at, or rearm_timeout_at), the run is the same callback for callback as with
    call_later and call_at, whether advanced by run_until or by step (seed 11)."""
    def run(kind: str, stepping: bool):
        s = Scheduler()
        rng = random.Random(11)
        ran = []
        live = []
        schedule_timeout = s.call_timeout if kind == "timeout" else s.call_later
        schedule_deadline = s.call_timeout_at if kind == "timeout" else s.call_at
        deadline = [None, 0]                    # a deadline set again on every step, like auto commit

        def work(i):
            ran.append((s.now, s.executed, "work", i))
            if i % 4 == 0:
                s.post_later(rng.choice((0, 1, 50)), work, i + 1)
            if i % 7 == 0 and live:
                live.pop(rng.randrange(len(live))).cancel()

        for i in range(3000):
            t = schedule_timeout(rng.choice((5, 50, 500)), ran.append, ("timeout", i, s.now))
            s.call_later(rng.choice((0, 5, 50)), work, i)
            if rng.random() < 0.9:
                t.cancel()
            else:
                live.append(t)
            if s.now >= deadline[1]:
                deadline[1] = s.now + rng.choice((3, 40))
            # (rearm: the same timer, at the back of its queue, as cancel + schedule would put it)
            if deadline[0] is None or not (kind == "timeout" and s.rearm_timeout_at(deadline[0], deadline[1])):
                if deadline[0] is not None:
                    deadline[0].cancel()
                deadline[0] = schedule_deadline(deadline[1], ran.append, ("deadline",))
            if stepping:
                for _ in range(rng.randrange(3)):
                    s.step()
            else:
                s.advance(rng.randrange(3))
            assert s.pending() == len(s._due) + sum(len(q) for q in s._timeouts.values())
        while s.step() if stepping else s.run_until(s.now + 1000):
            pass
        return ran, s.executed, s.now if not stepping else None

    for stepping in (False, True):
        assert run("timeout", stepping) == run("later", stepping)


def test_a_timeout_cancelled_before_it_is_due_leaves_nothing_behind():
    s = Scheduler()
    ran = []
    t = s.call_timeout(30_000, ran.append, "never")
    assert s.pending() == 1 and s.next_time() == 30_000
    t.cancel()
    t.cancel()
    assert s.pending() == 0 and s.next_time() is None and not s._heap
    s.call_timeout(500, ran.append, "due")
    s.run_until(499)
    assert ran == [] and s.pending() == 1
    assert s.step() and ran == ["due"] and s.now == 500
