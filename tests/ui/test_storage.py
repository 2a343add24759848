"""Storage and transactions in the window: the marks on the replica strips (markers, aborted and open
transactions, the LSO, compacted gaps, segments), the animations of storage and transaction events,
and the Storage & transactions panel (its tables and its settings, Kafka's refusals included).

Offscreen (tests/conftest.py). Virtual time moves through the bridge (`show_at`), never by sleeping;
what the canvas drew is read from what it painted from (`canvas.storage`, `drawn_strips`,
`captions`), with `grab()` only to make it paint. Scenarios fix their seeds (see the files).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest

from playground.engine import TopicPartition
from playground.ui import flights as fl
from playground.ui import storage_effects as sfx
from playground.ui import storage_model as sm
from playground.ui import txn_flights
from playground.ui.commands import builtin_cluster
from playground.ui.qt_main_window import MainWindow

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _open(qtbot, cluster, timeline=(), title="test") -> MainWindow:
    win = MainWindow(cluster, list(timeline), title=title, running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def scenario(qtbot):
    opened = []

    def load(name: str) -> MainWindow:
        from playground.ui.app import load as load_scenario
        cluster, timeline, title = load_scenario(str(SCENARIOS / name))
        win = _open(qtbot, cluster, timeline, title)
        opened.append(win)
        return win

    yield load
    for win in opened:
        win.bridge.close()


def _kinds(win, broker: int, topic: str, partition: int = 0) -> dict[int, str]:
    win.canvas.grab()
    return {cell.offset: cell.kind for _r, b, tp, cell in win.canvas.storage.cells
            if b == broker and tp == TopicPartition(topic, partition)}


def _captions_until(win, until: int, step: int = 10) -> list[str]:
    """Every caption shown while time runs to `until` (a caption lives a few real seconds, and at the
    scenario's 0.05x that is a fraction of a virtual second)."""
    seen: list[str] = []
    while win.bridge.now < until:
        win.bridge.show_at(min(until, win.bridge.now + step))
        seen.extend(c for c in win.canvas.captions() if c not in seen)
    return seen


def _leader(win, topic: str, partition: int = 0) -> int:
    return next(p.leader for p in win.bridge.view().partitions(topic) if p.partition == partition)


# -- the strips ------------------------------------------------------------------------------------
def test_markers_aborted_and_open_records_and_the_lso_are_drawn(qtbot, scenario):
    win = scenario("transactions-read-committed.yaml")
    win.bridge.show_at(7_000)           # committed 0-1 + COMMIT@2, aborted 3-4 + ABORT@5, 6-7 still open
    leader = _leader(win, "payments")
    for broker in (101, 102, 103):      # every replica shows what it holds (the window is its tail)
        kinds = _kinds(win, broker, "payments")
        expected = {2: sm.COMMIT, 3: sm.ABORTED, 4: sm.ABORTED, 5: sm.ABORT, 6: sm.OPEN, 7: sm.OPEN}
        assert {4, 5, 6, 7} <= set(kinds)
        assert {o: k for o, k in kinds.items() if o >= 2} == {o: k for o, k in expected.items() if o in kinds}
    strips = win.canvas.storage.strips
    assert strips[(leader, "payments", 0)].last_stable_offset == 6      # LSO 6 · HW = LEO = 8
    assert strips[(leader, "payments", 0)].high_watermark == 8
    assert all(s.last_stable_offset is None for (b, _t, _p), s in strips.items() if b != leader)
    win.bridge.show_at(16_000)          # the third transaction is committed: the LSO mark is gone
    win.canvas.grab()
    assert win.canvas.storage.strips[(leader, "payments", 0)].last_stable_offset is None
    assert _kinds(win, leader, "payments")[8] == sm.COMMIT
    assert _kinds(win, leader, "payments")[7] == sm.RECORD


def test_hovering_a_marker_or_an_aborted_record_says_what_it_is(qtbot, scenario):
    win = scenario("transactions-read-committed.yaml")
    win.bridge.show_at(7_000)
    win.canvas.grab()
    leader = _leader(win, "payments")
    rects = {cell.offset: rect for rect, b, _tp, cell in win.canvas.storage.cells if b == leader}
    abort = win.canvas._tooltip_at(rects[5].center())
    assert "ABORT marker</b>: a control record no application sees" in abort and "bank-tx" in abort
    aborted = win.canvas._tooltip_at(rects[4].center())
    assert "value: mistake 1" in aborted and "ABORTED transaction" in aborted and "bank-tx (producer id" in aborted
    assert "OPEN transaction" in win.canvas._tooltip_at(rects[6].center())


def test_compaction_leaves_gaps_and_the_segment_bar_shows_the_cleaned_segment(qtbot, scenario):
    win = scenario("compaction-keeps-latest.yaml")
    win.bridge.show_at(6_050)           # the first cleaner pass (6 000 ms) removed superseded records
    win.canvas.grab()
    layer = win.canvas.storage
    blocks = [(b, seg) for _r, b, tp, seg in layer.blocks if tp.topic == "prices"]
    assert {b for b, _ in blocks} == {101, 102, 103}
    assert any(seg.cleaned for _b, seg in blocks) and all(seg.active for _b, seg in blocks if seg.base_offset == 13)
    captions = win.canvas.captions()
    assert any("Log cleaner compacted prices/0" in c and "min.cleanable.dirty.ratio=0.1" in c for c in captions)
    # The gaps themselves: a strip whose window reaches back into the cleaned segment shows them.
    log = win.bridge.view().replica_log(101, "prices", 0)
    storage = sm.strip_storage(log, 0, 13, None, 101, True)
    gaps = [o for o, c in storage.cells.items() if c.kind == sm.GAP]
    assert gaps and len(gaps) + sum(1 for c in storage.cells.values() if c.kind != sm.GAP) == 13
    text = sm.describe_cell(log, storage.cells[gaps[0]], 101, {})
    assert "removed by compaction" in text


# -- animations ------------------------------------------------------------------------------------
def test_a_retention_deletion_fades_the_segments_out_with_a_caption(qtbot, scenario):
    win = scenario("retention-deletes-a-segment.yaml")
    win.bridge.show_at(39_000)
    win.canvas.grab()
    assert not [e for e in win.canvas.effects.active() if e.kind == sfx.SEGMENT_GONE]
    win.bridge.show_at(40_050)          # the retention check at 40 s deletes segments 0-19, 20-39, 40-49
    win.canvas.grab()
    gone = [e for e in win.canvas.effects.active() if e.kind == sfx.SEGMENT_GONE]
    assert {e.broker for e in gone} == {101, 102, 103}
    assert sorted({(e.data["base_offset"], e.data["next_offset"]) for e in gone}) == [(0, 20), (20, 40), (40, 50)]
    assert "retention.ms=30000: segments 0–49 of clicks/0 deleted, log start offset → 50" in win.canvas.captions()
    banners = {s.broker: s.banners for s in win.canvas.drawn_strips()}
    assert all(any("SEGMENTS 0–49 DELETED" in b for b in banners[b]) for b in (101, 102, 103))
    win.bridge.show_at(45_000)          # long past the effect: one active segment left
    win.canvas.grab()
    assert [(seg.base_offset, seg.active) for _r, b, _t, seg in win.canvas.storage.blocks if b == 101] == [(50, True)]


def test_markers_fly_from_the_coordinator_to_the_leader(qtbot, scenario):
    win = scenario("transactions-read-committed.yaml")
    markers = []
    win.bridge.message_sent.connect(lambda m: markers.extend(
        f for f in fl.classify(m, win.bridge.view()) if f.kind in txn_flights.MARKERS))
    captions = _captions_until(win, 2_700)       # commitTransaction() at 1.5 s: EndTxn, PrepareCommit, markers
    assert markers and markers[0].kind == txn_flights.COMMIT_MARKER and markers[0].label == "COMMIT marker"
    coordinator = win.bridge.view().transactions()["bank-tx"].coordinator
    assert markers[0].src == ("broker", coordinator)
    assert markers[0].dst == ("replica", _leader(win, "payments"), TopicPartition("payments", 0))
    assert any("COMMIT marker of bank-tx written to payments/0 at offset 2" in c for c in captions)


def test_a_fenced_producer_gets_a_caption(qtbot, scenario):
    win = scenario("zombie-producer-fenced.yaml")
    captions = _captions_until(win, 4_500)       # old's commitTransaction() at 4 s: PRODUCER_FENCED
    assert any(c.startswith("Coordinator aborts the open transaction of orders-writer") for c in captions)
    assert any(c.startswith("Producer old is FENCED (PRODUCER_FENCED)") for c in captions)


def test_a_duplicate_recognised_by_the_leader_is_captioned(qtbot):
    cluster = builtin_cluster()
    win = _open(qtbot, cluster)
    try:
        win.bridge.produce("orders", "v", key="k")          # learn the leader, then lose its next answer
        win.bridge.show_at(1_000)
        leader = cluster.leader_of("orders", 2)
        cluster.drop_requests(leader, "produce", 1)
        win.bridge.produce("orders", "again", key="k")      # key k → orders/2 (murmur2)
        captions = _captions_until(win, 40_000, 200)        # request.timeout.ms, then the retry
        assert any(c.startswith("duplicate on orders/2: leader") and "answered with offset 1, not written again"
                   in c for c in captions)
    finally:
        win.bridge.close()


# -- the panel -------------------------------------------------------------------------------------
def test_the_panel_lists_segments_cleaner_and_retention_settings(qtbot, scenario):
    win = scenario("retention-deletes-a-segment.yaml")
    panel = win.storage_panel
    assert win._storage_dock.isVisible()              # a storage scenario opens on the panel
    win.bridge.show_at(39_000)
    panel.select("clicks", 0)
    assert [r[:2] + r[5:] for r in panel.segment_rows()] == [
        ("0", "20", "", ""), ("20", "40", "", ""), ("40", "50", "", ""), ("50", "60", "active", "")]
    assert panel.setting("retention.ms") == "30000" and panel.setting("segment.bytes") == "600"
    assert "scaled down from Kafka's 1 GiB default" in panel.note.text()
    win.bridge.show_at(41_000)
    panel.refresh()
    assert [r[0] for r in panel.segment_rows()] == ["50"]
    assert panel.summary.text().startswith("clicks/0: log start 50 · HW 60 · LEO 60 · 1 segment")
    panel.select("clicks", 0, broker=102)
    assert panel.picked() == ("clicks", 0, 102)


def test_a_bad_setting_shows_invalid_config_and_changes_nothing(qtbot, scenario):
    win = scenario("retention-deletes-a-segment.yaml")
    panel, view = win.storage_panel, win.bridge.view()
    panel.select("clicks", 0)
    before = view.topic_configs("clicks")
    panel.set_setting("retention.ms", "60000")
    panel.set_setting("segment.bytes", "12")           # below Kafka's minimum of 14
    assert not panel.apply()
    assert panel.status.text().startswith("INVALID_CONFIG: Invalid value '12' for configuration segment.bytes")
    assert view.topic_configs("clicks") == before      # not even the good value went through
    panel.set_setting("segment.bytes", "600")
    assert panel.apply()
    assert view.topic_config("clicks", "retention.ms") == 60000
    assert "retention.ms=60000" in panel.status.text()
    panel.set_setting("cleanup.policy", "sometimes")
    assert not panel.apply() and "INVALID_CONFIG" in panel.status.text()
    assert view.topic_config("clicks", "cleanup.policy") == "delete"


def test_the_panel_shows_transactions_and_the_lso(qtbot, scenario):
    win = scenario("zombie-producer-fenced.yaml")
    panel = win.storage_panel
    win.bridge.show_at(1_500)           # old's transaction is open: LSO 0, HW 2
    panel.select("shipments", 0)
    (row,) = panel.stability_rows()
    assert row[:3] == ("shipments/0", "0", "2") and row[3].startswith("pid ")
    win.bridge.show_at(5_000)           # new fenced old (epoch 2); old's commit was refused
    panel.refresh()
    ((tid, state, pid_epoch, _parts, _coord, producers),) = panel.transaction_rows()
    assert tid == "orders-writer" and pid_epoch.endswith("· 2")
    assert "old: FENCED (epoch 0)" in producers and "new:" in producers
    assert "ABORT" not in state and panel.stability_rows()[0][4] != "–"      # the zombie's records: aborted


def test_the_panel_has_a_shortcut_listed_in_help(qtbot):
    win = _open(qtbot, builtin_cluster())
    try:
        assert not win._storage_dock.isVisible()        # the built-in cluster: hidden until asked for
        rows = win.open_shortcuts().rows()
        assert ("View", "Storage and transactions", "Ctrl+8") in rows
        win._storage_dock.toggleViewAction().trigger()
        assert win._storage_dock.isVisible()
    finally:
        win.bridge.close()


def test_clicking_a_segment_shows_its_cells_and_the_wheel_scrolls_back(qtbot, scenario):
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    win = scenario("compaction-keeps-latest.yaml")
    win.bridge.show_at(6_050)           # segment 0-12 compacted; the strips show the tail, 13 and later
    canvas = win.canvas
    assert min(_kinds(win, 101, "prices")) > 0
    rect = next(r for r, b, _tp, seg in canvas.storage.blocks if b == 101 and seg.base_offset == 0)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    kinds = _kinds(win, 101, "prices")
    assert min(kinds) == 0 and sm.GAP in kinds.values()          # the cleaner's gaps, in place
    assert canvas.current_menu() is None                         # not the broker's fault menu
    strip = next(s for s in canvas.drawn_strips() if s.broker == 101)
    for _ in range(20):                 # wheel down: back to the newest offsets, following the tail again
        QApplication.sendEvent(canvas, QWheelEvent(
            QPointF(strip.rect.center()), QPointF(canvas.mapToGlobal(strip.rect.center().toPoint())), QPoint(),
            QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
            False))
    assert min(_kinds(win, 101, "prices")) > 0 and TopicPartition("prices", 0) not in canvas.storage.pinned
    QApplication.sendEvent(canvas, QWheelEvent(
        QPointF(strip.rect.center()), QPointF(canvas.mapToGlobal(strip.rect.center().toPoint())), QPoint(),
        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False))
    before = min(o for o in _kinds(win, 101, "prices"))
    assert canvas.storage.pinned[TopicPartition("prices", 0)] == before    # two offsets older than the tail


def test_a_tombstone_past_delete_retention_ms_expires_with_a_caption(qtbot, scenario):
    win = scenario("compaction-keeps-latest.yaml")
    win.bridge.show_at(31_900)
    captions = _captions_until(win, 32_200, 20)       # the cleaner pass at 32 s removes banana's tombstone
    assert "delete.retention.ms=20000 passed: 1 tombstone of prices/0 expired, the key is gone" in captions


def test_the_guarantees_panel_counts_results_written_twice(scenario):
    win = scenario("at-least-once-pipeline.yaml")
    win.bridge.show_at(60_000)
    win.guarantees.refresh()
    assert "results written twice 3" in win.guarantees.consumer_line.text()
