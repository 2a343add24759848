"""The window listens for real Kafka clients (Brokers ▸ Listen for Kafka clients, Ctrl+Shift+K).

kcat produces into the window's cluster while the bridge's frame timer services the listener
(no thread touches the engine); its records land in the log, its client.id shows on a card in
the Clients column, and toggling off closes the listeners. Real time passes here (kcat is a
real process), but nothing sleeps: every wait is a qtbot.waitUntil on what must happen.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import socket
import subprocess
import tempfile

import pytest

from playground.engine import EventKind
from playground.ui.commands import builtin_cluster
from playground.ui.qt_main_window import MainWindow

from tests.wire.conftest import require_binary

SPEED = 0.25            # a 50 ms hop spans 200 ms of real time, so its flight is drawn even on slow frames


@pytest.fixture
def window(qtbot):
    win = MainWindow(builtin_cluster(), [], title="test", running=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    win.bridge.set_speed(SPEED)
    yield win
    win.kafka_listener.stop()
    win.bridge.close()


def _records(win, topic: str) -> int:
    return sum(max(pv.log_end_offsets.values(), default=0) for pv in win.bridge.view().partitions(topic))


def test_kcat_produces_through_the_window_and_shows_as_a_client_card(qtbot, window):
    kcat = require_binary("kcat", "kcat")
    window.bridge.create_topic("clicks", 3, 3)
    window.kafka_listener.port = 0              # free ports: CI machines may run a Kafka on 9092
    window.listen_action.trigger()
    assert window.listen_action.isChecked() and window.kafka_listener.listening
    assert window.bridge.running                # clients live in real time: virtual time runs
    server = window.kafka_listener.server
    assert server.listening() == [101, 102, 103]
    bootstrap = window.kafka_listener.bootstrap
    assert window.listen_label.text() == f"Kafka clients: bootstrap {bootstrap}"
    assert "clients see virtual time at the current speed, 0.25×" in window.status_label.text()
    qtbot.waitUntil(lambda: all("clicks" in b.image.topics for b in window.bridge._cluster.brokers.values()),
                    timeout=15000)

    # kcat produces once its stdin ends and stays until the records are acknowledged; meanwhile every
    # frame paints the canvas and notes whether the client's card was drawn.
    cards: list = []
    flying: list = []           # the client's produce requests, flying from its card like a simulated producer's

    def look(_t: float) -> None:
        window.canvas.repaint()
        rect = window.canvas.external_client_rect("gui-test")
        client = next((c for c in window.kafka_listener.clients() if c.client_id == "gui-test"), None)
        if rect is not None and client is not None:
            cards.append((rect, client))
        canvas = window.canvas
        flying.extend(f for f in canvas._flights if f.kind == "produce" and str(f.src[1]).startswith("client:")
                      and canvas._end_point(f.src, f, True) is not None)

    window.bridge.frame.connect(look)
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([kcat, "-b", bootstrap, "-P", "-t", "clicks", "-X", "client.id=gui-test",
                                 "-X", "acks=all"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err,
                                text=True)
        try:
            proc.stdin.write("one\ntwo\nthree\n")
            proc.stdin.close()
            qtbot.waitUntil(lambda: proc.poll() is not None, timeout=40000)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        assert proc.returncode == 0, err.read()
    window.bridge.frame.disconnect(look)
    assert _records(window, "clicks") == 3
    assert cards, "no card was drawn for the client gui-test"
    assert flying, "the client's produce requests did not fly from its card"
    rect, client = cards[-1]
    assert rect.width() > 0 and client.host == "127.0.0.1" and client.requests > 0
    assert all(node.startswith("client:127.0.0.1:") for node in client.nodes)
    produced = [e for e in window.bridge.event_history if e.kind == EventKind.CLIENT_PRODUCED]
    assert sum(e.data["records"] for e in produced) == 3
    assert produced[0].text.startswith("gui-test (127.0.0.1:")
    # What kcat did is not in the journal; the journal says that real clients acted, once.
    assert [c.action for c in window.bridge.journal.commands] == ["create_topic", "wire_clients"]

    window.listen_action.trigger()
    assert not window.listen_action.isChecked() and not window.kafka_listener.listening
    assert not server.listening() and not server.connections()
    assert not window.listen_label.isVisible()
    assert "Stopped listening" in window.status_label.text()
    with socket.socket() as s:              # the port is free again
        s.bind(("127.0.0.1", int(bootstrap.split(",")[0].rsplit(":", 1)[1])))


def test_a_busy_port_falls_back_to_free_ports_and_says_so(qtbot, window):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        window.kafka_listener.port = port
        window.listen_action.trigger()
        assert window.kafka_listener.listening
        assert f"127.0.0.1:{port}" not in window.kafka_listener.bootstrap.split(",")
        assert f"port {port} was busy" in window.status_label.text()
    window.listen_action.trigger()
    assert not window.kafka_listener.listening


def test_the_shortcut_is_listed_once(qtbot, window):
    dialog = window.open_shortcuts()
    qtbot.addWidget(dialog)
    rows = dialog.rows()
    assert any(what.startswith("Listen for Kafka clients") and keys == "Ctrl+Shift+K" for _m, what, keys in rows)
    taken = [k for _m, _w, k in rows]
    assert len(taken) == len(set(taken))


def test_a_real_consumer_group_member_is_drawn_alive_in_its_lane(qtbot, window):
    kcat = require_binary("kcat", "kcat")
    window.bridge.set_speed(1.0)                # the group's initial rebalance delay passes in real seconds
    window.kafka_listener.port = 0
    window.listen_action.trigger()

    def card():
        window.canvas.repaint()
        lane = next((lane for lane in window.canvas.group_lanes() if lane.group_id == "g-real"), None)
        return next((c for c in lane.members if c.name == "gcons"), None) if lane is not None else None

    proc = subprocess.Popen([kcat, "-b", window.kafka_listener.bootstrap, "-G", "g-real", "orders",
                             "-X", "client.id=gcons"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Not an "old incarnation" (no simulated consumer stands for it): alive, reading all of orders.
        qtbot.waitUntil(lambda: card() is not None and card().state == "active" and len(card().reads) == 3,
                        timeout=40000)
        assert card().note == "a real client"
    finally:
        proc.kill()
        proc.wait()
