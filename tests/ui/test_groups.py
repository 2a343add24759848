"""Consumer groups in the window: the Consumers panel, the group lanes on the canvas, rebalances
made visible (group API messages, captions, revoked partitions), Kafka's refusals and the lag chart.

Offscreen (tests/conftest.py). Virtual time is driven through the bridge (`run_to`), never by
sleeping; what the canvas shows is checked through the values it draws from (`group_lanes`,
`owner_tags`, `broker_badges`, `effects`), with `canvas.grab()` only to make it paint.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import Qt

from playground.engine import Errors, EventKind
from playground.engine.group_protocol import HeartbeatRequest, HeartbeatResponse, SyncGroupResponse
from playground.engine.protocol import TopicPartition
from playground.ui import flights as fl
from playground.ui import group_effects as gfx
from playground.ui.canvas_clients import card_lines
from playground.ui.commands import builtin_cluster
from playground.ui.group_model import ACTIVE, CRASHED, IDLE, PAUSED
from playground.ui.qt_main_window import MainWindow

ORDERS = [TopicPartition("orders", p) for p in range(3)]
SESSION_MS = 10_000


@pytest.fixture
def window(qtbot):
    win = MainWindow(builtin_cluster(), running=False)
    win.bridge.set_speed(100.0)         # flashes and captions then last 500 s of virtual time
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.bridge.close()


def run_until(bridge, done, limit_ms: int = 60_000, step_ms: int = 100) -> int:
    """Drive virtual time in small steps until `done()`; returns the time it became true."""
    end = bridge.now + limit_ms
    while not done():
        assert bridge.now < end, f"still not done at {bridge.now} ms"
        bridge.show_at(bridge.now + step_ms)        # a frame: effects and captions age as in the window
    return bridge.now


def add(win, name: str, group: str = "g1", assignor: str = "range", commit: str = "auto", processing: int = 100,
        topics: str = "orders") -> bool:
    panel = win.consumers_panel
    panel.name.setText(name)
    panel.group.setEditText(group)
    panel.topics.setEditText(topics)
    panel.assignor.setCurrentText(assignor)
    panel.commit.setCurrentIndex(panel.commit.findData(commit))
    panel.processing.setValue(processing)
    panel.offset_reset.setCurrentText("earliest")
    panel.session.setValue(SESSION_MS)
    return panel.add()


def lane(win, group: str = "g1"):
    return next((x for x in win.canvas.group_lanes() if x.group_id == group), None)


def stable_with(win, *names: str, group: str = "g1"):
    def check() -> bool:
        g = lane(win, group)
        return (g is not None and g.state == "Stable"
                and {c.name for c in g.members if c.member} == set(names)
                and all(c.state in (ACTIVE, IDLE) for c in g.members if c.name in names))
    return check


def two_consumers(win) -> None:
    win.bridge.produce("orders", "order {i}", key="user-{i}", count=30)
    assert add(win, "c1") and add(win, "c2")
    run_until(win.bridge, stable_with(win, "c1", "c2"))


def test_two_consumers_show_two_members_with_disjoint_partitions(qtbot, window):
    two_consumers(window)
    g = lane(window)
    c1, c2 = g.card("c1"), g.card("c2")
    assert c1.reads and c2.reads and not set(c1.reads) & set(c2.reads)
    assert set(c1.reads) | set(c2.reads) == set(ORDERS)
    assert g.assignor == "range" and g.generation >= 1 and c1.colour != c2.colour
    window.canvas.grab()
    tags = window.canvas.owner_tags()
    readers = {tp: texts for (_broker, tp), texts in tags.items()}
    for tp in ORDERS:                               # each leader strip says who reads it, in the reader's colour
        owner = "c1" if tp in c1.reads else "c2"
        assert any(t.startswith(f"g1 ▸ {owner}") for t in readers[tp])
    coordinator = next(b for b in window.canvas.broker_badges() if b.broker_id == g.coordinator)
    assert "⚑ coordinator of g1" in coordinator.tags
    panel = window.consumers_panel             # refreshes itself on group events, a few times a second at most
    qtbot.waitUntil(lambda: any(r.startswith("c1 · g1 · ● active · orders/") for r in panel.rows()))
    assert len(panel.rows()) == 2


def test_a_third_member_beyond_the_partition_count_is_idle(qtbot, window):
    two_consumers(window)
    assert add(window, "c3") and add(window, "c4")
    run_until(window.bridge, stable_with(window, "c1", "c2", "c3", "c4"))
    g = lane(window)
    idle = [c for c in g.members if c.state == IDLE]
    assert len(idle) == 1 and idle[0].reads == () and idle[0].note == "no partition: 4 members, 3 partitions"


def test_crash_rebalances_only_after_session_timeout(qtbot, window):
    two_consumers(window)
    bridge = window.bridge
    shown: list[fl.Flight] = []
    bridge.message_sent.connect(lambda m: shown.extend(fl.classify(m, bridge.view())))
    c2_had = lane(window).card("c2").reads
    assert window.consumers_panel.crash("c2")
    crashed_at = bridge.now
    generation = lane(window).generation
    card = lane(window).card("c2")
    assert card.state == CRASHED and card.member and card.held == c2_had and "expelled in" in card.note
    bridge.run_to(crashed_at + SESSION_MS - 1_000)      # the coordinator still waits for its heartbeat
    g = lane(window)
    assert g.generation == generation and g.card("c2").member and g.state == "Stable"
    at = run_until(bridge, stable_with(window, "c1"))
    assert at >= crashed_at + SESSION_MS
    g = lane(window)
    assert g.generation > generation and not g.card("c2").member and set(g.card("c1").reads) == set(ORDERS)
    labels = [(f.kind, f.label) for f in shown]
    assert (fl.REBALANCE, "REBALANCE_IN_PROGRESS") in labels            # the heartbeat answer that starts it
    assert (fl.GROUP, "JoinGroup") in labels and (fl.GROUP, "SyncGroup + assignment") in labels
    assert any(k == fl.GROUP and "you lead: run range" in label for k, label in labels)
    assert not any(label == "heartbeat ok" for _k, label in labels)     # routine heartbeats stay hidden
    texts = [c.text for c, _ in window.canvas.effects.captions()] + [
        e.text for e in bridge.event_history if e.time >= crashed_at]
    assert any("EXPELLED c2" in t or "expelled c2" in t for t in texts)
    revoked = [e for e, _ in window.canvas.effects.for_member("c1") if e.kind == gfx.REVOKED]
    assert revoked and set(revoked[-1].data["partitions"]) == {str(tp) for tp in c2_had} ^ {str(tp) for tp in ORDERS}


def test_eager_revokes_everything_cooperative_only_what_moves(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "order {i}", key="user-{i}", count=30)
    assert add(window, "e1", group="eager", assignor="range")
    assert add(window, "k1", group="coop", assignor="cooperative-sticky")
    run_until(bridge, lambda: stable_with(window, "e1", group="eager")() and stable_with(window, "k1", group="coop")())
    assert add(window, "e2", group="eager", assignor="range")
    assert add(window, "k2", group="coop", assignor="cooperative-sticky")
    run_until(bridge, lambda: stable_with(window, "e1", "e2", group="eager")()
              and stable_with(window, "k1", "k2", group="coop")()
              and lane(window, "coop").card("k2").reads != ())
    effects = window.canvas.effects
    eager = [set(e.data["partitions"]) for e, _ in effects.for_member("e1") if e.kind == gfx.REVOKED]
    coop = [set(e.data["partitions"]) for e, _ in effects.for_member("k1") if e.kind == gfx.REVOKED]
    assert eager == [{str(tp) for tp in ORDERS}]                 # eager: all of them
    k2 = {str(tp) for tp in lane(window, "coop").card("k2").reads}
    assert coop == [k2] and len(k2) < 3                          # cooperative: only the ones that move
    k1 = lane(window, "coop").card("k1")
    lines = card_lines(k1, effects.for_member("k1"))           # on the card: kept ones, then the revoked ones
    assert {str(x.tp) for x in lines if x.kind == gfx.REVOKED} == k2
    assert {x.tp for x in lines if x.kind == "reads"} == set(k1.reads)
    said = {e.data["consumer"]: gfx.caption(e.kind, e.data, e.text)[0]
            for e in bridge.event_history if e.kind == EventKind.PARTITIONS_REVOKED}
    assert said["e1"] == "e1 gives up ALL its partitions (orders/0,1,2) before rejoining (eager rebalance)"
    assert said["k1"].startswith("k1 gives up only orders/") and "(cooperative)" in said["k1"]


def test_reset_offsets_is_refused_while_the_group_is_active(qtbot, window):
    two_consumers(window)
    bridge, panel = window.bridge, window.consumers_panel
    run_until(bridge, lambda: len(bridge.view().group("g1").committed) == 3)     # the first auto commits
    before = dict(bridge.view().group_committed("g1"))
    panel.refresh()
    panel.reset_group.setEditText("g1")
    panel.reset_topic.setCurrentText("orders")
    panel.reset_to.setCurrentText("earliest")
    assert not panel.reset()
    text = ("NON_EMPTY_GROUP: Assignments can only be reset if the group 'g1' is inactive, but the current state "
            "is Stable.")
    assert panel.status.text() == text and window.status_label.text() == text
    assert "#c62828" in panel.status.styleSheet()
    assert bridge.view().group_committed("g1") == before                   # nothing changed
    assert not any(e.kind == EventKind.OFFSETS_RESET for e in bridge.event_history)
    assert panel.stop("c1") and panel.stop("c2")                            # close(): LeaveGroup
    run_until(bridge, lambda: bridge.view().group("g1").state == "Empty")
    assert panel.reset()
    assert "reset to the earliest" in panel.status.text()
    run_until(bridge, lambda: bridge.view().group_committed("g1") == {tp: 0 for tp in ORDERS})


def test_bad_consumer_input_shows_kafkas_error_and_starts_nothing(qtbot, window):
    panel = window.consumers_panel
    assert not add(window, "c1", topics="no-such-topic")
    assert panel.status.text().startswith("UNKNOWN_TOPIC_OR_PARTITION: ")
    assert not add(window, "c1", group="  ")
    assert panel.status.text().startswith("INVALID_GROUP_ID: ")
    assert window.bridge.view().consumers() == {}
    assert add(window, "c1")
    assert not add(window, "c1")
    assert panel.status.text().startswith("INVALID_REQUEST: consumer c1 is already running")
    assert list(window.bridge.view().consumers()) == ["c1"]


def test_pause_and_resume_show_on_the_card(qtbot, window):
    two_consumers(window)
    panel = window.consumers_panel
    assert panel.pause("c1")
    assert lane(window).card("c1").state == PAUSED
    assert not panel.pause_button.isEnabled() and panel.resume_button.isEnabled()
    assert panel.resume("c1")
    run_until(window.bridge, lambda: lane(window).card("c1").state == ACTIVE)


def test_lag_chart_has_data(qtbot, window):
    bridge = window.bridge
    bridge.produce("orders", "order {i}", key="user-{i}", count=60)
    assert add(window, "c1", processing=300)           # 18 s for the first batch: it polls again after that
    run_until(bridge, lambda: len(bridge.view().group("g1").committed) == 3, step_ms=250)
    bridge.produce("orders", "late {i}", key="user-{i}", count=30)
    bridge.run_to(bridge.now + 6_000)
    window.lag_chart.draw()
    assert window.lag_chart.plot_ids() == ["g1"]
    x, y = window.lag_chart.curve_data("g1")
    finite = y[np.isfinite(y)]
    assert len(x) == len(y) > 10 and np.all(np.diff(x) > 0)
    assert finite.size and finite.max() > 0                     # c1 is behind: it processes slowly
    assert finite[-1] == sum(v for v in bridge.view().group("g1").lag.values() if v is not None)


def _msg(api, direction, body, src="c1", dst=101):
    return SimpleNamespace(api=api, direction=direction, body=body, src=src, dst=dst, sent_at=0, arrive_at=50,
                           lost=False)


def test_heartbeats_are_hidden_but_rebalance_in_progress_is_shown():
    view = SimpleNamespace(controllers=lambda: [], controller_id=None,
                           group=lambda gid: SimpleNamespace(state="Stable"))
    hb = HeartbeatRequest("g1", 1, "c1-x")
    assert fl.classify(_msg("heartbeat", "request", hb), view) == []
    assert fl.classify(_msg("heartbeat", "response", HeartbeatResponse(), 101, "c1"), view) == []
    answer = fl.classify(_msg("heartbeat", "response", HeartbeatResponse(Errors.REBALANCE_IN_PROGRESS), 101, "c1"),
                         view)
    assert [(f.kind, f.label, f.dst) for f in answer] == [(fl.REBALANCE, "REBALANCE_IN_PROGRESS", ("client", "c1"))]
    rebalancing = SimpleNamespace(controllers=lambda: [], controller_id=None,
                                  group=lambda gid: SimpleNamespace(state="PreparingRebalance"))
    assert [f.label for f in fl.classify(_msg("heartbeat", "request", hb), rebalancing)] == ["heartbeat"]
    shown = fl.classify(_msg("heartbeat", "response", HeartbeatResponse(), 101, "c1"), view, show_control=True)
    assert [(f.kind, f.label) for f in shown] == [(fl.CONTROL, "heartbeat ok")]
    sync = fl.classify(_msg("sync_group", "response", SyncGroupResponse(assignment=tuple(ORDERS[:2])), 101, "c1"),
                       view)
    assert [f.label for f in sync] == ["you own orders/0,1"]


def test_clicking_a_consumer_card_opens_its_menu_and_crash_crashes_it(qtbot, window):
    two_consumers(window)
    canvas = window.canvas
    canvas.grab()
    rect = canvas.consumer_rect("c2")
    assert canvas.hit(rect.center()) == ("consumer", "c2")
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    menu = window._consumer_menu
    actions = {a.data(): a for a in menu.actions() if a.data()}
    assert set(actions) == {"stop", "crash", "pause", "resume"}
    assert actions["crash"].isEnabled() and not actions["resume"].isEnabled()
    actions["crash"].trigger()
    assert lane(window).card("c2").state == CRASHED
    assert window.status_label.text().startswith("c2 crashed: no LeaveGroup")
