"""Faults the user can cause: kill, restart, isolate, heal and slow a broker; kill or restart a controller.

`BrokerActions` holds the selected broker (number keys 1-9, or a click) and
turns menu choices and key presses into bridge commands. Kafka's refusals
(`KafkaError`) come back as a message with Kafka's error name and sentence;
the engine has changed nothing in that case.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from playground.engine import KafkaError

from .canvas_model import format_delay
from .commands import SLOW_CHOICES
from .qt_theme import font

KILL, RESTART, ISOLATE, HEAL, SLOW = "kill", "restart", "isolate", "heal", "slow"


def slow_label(ms: int) -> str:
    return "Full speed (no delay)" if ms == 0 else f"+{format_delay(ms)} after each fetch"


class BrokerActions(QObject):
    message = Signal(str, bool)             # text, is_error
    selection_changed = Signal(object)      # a broker id, or None

    def __init__(self, bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._selected: int | None = None

    # -- selection ---------------------------------------------------------------------
    @property
    def selected(self) -> int | None:
        return self._selected

    def broker_ids(self) -> list[int]:
        return [b.broker_id for b in self._bridge.view().brokers()]

    def select(self, broker_id: int | None) -> None:
        if broker_id != self._selected:
            self._selected = broker_id
            self.selection_changed.emit(broker_id)

    def select_index(self, n: int) -> None:
        """Select the n-th broker (1-based), as the number keys do."""
        ids = self.broker_ids()
        if not 1 <= n <= len(ids):
            self.message.emit(f"There is no broker number {n}: keys 1–{len(ids)} select brokers "
                              f"{', '.join(map(str, ids))}.", True)
            return
        self.select(ids[n - 1])
        self.message.emit(f"Broker {ids[n - 1]} selected: K kill · R restart · I isolate · H heal · "
                          "S slow down · Esc deselect.", False)

    def _target(self, broker_id: int | None) -> int | None:
        if broker_id is not None:
            return broker_id
        if self._selected is None:
            n = len(self.broker_ids())
            self.message.emit(f"Select a broker first: press its number key (1–{min(n, 9)}) or click it.", True)
        return self._selected

    # -- commands --------------------------------------------------------------------------
    def _run(self, command: Callable[[], object], done: str) -> bool:
        try:
            command()
        except KafkaError as exc:
            self.message.emit(f"{exc.error.name}: {exc.message}", True)
            return False
        self.message.emit(done, False)
        return True

    def kill(self, broker_id: int | None = None) -> bool:
        b = self._target(broker_id)
        return b is not None and self._run(
            lambda: self._bridge.kill_broker(b),
            f"Killed broker {b}. The controller fences it after broker.session.timeout.ms without heartbeats.")

    def restart(self, broker_id: int | None = None) -> bool:
        b = self._target(broker_id)
        return b is not None and self._run(lambda: self._bridge.restart_broker(b),
                                           f"Restarted broker {b} with its old log.")

    def isolate(self, broker_id: int | None = None) -> bool:
        b = self._target(broker_id)
        return b is not None and self._run(
            lambda: self._bridge.isolate_broker(b),
            f"Isolated broker {b} from the other brokers and the controller; clients can still reach it.")

    def heal(self, broker_id: int | None = None) -> bool:
        b = self._target(broker_id)
        return b is not None and self._run(lambda: self._bridge.heal(b), f"Healed broker {b}'s network.")

    def slow(self, broker_id: int | None, delay_ms: int) -> bool:
        b = self._target(broker_id)
        done = (f"Broker {b} now waits {format_delay(delay_ms)} after each fetch response." if delay_ms
                else f"Broker {b} fetches at full speed again.")
        return b is not None and self._run(lambda: self._bridge.slow_broker(b, delay_ms), done)

    def cycle_slow(self, broker_id: int | None = None) -> bool:
        """The S key: full speed → 500 ms → 2 s → 10 s → full speed."""
        b = self._target(broker_id)
        if b is None:
            return False
        current = self._delay(b)
        later = [d for d in SLOW_CHOICES if d > current]
        return self.slow(b, later[0] if later else SLOW_CHOICES[0])

    def _delay(self, broker_id: int) -> int:
        for b in self._bridge.view().brokers():
            if b.broker_id == broker_id:
                return int(getattr(b, "replication_delay", 0) or 0)
        return 0

    def kill_controller_node(self, node_id: int) -> bool:
        return self._run(lambda: self._bridge.kill_broker(node_id),
                         f"Killed controller {node_id}. The other voters notice when their fetches go unanswered.")

    def restart_controller_node(self, node_id: int) -> bool:
        return self._run(lambda: self._bridge.restart_broker(node_id), f"Restarted controller {node_id}.")

    def kill_active_controller(self) -> bool:
        killed: list[int] = []
        ok = self._run(lambda: killed.append(self._bridge.kill_controller()), "")
        if ok:
            self.message.emit(f"Killed the active controller {killed[0]}: watch the quorum elect a new one.", False)
        return ok

    # -- menus -----------------------------------------------------------------------------
    def broker_menu(self, broker_id: int, parent: QWidget | None = None) -> QMenu:
        """Kill / Restart / Isolate / Heal / Slow down for one broker; choices carry their kind in `data()`."""
        view = self._bridge.view()
        b = next((x for x in view.brokers() if x.broker_id == broker_id), None)
        menu = QMenu(parent)
        menu.setFont(font(13))
        state = "unknown" if b is None else ("dead" if not b.alive else "isolated" if b.isolated
                                             else "fenced" if b.fenced else "alive")
        title = menu.addAction(f"Broker {broker_id} — {state}")
        title.setEnabled(False)
        menu.addSeparator()

        def add(text: str, kind: str, slot, key: str) -> QAction:
            action = menu.addAction(f"{text}\t{key}")
            action.setData(kind)
            action.triggered.connect(slot)
            return action

        add(f"Kill broker {broker_id}", KILL, lambda: self.kill(broker_id), "K")
        add(f"Restart broker {broker_id}", RESTART, lambda: self.restart(broker_id), "R")
        menu.addSeparator()
        add("Isolate (cut from brokers and controller)", ISOLATE, lambda: self.isolate(broker_id), "I")
        add("Heal network", HEAL, lambda: self.heal(broker_id), "H")
        menu.addSeparator()
        slow = menu.addMenu("Slow down replication\tS")
        slow.setFont(font(13))
        group = QActionGroup(slow)
        current = self._delay(broker_id)
        for delay in SLOW_CHOICES:
            action = slow.addAction(slow_label(delay))
            action.setCheckable(True)
            action.setChecked(delay == current)
            action.setData(f"{SLOW}:{delay}")
            action.triggered.connect(lambda _=False, d=delay: self.slow(broker_id, d))
            group.addAction(action)
        return menu

    def controller_menu(self, node_id: int, parent: QWidget | None = None) -> QMenu:
        menu = QMenu(parent)
        menu.setFont(font(13))
        title = menu.addAction(f"Controller {node_id}")
        title.setEnabled(False)
        menu.addSeparator()
        kill = menu.addAction(f"Kill controller {node_id}")
        kill.setData(KILL)
        kill.triggered.connect(lambda: self.kill_controller_node(node_id))
        restart = menu.addAction(f"Restart controller {node_id}")
        restart.setData(RESTART)
        restart.triggered.connect(lambda: self.restart_controller_node(node_id))
        return menu


def menu_action(menu: QMenu, kind: str) -> QAction | None:
    """The action of `menu` (or of its submenus) whose data is `kind` (tests, scripted demos)."""
    for action in menu.actions():
        if action.data() == kind:
            return action
        if action.menu() is not None:
            found = menu_action(action.menu(), kind)
            if found is not None:
                return found
    return None
