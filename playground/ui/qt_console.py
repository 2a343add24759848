"""The Kafka CLI console: a terminal in the window that runs Kafka's tools on the simulated cluster.

Type `kafka-topics`, `kafka-console-producer`, `kafka-console-consumer` or
`kafka-consumer-groups` with Kafka's flags; the output is what the real tool
prints (stderr in red). Commands start through the bridge (`run_tool`) and the
ones that need time move on as the bridge advances virtual time, so the window
never blocks: a console consumer keeps printing records as they arrive until
Ctrl+C; the console producer reads the lines typed at its `>` prompt until
Ctrl+D. Up/Down walk the history, Tab completes command names, flags, topic and
group names. `clear` (or Ctrl+L) empties the pane, `help` lists the commands.

Everything typed that reaches the cluster goes through the bridge and into
its journal (the command, each line fed to it, Ctrl+D, Ctrl+C), so a saved
workspace or a rewound cluster replays it. A console opened on a replayed
cluster takes over the command that was still running when it was saved.
"""

from __future__ import annotations

import shlex
import traceback

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from playground.tools.complete import common_prefix

from .qt_theme import COLORS

PROMPT = "$ "
FONT_POINTS = 14                    # readable on a projector
MAX_LINES = 5000
HELP = """Kafka's command-line tools, on this cluster (the bootstrap server is {bootstrap}):
  kafka-topics --bootstrap-server {bootstrap} --list
  kafka-topics --bootstrap-server {bootstrap} --describe --topic orders
  kafka-topics --bootstrap-server {bootstrap} --create --topic t --partitions 3 --replication-factor 3
  kafka-console-producer --bootstrap-server {bootstrap} --topic orders --property parse.key=true \
--property key.separator=:
  kafka-console-consumer --bootstrap-server {bootstrap} --topic orders --from-beginning --property print.key=true
  kafka-consumer-groups --bootstrap-server {bootstrap} --describe --group g1
Add --help to any of them for all its options. Keys: Up/Down history, Tab completes, Ctrl+C stops a running
command, Ctrl+D ends the console producer's input, Ctrl+L clears. Commands that wait for records or acks
move with virtual time: while time is paused (Space), they wait too."""


def mono_font(points: int = FONT_POINTS) -> QFont:
    f = QFont("DejaVu Sans Mono")
    f.setStyleHint(QFont.StyleHint.Monospace)
    f.setFixedPitch(True)
    f.setPointSize(points)
    return f


class CommandLine(QLineEdit):
    """The input line: Up/Down, Tab, Ctrl+C, Ctrl+D and Ctrl+L go to the console, not to Qt."""

    history_up = Signal()
    history_down = Signal()
    complete_requested = Signal()
    interrupt_requested = Signal()
    eof_requested = Signal()
    clear_requested = Signal()

    def event(self, e) -> bool:
        # Tab would move the focus to the next widget before keyPressEvent sees it.
        if e.type() == QEvent.Type.KeyPress and e.key() == Qt.Key.Key_Tab:
            self.complete_requested.emit()
            return True
        return super().event(e)

    def keyPressEvent(self, e) -> None:
        ctrl = e.modifiers() & Qt.KeyboardModifier.ControlModifier
        if e.key() == Qt.Key.Key_Up:
            self.history_up.emit()
        elif e.key() == Qt.Key.Key_Down:
            self.history_down.emit()
        elif ctrl and e.key() == Qt.Key.Key_C and not self.hasSelectedText():
            self.interrupt_requested.emit()
        elif ctrl and e.key() == Qt.Key.Key_D:
            self.eof_requested.emit()
        elif ctrl and e.key() == Qt.Key.Key_L:
            self.clear_requested.emit()
        else:
            super().keyPressEvent(e)


