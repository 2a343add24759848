"""The Kafka CLI console dock: type a command and see Kafka's output, history, tab completion, a console
consumer that prints while virtual time runs and stops on Ctrl+C, a console producer fed by typed lines.

Offscreen (tests/conftest.py). Commands that need time move with the bridge: either driven frame by
frame (`show_at`) or with the bridge's QTimer running at 100x; waits are qtbot.waitUntil, never sleeps.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt

from playground.ui.commands import builtin_cluster
from playground.ui.qt_main_window import MainWindow

BOOTSTRAP = "--bootstrap-server localhost:9092"


@pytest.fixture
def window(qtbot):
    win = MainWindow(builtin_cluster(), running=False)
    win.bridge.set_speed(100.0)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.bridge.close()


@pytest.fixture
def console(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.toggle_console()
    qtbot.waitUntil(lambda: window.console.input.hasFocus(), timeout=2000)
    return window.console


def type_command(qtbot, console, line: str) -> None:
    qtbot.keyClicks(console.input, line)
    qtbot.keyClick(console.input, Qt.Key.Key_Return)


def records(window, topic: str = "orders") -> list[bytes]:
    view = window.bridge.view()
    out = []
    for p in view.partitions(topic):
        log = view.authoritative_log(topic, p.partition)
        out += [rec.value for _o, rec, batch in log.records(0, log.high_watermark) if not batch.is_control]
    return out


def test_ctrl_backquote_opens_the_console_and_help_lists_it(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    window.canvas.setFocus()
    assert not window._console_dock.isVisible()
    qtbot.keyClick(window.canvas, Qt.Key.Key_QuoteLeft, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window._console_dock.isVisible() and window.console.input.hasFocus(), timeout=2000)
    assert window.console_action.isChecked()
    dialog = window.open_shortcuts()
    qtbot.addWidget(dialog)
    rows = {what: keys for _menu, what, keys in dialog.rows()}
    assert "Ctrl+`" in rows["Kafka CLI console"]


def test_a_typed_command_prints_kafkas_output(qtbot, window, console):
    type_command(qtbot, console, f"kafka-topics {BOOTSTRAP} --describe --topic orders")
    view = window.bridge.view()
    expected = [f"Topic: orders\tTopicId: {view.topic_id('orders')}\tPartitionCount: 3\tReplicationFactor: 3\t"
                "Configs: min.insync.replicas=2"]
    for p in view.partitions("orders"):
        ids = ",".join(map(str, p.replicas))
        expected.append(f"\tTopic: orders\tPartition: {p.partition}\tLeader: {p.leader}\tReplicas: {ids}\tIsr: {ids}"
                        "\tElr: \tLastKnownElr: ")
    assert console.text().split("\n") == [f"$ kafka-topics {BOOTSTRAP} --describe --topic orders", *expected, ""]
    assert not console.running and console.input.text() == ""
    type_command(qtbot, console, "kafka-topics --list")
    assert console.text().endswith("$ kafka-topics --list\n--bootstrap-server must be specified\n")
    type_command(qtbot, console, f"kafka-topics {BOOTSTRAP} --create --topic payments --partitions 2")
    assert console.text().endswith("Created topic payments.\n")
    assert "payments" in window.bridge.view().topic_names()


def test_up_and_down_walk_the_history(qtbot, console):
    type_command(qtbot, console, "kafka-topics --version")
    type_command(qtbot, console, f"kafka-topics {BOOTSTRAP} --list")
    qtbot.keyClicks(console.input, "draft")
    qtbot.keyClick(console.input, Qt.Key.Key_Up)
    assert console.input.text() == f"kafka-topics {BOOTSTRAP} --list"
    qtbot.keyClick(console.input, Qt.Key.Key_Up)
    assert console.input.text() == "kafka-topics --version"
    qtbot.keyClick(console.input, Qt.Key.Key_Up)                       # the oldest stays
    assert console.input.text() == "kafka-topics --version"
    qtbot.keyClick(console.input, Qt.Key.Key_Down)
    qtbot.keyClick(console.input, Qt.Key.Key_Down)
    assert console.input.text() == "draft"
    qtbot.keyClick(console.input, Qt.Key.Key_Up)
    qtbot.keyClick(console.input, Qt.Key.Key_Return)                   # run it again
    assert console.text().endswith(f"$ kafka-topics {BOOTSTRAP} --list\norders\n")


def test_tab_completes_commands_flags_topics_and_groups(qtbot, window, console):
    window.bridge.start_consumer("c1", "analytics", ["orders"])
    window.bridge.run_to(window.bridge.now + 10_000)
    qtbot.keyClicks(console.input, "kafka-consumer-g")
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)
    assert console.input.text() == "kafka-consumer-groups "
    assert console.input.hasFocus()                                    # Tab did not move the focus
    qtbot.keyClicks(console.input, "--bootstrap-s")
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)
    assert console.input.text() == f"kafka-consumer-groups {BOOTSTRAP} "
    qtbot.keyClicks(console.input, "--describe --gr")
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)
    qtbot.keyClicks(console.input, "an")
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)
    assert console.input.text() == f"kafka-consumer-groups {BOOTSTRAP} --describe --group analytics "
    console.input.clear()
    qtbot.keyClicks(console.input, "kafka-console-consumer --topic o")
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)
    assert console.input.text() == "kafka-console-consumer --topic orders "
    console.input.clear()
    qtbot.keyClicks(console.input, "kafka-con")                       # ambiguous: as far as they agree,
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)
    assert console.input.text() == "kafka-cons"
    qtbot.keyClick(console.input, Qt.Key.Key_Tab)                     # then the choices are listed
    assert console.input.text() == "kafka-cons"
    assert console.text().endswith("kafka-console-consumer  kafka-console-producer  kafka-consumer-groups\n")


def test_a_console_consumer_prints_as_records_arrive_until_ctrl_c(qtbot, window, console):
    bridge = window.bridge
    bridge.produce("orders", "first", key="k")
    bridge.run_to(bridge.now + 1000)
    type_command(qtbot, console, f"kafka-console-consumer {BOOTSTRAP} --topic orders --from-beginning "
                                 "--property print.key=true --group live")
    assert console.running and "kafka-console-consumer is running" in console.status.text()
    bridge.resume()                                                    # the QTimer moves virtual time
    qtbot.waitUntil(lambda: "k\tfirst\n" in console.text(), timeout=10_000)
    bridge.produce("orders", "second", key="k")
    qtbot.waitUntil(lambda: "k\tsecond\n" in console.text(), timeout=10_000)
    assert console.running                                             # a terminal consumer keeps going
    qtbot.keyClick(console.input, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not console.running, timeout=10_000)
    assert console.text().endswith("k\tfirst\nk\tsecond\n^C\nProcessed a total of 2 messages\n")
    assert console.command.exit_code == 130
    assert window.bridge.view().consumers()["console-consumer"].state == "stopped"


def test_a_console_producer_sends_typed_lines_until_ctrl_d(qtbot, window, console):
    type_command(qtbot, console, f"kafka-console-producer {BOOTSTRAP} --topic orders --property parse.key=true "
                                 "--property key.separator=:")
    assert console.running and console.prompt_label.text() == ">"
    type_command(qtbot, console, "user-1:hello")
    type_command(qtbot, console, "user-2:world")
    qtbot.keyClick(console.input, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    bridge = window.bridge
    qtbot.waitUntil(lambda: (bridge.show_at(bridge.now + 100), not console.running)[1], timeout=10_000)
    assert console.command.exit_code == 0 and console.prompt_label.text() == "$ "
    assert sorted(records(window)) == [b"hello", b"world"]
    assert console.text().endswith(">user-1:hello\n>user-2:world\n^D\n")


def test_time_paused_is_said_while_a_command_waits(qtbot, window, console):
    type_command(qtbot, console, f"kafka-console-consumer {BOOTSTRAP} --topic orders")
    assert "virtual time is paused" in console.status.text()
    window.bridge.resume()
    assert "virtual time is paused" not in console.status.text()
    console.interrupt()
    qtbot.waitUntil(lambda: not console.running, timeout=10_000)


def test_help_clear_and_an_unknown_command(qtbot, console):
    type_command(qtbot, console, "help")
    assert "kafka-console-consumer --bootstrap-server localhost:9092 --topic orders --from-beginning" in console.text()
    type_command(qtbot, console, "kafka-sql --query x")
    assert console.text().endswith("kafka-sql: command not found (the console runs kafka-console-consumer, "
                                   "kafka-console-producer, kafka-consumer-groups, kafka-topics)\n")
    type_command(qtbot, console, 'kafka-topics --topic "unclosed')
    assert console.text().endswith("console: No closing quotation\n")
    qtbot.keyClick(console.input, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert console.text() == ""
