"""Producers in the window: the Producers panel (start, configure, stop, Kafka's refusals), the
record accumulator it draws, and the throughput / ack-latency chart.

Offscreen (tests/conftest.py). Virtual time moves through the bridge (`show_at`), never by
sleeping; what the accumulator shows is checked through the cards it paints from
(`AccumulatorView.cards`), with `grab()` only to make it paint.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from playground.engine import EventKind
from playground.ui.commands import builtin_cluster
from playground.ui.producer_model import FILLING, IDLE
from playground.ui.qt_main_window import MainWindow

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _open(qtbot, cluster, timeline=()) -> MainWindow:
    win = MainWindow(cluster, list(timeline), title="test", running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    win._producers_dock.raise_()           # the accumulator paints while its tab is shown
    qtbot.waitUntil(win.producers_panel.accumulator.isVisible, timeout=2000)
    return win


@pytest.fixture
def window(qtbot):
    win = _open(qtbot, builtin_cluster())
    yield win
    win.bridge.close()


def fill_form(win, name: str = "p1", rate: str = "40", linger: str = "200", batch_size: str = "2048",
              key: str = "", acks: str = "all") -> None:
    panel = win.producers_panel
    panel.name.setText(name)
    panel.topic.setEditText("orders")
    panel.rate.setText(rate)
    panel.key.setText(key)
    panel.linger.setText(linger)
    panel.batch_size.setText(batch_size)
    panel.acks.setCurrentText(acks)


def advance(win, ms: int, step_ms: int = 20) -> None:
    """Frames of `step_ms` virtual ms: the accumulator and the chart update as in the window."""
    end = win.bridge.now + ms
    while win.bridge.now < end:
        win.bridge.show_at(min(end, win.bridge.now + step_ms))


def test_a_started_producer_shows_its_batch_filling_then_leaving(qtbot, window):
    fill_form(window)
    panel, bridge = window.producers_panel, window.bridge
    assert panel.start()
    assert panel.status.text().startswith("Producer p1 sends 40 records/s to orders")
    # the built-in cluster's 50 ms hops: the metadata answer comes back at 100 ms, then records collect
    advance(window, 300)
    panel.accumulator.grab()
    card = panel.accumulator.card("p1")
    assert card is not None and card.running and card.state == "● 40/s"
    assert card.lines[0] == "linger.ms=200 · batch.size=2 KB"
    (row,) = [r for r in card.rows if r.records]          # a null key: the sticky partitioner fills one partition
    assert row.state == FILLING and 0 < row.fill < 1 and row.text.startswith("sends in ")
    assert {r.tp for r in card.rows} == {"orders/0", "orders/1", "orders/2"}
    batch = next(b for b in bridge.view().producers()["p1"].open_batches)
    assert row.records == batch.records and row.bytes == batch.bytes
    left = batch.linger_deadline_ms - bridge.now
    assert row.text == f"sends in {left} ms"
    # the batch fills as time goes on...
    advance(window, 60)
    later = next(r for r in panel.accumulator.card("p1").rows if r.tp == row.tp)
    assert later.records > row.records and later.fill > row.fill
    # ...and leaves at its linger deadline: its row says where it went, for a moment
    bridge.show_at(batch.linger_deadline_ms)
    gone = next(r for r in panel.accumulator.card("p1").rows if r.tp == row.tp)
    leader = bridge.view().partitions("orders")[int(row.tp[-1])].leader
    assert gone.flash is not None and gone.flash < 0.5 and gone.sent_to == leader
    assert any(e.kind == EventKind.PRODUCE_SENT and e.data["producer"] == "p1" for e in bridge.event_history)
    assert any(r.startswith("p1 · ● sending 40/s → orders") for r in panel.rows())


def test_a_bad_linger_value_shows_invalid_config_and_starts_nothing(qtbot, window):
    panel, bridge = window.producers_panel, window.bridge
    events = len(bridge.event_history)
    for bad, reason in (("-1", "Value must be at least 0"), ("soon", "Not a number of type LONG")):
        fill_form(window, linger=bad)
        assert not panel.start()
        text = f"INVALID_CONFIG: Invalid value {bad} for configuration linger.ms: {reason}"
        assert panel.status.text() == text and window.status_label.text() == text
        assert "#c62828" in panel.status.styleSheet()
    assert bridge.view().producers() == {} and len(bridge.event_history) == events
    advance(window, 200)
    assert panel.accumulator.cards() == [] and panel.rows() == []


def test_idempotence_conflict_and_unknown_topic_are_refused(qtbot, window):
    panel = window.producers_panel
    fill_form(window, acks="1")
    panel.idempotence.setCurrentText("true")
    assert not panel.start()
    assert panel.status.text().startswith("INVALID_CONFIG: Kafka refuses this producer config (ConfigException): "
                                          "Must set acks to all")
    panel.idempotence.setCurrentText("default")             # Kafka then turns idempotence off by itself
    panel.topic.setEditText("nope")
    assert not panel.start()
    assert panel.status.text().startswith("UNKNOWN_TOPIC_OR_PARTITION: ")
    assert window.bridge.view().producers() == {}
    panel.topic.setEditText("orders")
    assert panel.start()
    assert window.bridge.view().producers()["p1"].config["enable.idempotence"] is False


def test_stop_flushes_and_the_card_says_stopped(qtbot, window):
    fill_form(window)
    panel, bridge = window.producers_panel, window.bridge
    assert panel.start()
    advance(window, 300)
    assert panel.stop_button.isEnabled()
    held = sum(b.records for b in bridge.view().producers()["p1"].open_batches)
    assert held > 0
    assert panel.stop("p1")
    assert panel.status.text().startswith("Producer p1 stopped")
    advance(window, 400)                                   # well before the 200 ms linger would have passed twice
    p = bridge.view().producers()["p1"]
    assert not p.running and p.acked == p.sent and p.open_batches == ()
    panel.refresh()
    assert not panel.stop_button.isEnabled()
    card = panel.accumulator.card("p1")
    assert card.state == "stopped" and all(r.state == IDLE for r in card.rows)
    assert not panel.stop("p1")
    assert panel.status.text() == "INVALID_REQUEST: cannot stop producer p1: it has no send loop running (it was " \
                                  "stopped already)"


def test_a_configure_only_start_sends_nothing(qtbot, window):
    fill_form(window, rate="")
    panel = window.producers_panel
    assert panel.start()
    advance(window, 500)
    p = window.bridge.view().producers()["p1"]
    assert p.sent == 0 and p.rate is None and p.config["linger.ms"] == 200
    assert panel.accumulator.card("p1").state == "sends when asked"
    fill_form(window, linger="0")                          # same name, other settings: Kafka's producers are fixed
    assert not panel.start()
    assert "exists with linger.ms=200, not 0" in panel.status.text()


def test_produce_chart_has_throughput_and_latency_after_producing(qtbot, window):
    chart, bridge = window.produce_chart, window.bridge
    assert window._produce_dock.isHidden()                  # hidden until the first send loop starts
    # 20 records/s: the built-in cluster's 50 ms hops keep within max.in.flight without linger
    fill_form(window, name="lingering", rate="20", linger="100", key="k{i}")
    assert window.producers_panel.start()
    fill_form(window, name="eager", rate="20", linger="0", key="k{i}")
    assert window.producers_panel.start()
    assert not window._produce_dock.isHidden()
    advance(window, 3000, step_ms=50)
    chart.draw()
    assert chart.producer_names() == ["eager", "lingering"]
    for name in ("eager", "lingering"):
        x, y = chart.curve_data(name, "throughput")
        assert len(x) == len(y) > 20 and np.all(np.diff(x) > 0)
        assert 15 <= np.mean(y[len(y) // 2:]) <= 25                   # ~20 records acked per second
    _x, eager = chart.curve_data("eager", "p50")
    _x, lingering = chart.curve_data("lingering", "p50")
    eager, lingering = eager[np.isfinite(eager)], lingering[np.isfinite(lingering)]
    # 50 ms hops: an acks=all round trip takes ~200 ms; lingering adds up to 100 ms on top
    assert np.median(lingering) - np.median(eager) >= 50
    p = bridge.view().producers()["lingering"]
    assert lingering.max() <= p.ack_latency_max


def test_shortcuts_toggle_the_producers_panel_and_chart_and_help_lists_them(qtbot, window):
    dialog = window.open_shortcuts()
    qtbot.addWidget(dialog)
    keys = {(what, keys) for _menu, what, keys in dialog.rows()}
    assert ("Producers", "Ctrl+6") in keys
    assert any(keys_ == "Ctrl+7" and what.startswith("Producers: throughput and ack latency") for what, keys_ in keys)
    taken = [k for _m, _w, k in dialog.rows()]
    assert len(taken) == len(set(taken))                    # no key does two things


def test_the_linger_scenario_opens_on_the_producers_panel(qtbot):
    from playground.ui.app import load
    cluster, timeline, _title = load(str(SCENARIOS / "linger-batching.yaml"))
    win = _open(qtbot, cluster, timeline)
    try:
        assert not win._produce_dock.isHidden()
        win.bridge.show_at(1_000)
        names = [c.name for c in win.producers_panel.accumulator.cards()]
        assert names == ["linger-50", "no-linger"]
        lingering = win.producers_panel.accumulator.card("linger-50")
        assert sum(r.records for r in lingering.rows) > 0             # records wait in linger-50's batches
    finally:
        win.bridge.close()


def _acked(time: int, producer: str, count: int, created: int):
    return SimpleNamespace(kind=EventKind.PRODUCE_ACKED, time=time,
                           data={"producer": producer, "count": count, "created_ms": created})


def test_produce_history_folds_acks_into_windows():
    from playground.ui.qt_produce_chart import ProduceHistory
    h = ProduceHistory(window_ms=100, capacity=8)
    assert not h.advance(50)                                   # nothing acked yet: no window
    for t, n, created in ((10, 5, 0), (60, 5, 20), (150, 2, 140)):
        assert h.on_event(_acked(t, "p", n, created))
    assert not h.on_event(SimpleNamespace(kind=EventKind.PRODUCE_SENT, time=1, data={}))
    assert h.advance(99) and h.series["p"].n == 1               # [0, 100) is complete at 99
    s = h.series["p"]
    assert (s.data("t")[0], s.data("throughput")[0]) == (0.1, 100.0)      # 10 records in 0.1 s
    assert (s.data("p50")[0], s.data("p95")[0]) == (10.0, 40.0)           # latencies 10 and 40
    assert h.advance(450) and s.n == 4                          # windows with no ack: 0 records/s, no latency
    assert list(s.data("throughput")) == [100.0, 20.0, 0.0, 0.0] and np.isnan(s.data("p50")[3])
    assert h.advance(1000) and h.window_ms == 200 and s.n <= 8    # full: every other point dropped, windows doubled
    assert np.all(np.diff(s.data("t")) > 0)


def test_cards_show_full_batches_and_the_compression_ratio():
    from playground.engine.producer_view import BatchView, LeaderQueueView, ProducerView
    from playground.ui.producer_model import FULL, RecentSends, producer_cards
    config = {"acks": "all", "enable.idempotence": True, "linger.ms": 50, "batch.size": 1024,
              "compression.type": "zstd", "max.in.flight.requests.per.connection": 5, "transactional.id": None}
    full = BatchView("t", 0, 10, 1000, 1024, 100, 150, compressed_size=250)     # one more record would not fit
    filling = BatchView("t", 1, 3, 361, 1024, 120, 170, compressed_size=120)
    p = ProducerView("p", config, 13, 0, 0, {}, 0, 0, 0, None, None, None, open_batches=(filling,),
                     ready_batches=(full,), compression_ratio=1361 / 370,
                     leaders=(LeaderQueueView(101, ready_batches=1, ready_records=10, in_flight=5, max_in_flight=5),))
    view = SimpleNamespace(producers=lambda: {"p": p}, partitions=lambda _t: [])
    (card,) = producer_cards(view, 130.0, RecentSends(), 40.0)
    rows = {r.tp: r for r in card.rows}
    assert rows["t/0"].state == FULL and rows["t/0"].text == "full: sending" and rows["t/0"].records == 10
    assert rows["t/1"].text == "sends in 40 ms" and rows["t/1"].compression_ratio == pytest.approx(361 / 120)
    assert card.lines[1] == "acks=all · compression zstd (3.7:1)"
    assert card.leaders == ((101, 5, 5, 1, 10),)