class KafkaConsole(QWidget):
    """A prompt, an output pane and at most one running command."""

    command_finished = Signal(int)      # the exit code of the command that just ended

    def __init__(self, bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self.command = None
        self.history: list[str] = []
        self._history_index = 0
        self._draft = ""
        self._pending: list[tuple[list[str], str]] = []
        self._flush_scheduled = False
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(mono_font())
        self.output.setMaximumBlockCount(MAX_LINES)
        self.output.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.output.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.prompt_label = QLabel(PROMPT)
        self.prompt_label.setFont(mono_font())
        self.input = CommandLine()
        self.input.setFont(mono_font())
        self.input.setPlaceholderText("kafka-topics --bootstrap-server localhost:9092 --list   (Tab completes, "
                                      "`help` for more)")
        self.status = QLabel("")
        self.status.setFont(mono_font(FONT_POINTS - 3))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.prompt_label)
        row.addWidget(self.input, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.output, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.input.returnPressed.connect(self.submit)
        self.input.history_up.connect(lambda: self._walk_history(-1))
        self.input.history_down.connect(lambda: self._walk_history(1))
        self.input.complete_requested.connect(self.complete)
        self.input.interrupt_requested.connect(self.interrupt)
        self.input.eof_requested.connect(self.end_input)
        self.input.clear_requested.connect(self.clear)
        bridge.running_changed.connect(lambda _running: self._update_status())
        self._update_status()
        self._adopt_running()

    # -- reading the pane (tests and the window) ---------------------------------------------------
    def text(self) -> str:
        self._flush()
        return self.output.toPlainText()

    @property
    def running(self) -> bool:
        return self.command is not None and not self.command.done

    # -- output -------------------------------------------------------------------------------------
    def append(self, text: str, stream: str = "out") -> None:
        """Queue output; it reaches the pane once per pass of the event loop, so a console consumer
        printing thousands of records per frame costs one insertion, not thousands."""
        if self._pending and self._pending[-1][1] == stream:
            self._pending[-1][0].append(text)
        else:
            self._pending.append(([text], stream))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            QTimer.singleShot(0, self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        if not pending:
            return
        cursor = self.output.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        for parts, stream in pending:
            fmt = QTextCharFormat()
            if stream == "err":
                fmt.setForeground(COLORS["console_error"])
            elif stream == "echo":
                fmt.setForeground(COLORS["console_echo"])
            cursor.insertText("".join(parts), fmt)
        self.output.setTextCursor(cursor)
        self.output.ensureCursorVisible()

    def clear(self) -> None:
        self._pending = []
        self.output.clear()

    # -- commands -----------------------------------------------------------------------------------
    def run(self, line: str) -> None:
        """Type `line` and press Return (what tests and scripted demos call)."""
        self.input.setText(line)
        self.submit()

    def submit(self) -> None:
        line = self.input.text()
        self.input.clear()
        if self.running:
            prompt = self.command.prompt
            self.append(f"{prompt}{line}\n", "echo")
            if self.command.reads_input:
                self._bridge.tool_signal(self.command, "input", line)
            return
        self.append(f"{PROMPT}{line}\n", "echo")
        if line.strip():
            if not self.history or self.history[-1] != line:
                self.history.append(line)
        self._history_index = len(self.history)
        self._draft = ""
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            self.append(f"console: {exc}\n", "err")
            return
        if not argv:
            return
        if argv == ["clear"]:
            self.clear()
            return
        if argv[0] in ("help", "?"):
            from playground.tools import bootstrap_address
            self.append(HELP.format(bootstrap=bootstrap_address(self._bridge.view())) + "\n")
            return
        try:
            command = self._bridge.run_tool(argv, self.append)
        except Exception:                   # a bug in a tool must not take the window down: show it
            self.append(traceback.format_exc(), "err")
            self._flush()
            return
        self._flush()
        self.command = command
        command.on_done(self._finished)
        self._update_status()

    def _adopt_running(self) -> None:
        """The command a replayed journal left running (a console consumer, a producer awaiting input):
        its output comes here from now on, and Ctrl+C or typed lines reach it as before."""
        journal = getattr(self._bridge, "journal", None)
        running = journal.running_tools() if journal is not None else {}
        if not running:
            return
        command = running[max(running)]
        command.redirect(self.append)
        self.command = command
        command.on_done(self._finished)
        self.append(f"({command.name} {' '.join(command.argv)}: still running from the saved session)\n", "echo")
        self._update_status()

    def _finished(self, code: int) -> None:
        self._update_status()
        self.command_finished.emit(code)

    def interrupt(self) -> None:
        """Ctrl+C: stop the running command (a console consumer reports what it printed)."""
        self.append("^C\n", "echo")
        if self.running:
            self._bridge.tool_signal(self.command, "stop")
        else:
            self.input.clear()
        self._update_status()

    def end_input(self) -> None:
        """Ctrl+D: end of the console producer's input (it flushes, waits for its acks, exits)."""
        if self.running and self.command.reads_input:
            self.append("^D\n", "echo")
            self._bridge.tool_signal(self.command, "end_input")
        self._update_status()

    # -- history and completion --------------------------------------------------------------------
    def _walk_history(self, step: int) -> None:
        if not self.history:
            return
        if self._history_index == len(self.history):
            self._draft = self.input.text()
        self._history_index = max(0, min(len(self.history), self._history_index + step))
        text = self.history[self._history_index] if self._history_index < len(self.history) else self._draft
        self.input.setText(text)

    def complete(self) -> None:
        if self.running:
            return
        cursor = self.input.cursorPosition()
        text = self.input.text()
        start, candidates = self._bridge.complete(text[:cursor])
        if not candidates:
            return
        if len(candidates) == 1:
            word = candidates[0] + ("" if candidates[0].endswith("=") else " ")
        else:
            word = common_prefix(candidates)
            if len(word) <= cursor - start:          # nothing more to add: show the choices
                self.append(f"{PROMPT}{text}\n", "echo")
                self.append("  ".join(candidates) + "\n")
        new = text[:start] + word + text[cursor:]
        self.input.setText(new)
        self.input.setCursorPosition(start + len(word))

    # -- status -------------------------------------------------------------------------------------
    def _update_status(self) -> None:
        if self.running:
            keys = "Ctrl+D ends input, Ctrl+C stops it" if self.command.reads_input else "Ctrl+C stops it"
            paused = "" if self._bridge.running else " — virtual time is paused (Space resumes)"
            self.status.setText(f"{self.command.name} is running: {keys}{paused}")
            self.prompt_label.setText(self.command.prompt or " ")
        else:
            self.status.setText("Kafka CLI console — `help` lists the commands")
            self.prompt_label.setText(PROMPT)

    def focus_input(self) -> None:
        self.input.setFocus(Qt.FocusReason.ShortcutFocusReason)

