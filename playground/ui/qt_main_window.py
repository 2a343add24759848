"""The main window: time controls on top, the cluster canvas in the middle,
the produce panel on the right over the guarantees, consumers and producers panels (tabs),
the event log and the charts at the bottom (consumer lag and consume throughput, produce
throughput and latency, ISR sizes, ack latency by acks), and a status bar that tells what a
command did (or Kafka's reason for refusing it).

View ▸ Theme switches light and dark; View ▸ Presenter mode (F11, Ctrl+Shift+P) hides the
menus, the toolbar and the status bar, draws the canvas 1.5× larger and scales every panel's
fonts, in higher contrast — for a projector and the back of a classroom."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QEvent, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea,
                               QToolBar, QVBoxLayout, QWidget)

from playground.engine import Cluster, EventKind
from playground.storage import Journal

from .bridge import SimulationBridge, Timeline
from .qt_appearance import apply_to_application, scale_fonts, set_base_font
from .qt_broker_actions import BrokerActions
from .qt_canvas import ClusterCanvas
from .qt_console import KafkaConsole
from .qt_cluster_charts import AcksLatencyChart, ConsumeChart, IsrChart
from .qt_consumers import ConsumersPanel
from .qt_guarantees import GuaranteesPanel
from .qt_help import ShortcutsDialog
from .qt_lag_chart import LagChart
from .qt_messages import install_messages_dock, messages_action
from .qt_lesson_menu import LessonsController
from .qt_produce_chart import ProduceChart
from .qt_producers import ProducersPanel
from .qt_storage import StoragePanel
from .qt_panels import CreateTopicDialog, EventLogModel, EventLogView, ProducePanel, TimeControls
from .qt_timetravel import TimeTravel
from .qt_theme import (PRESENTER_SCALE, THEMES, apply_palette, current_theme, font, presenter_mode, status_style,
                       ui_scale)
from .qt_wire import KafkaListener
from .qt_workspace import AppSession, WorkspaceActions


class MainWindow(QMainWindow):
    def __init__(self, cluster: Cluster, timeline: Timeline | None = None, *, title: str = "built-in cluster",
                 running: bool = True, speed: float | None = None, journal: Journal | None = None,
                 session: AppSession | None = None, workspace_path: str | None = None,
                 time_travel: TimeTravel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Kafka Playground — {title}")
        kwargs = {} if speed is None else {"speed": speed}
        self.bridge = SimulationBridge(cluster, timeline, running=running, journal=journal, parent=self, **kwargs)
        self.bridge.failed.connect(self._on_failed)

        self.broker_actions = BrokerActions(self.bridge, self)
        self.canvas = ClusterCanvas(self.bridge, self.broker_actions)
        scroll = QScrollArea()
        scroll.setWidget(self.canvas)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setCentralWidget(scroll)

        self.time_controls = TimeControls(self.bridge)
        toolbar = QToolBar("Time")
        toolbar.setObjectName("time-toolbar")
        toolbar.setMovable(False)
        self._toolbar = toolbar
        toolbar.addWidget(self.time_controls)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

        self.produce_panel = ProducePanel(self.bridge)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.produce_panel)
        side_layout.addStretch(1)
        dock = QDockWidget("Produce", self)
        dock.setObjectName("produce-dock")
        dock.setWidget(side)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)   # closable: Ctrl+1 toggles it
        dock.setTitleBarWidget(QWidget())
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

        self.guarantees = GuaranteesPanel(self.bridge)
        guarantees_dock = QDockWidget("Guarantees (audit)", self)
        guarantees_dock.setObjectName("guarantees-dock")
        guarantees_scroll = QScrollArea()         # small windows scroll the panel rather than grow
        guarantees_scroll.setWidget(self.guarantees)
        guarantees_scroll.setWidgetResizable(True)
        guarantees_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        guarantees_dock.setWidget(guarantees_scroll)
        guarantees_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                                    | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, guarantees_dock)
        self.splitDockWidget(dock, guarantees_dock, Qt.Orientation.Vertical)
        self._guarantees_dock = guarantees_dock
        self.consumers_panel = ConsumersPanel(self.bridge)
        self._consumers_dock = self._scrolled_dock("Consumers", "consumers-dock", self.consumers_panel)
        self.tabifyDockWidget(guarantees_dock, self._consumers_dock)
        self.producers_panel = ProducersPanel(self.bridge)
        self._producers_dock = self._scrolled_dock("Producers", "producers-dock", self.producers_panel)
        self.tabifyDockWidget(self._consumers_dock, self._producers_dock)
        self.storage_panel = StoragePanel(self.bridge)
        self._storage_dock = self._scrolled_dock("Storage", "storage-dock", self.storage_panel)
        self.tabifyDockWidget(self._producers_dock, self._storage_dock)
        # Storage & transactions (Ctrl+8) joins the tabs for a scenario about them, or with the first
        # transaction: one more tab widens the right column, which the canvas pays for.
        self._storage_shown = _storage_scenario(cluster.view())
        self._storage_dock.setVisible(self._storage_shown)
        # A scenario that starts producers or consumers opens on their panel; otherwise the audit comes first.
        looping = any(p.rate is not None for p in cluster.view().producers().values())
        (self._storage_dock if self._storage_shown else self._producers_dock if looping
         else self._consumers_dock if cluster.view().consumers() else guarantees_dock).raise_()
        # The right column runs the full height; the event log sits under the canvas only.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        self._status = ("", False)
        self.status_label = QLabel("Click a broker (or press its number, 1–9) to kill, isolate or slow it.")
        self.status_label.setFont(font(13))
        self.statusBar().addWidget(self.status_label, 1)
        self.broker_actions.message.connect(self.show_status)
        self.consumers_panel.message.connect(self.show_status)
        self.producers_panel.message.connect(self.show_status)
        self.storage_panel.message.connect(self.show_status)
        self.canvas.consumer_clicked.connect(self._open_consumer_menu)
        self.kafka_listener = KafkaListener(cluster, self.bridge, parent=self)     # Brokers ▸ Listen for Kafka clients
        self.kafka_listener.status.connect(self._listener_status)
        self.listen_label = QLabel()            # the bootstrap address, kept in view while listening
        self.listen_label.setFont(font(13))
        self.listen_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.listen_label)
        self.canvas.external_clients = self.kafka_listener.clients
        self.canvas.external_members = self.kafka_listener.members

        self.event_model = EventLogModel(self.bridge, self)
        self.event_log = EventLogView(self.event_model)
        log_dock = QDockWidget("Events", self)
        log_dock.setObjectName("events-dock")
        log_dock.setWidget(self.event_log)
        log_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)   # closable: Ctrl+2 toggles it
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, log_dock)
        self.lag_chart = LagChart(self.bridge)
        lag_dock = QDockWidget("Consumer lag (records behind the high watermark) over virtual time (s)", self)
        lag_dock.setObjectName("lag-dock")
        lag_dock.setWidget(self.lag_chart)
        lag_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, lag_dock)
        self.splitDockWidget(log_dock, lag_dock, Qt.Orientation.Horizontal)
        self.produce_chart = ProduceChart(self.bridge)
        produce_dock = QDockWidget("Producers: throughput and ack latency over virtual time (s)", self)
        produce_dock.setObjectName("produce-chart-dock")
        produce_dock.setWidget(self.produce_chart)
        produce_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, produce_dock)
        self.splitDockWidget(lag_dock, produce_dock, Qt.Orientation.Horizontal)
        # The Kafka CLI console shares the event log's place under the canvas (a tab), hidden until asked for.
        self.console = KafkaConsole(self.bridge)
        console_dock = QDockWidget("Kafka CLI console", self)
        console_dock.setObjectName("console-dock")
        console_dock.setWidget(self.console)
        console_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                                 | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.tabifyDockWidget(log_dock, console_dock)
        console_dock.hide()
        log_dock.raise_()
        self._console_dock = console_dock
        self._log_dock, self._side_dock, self._lag_dock = log_dock, dock, lag_dock
        self._produce_dock = produce_dock
        self.consume_chart = ConsumeChart(self.bridge)
        self._consume_dock = self._chart_dock("Consumers: records polled per second of virtual time (s)",
                                              "consume-chart-dock", self.consume_chart)
        self.isr_chart = IsrChart(self.bridge)
        self._isr_dock = self._chart_dock("ISR sizes and under-replicated partitions over virtual time (s)",
                                          "isr-chart-dock", self.isr_chart)
        self.acks_chart = AcksLatencyChart(self.bridge)
        self._acks_dock = self._chart_dock("Produce latency by acks over virtual time (s)", "acks-chart-dock",
                                           self.acks_chart)
        # Tabified only once shown: tabifying hidden docks upsets the right column's split.
        for chart_dock, partner in ((self._consume_dock, lag_dock), (self._isr_dock, produce_dock),
                                    (self._acks_dock, produce_dock)):
            chart_dock.hide()
            chart_dock.visibilityChanged.connect(
                lambda visible, d=chart_dock, p=partner: self._tab_with(d, p) if visible else None)
        self._presenter_hidden: list[QWidget] = []
        # The charts appear with the first consumer / the first producer loop (once: closed by the
        # user, they stay closed).
        self._lag_shown = bool(cluster.view().consumers())
        lag_dock.setVisible(self._lag_shown)
        self._produce_chart_shown = looping
        produce_dock.setVisible(looping)
        self.bridge.events_emitted.connect(lambda events: [self._maybe_show_lag(e) for e in events])
        self.messages_panel, self._messages_dock = install_messages_dock(self)     # Ctrl+M
        self._docks_fitted = False
        self._consumer_menu = None
        self.event_log.scrollToBottom()

        self._build_actions()
        self.session = session if session is not None else AppSession()
        self.workspace = WorkspaceActions(self, self.session, workspace_path)
        self.workspace.build_menu()
        self.lessons = LessonsController(self)      # Lessons menu, File ▸ Demos, the lesson dock (Ctrl+Shift+L)
        # The timeline bar and Time ▸ travel actions; one TimeTravel serves every window it opens in turn.
        self.time_travel = time_travel if time_travel is not None else TimeTravel(self.bridge.journal)
        self.time_travel.attach(self)
        if presenter_mode():        # opened while presenting (time travel, File ▸ Open): that look, no chrome
            self._apply_appearance(current_theme(), True)
            self._show_chrome(False)

    def _chart_dock(self, title: str, name: str, chart: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(chart)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        return dock

    def _tab_with(self, dock: QDockWidget, partner: QDockWidget) -> None:
        """A chart dock shown for the first time joins its partner's tabs (or takes its place)."""
        if dock.property("placed"):
            return
        dock.setProperty("placed", True)
        if not partner.isHidden() and self.dockWidgetArea(partner) == self.dockWidgetArea(dock):
            self.tabifyDockWidget(partner, dock)
            dock.raise_()

    def _scrolled_dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        """A movable, closable dock whose panel scrolls in small windows rather than grows."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        dock.setWidget(scroll)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        return dock

    # -- menus and shortcuts -----------------------------------------------------------
    def _action(self, menu, text: str, slot, *keys, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        topic = bar.addMenu("&Topic")
        self.new_topic_action = self._action(topic, "New topic…", self.open_create_topic, "Ctrl+N")
        self._action(topic, "Send record(s)", self.produce_panel.send, "Ctrl+Return", "Ctrl+Enter")
        topic.addSeparator()
        self._action(topic, "Quit", self.close, "Ctrl+Q")
        time = bar.addMenu("T&ime")
        self.time_menu = time
        self._action(time, "Pause / resume", self.bridge.toggle, "Space")
        self._action(time, "Step to the next instant", self.bridge.step, "Right")
        self._action(time, "Faster", self.bridge.faster, "+", "=", Qt.KeyboardModifier.KeypadModifier | Qt.Key.Key_Plus)
        self._action(time, "Slower", self.bridge.slower, "-", Qt.KeyboardModifier.KeypadModifier | Qt.Key.Key_Minus)
        view = bar.addMenu("&View")
        for dock, key in ((self._side_dock, "Ctrl+1"), (self._log_dock, "Ctrl+2")):
            toggle = dock.toggleViewAction()            # presenter: give the canvas the whole window
            toggle.setShortcut(QKeySequence(key))
            view.addAction(toggle)
            self.addAction(toggle)
        for dock, key in ((self._guarantees_dock, "Ctrl+3"), (self._consumers_dock, "Ctrl+4"),
                          (self._lag_dock, "Ctrl+5"), (self._producers_dock, "Ctrl+6"),
                          (self._produce_dock, "Ctrl+7"), (self._storage_dock, "Ctrl+8"),
                          (self._consume_dock, "Ctrl+Shift+5"), (self._isr_dock, "Ctrl+9"),
                          (self._acks_dock, "Ctrl+0")):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(key))
            view.addAction(toggle)
            self.addAction(toggle)
        self.console_action = self._action(view, "Kafka CLI console", self.toggle_console, "Ctrl+`",
                                           checkable=True)
        self._console_dock.visibilityChanged.connect(self._console_visibility)
        self._storage_dock.toggleViewAction().setText("Storage and transactions")
        control = self._action(view, "Show chatter (metadata fetches, heartbeats, Raft fetches, "
                                     "__consumer_offsets replication)",
                               self.canvas.set_show_control_traffic, checkable=True)
        control.setChecked(False)
        view.addAction(messages_action(self, self._messages_dock))
        view.addSeparator()
        theme_menu = view.addMenu("Theme")
        themes = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in THEMES:
            act = self._action(theme_menu, f"{name.capitalize()} theme", lambda _=False, n=name: self.set_theme(n),
                               checkable=True)
            themes.addAction(act)
            self.theme_actions[name] = act
        self.theme_actions[current_theme()].setChecked(True)
        self.presenter_action = self._action(view, "Presenter mode (the canvas alone, 1.5× larger, high contrast)",
                                             lambda on: self.set_presenter(bool(on)), "F11", "Ctrl+Shift+P",
                                             checkable=True)
        self._build_broker_actions(bar)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts…", self.open_shortcuts, "F1", "?")

    def _build_broker_actions(self, bar) -> None:
        acts = self.broker_actions
        brokers = bar.addMenu("&Brokers")
        select = brokers.addMenu("Select broker")
        ids = acts.broker_ids()
        for i in range(1, 10):
            if i <= len(ids):
                self._action(select, f"Broker {ids[i - 1]}", lambda _=False, n=i: acts.select_index(n), str(i))
            else:                               # no such broker: the key says so instead of doing nothing
                extra = QAction(self)
                extra.setShortcut(QKeySequence(str(i)))
                extra.triggered.connect(lambda _=False, n=i: acts.select_index(n))
                self.addAction(extra)
        self._action(brokers, "Clear the selection", lambda: acts.select(None), "Esc")
        brokers.addSeparator()
        self._action(brokers, "Kill the selected broker", lambda: acts.kill(), "K")
        self._action(brokers, "Restart the selected broker", lambda: acts.restart(), "R")
        self._action(brokers, "Isolate the selected broker (clients still reach it)", lambda: acts.isolate(), "I")
        self._action(brokers, "Heal the selected broker's network", lambda: acts.heal(), "H")
        self._action(brokers, "Slow down the selected broker (0 → 500 ms → 2 s → 10 s)", lambda: acts.cycle_slow(),
                     "S")
        self._action(brokers, "Open the selected broker's menu", self._open_selected_menu, "M")
        brokers.addSeparator()
        self._action(brokers, "Kill the active controller", lambda: acts.kill_active_controller(), "C")
        brokers.addSeparator()
        self.listen_action = self._action(brokers, "Listen for Kafka clients (kcat, confluent-kafka, Java) on "
                                                   "127.0.0.1:9092…", self._set_listening, "Ctrl+Shift+K",
                                          checkable=True)

    def _set_listening(self, on: bool) -> None:
        self.listen_action.setChecked(self.kafka_listener.set_listening(bool(on)))

    def _listener_status(self, text: str, error: bool) -> None:
        self.show_status(text, error)
        if self.kafka_listener.listening:
            self.listen_label.setText(f"Kafka clients: bootstrap {self.kafka_listener.bootstrap}")
        self.listen_label.setVisible(self.kafka_listener.listening)

    def toggle_console(self) -> None:
        """Show the console (and put the cursor in it), or hide it when it is already in use."""
        dock = self._console_dock
        if dock.isVisible() and self.console.input.hasFocus():
            dock.hide()
            return
        dock.show()
        dock.raise_()
        self.resizeDocks([dock], [max(260, int(self.height() * 0.35))], Qt.Orientation.Vertical)
        self.console.focus_input()

    def _console_visibility(self, visible: bool) -> None:
        self.console_action.setChecked(self._console_dock.isVisible() if visible else False)

    # -- theme and presenter mode --------------------------------------------------------------
    @property
    def theme(self) -> str:
        return current_theme()

    @property
    def presenter(self) -> bool:
        return presenter_mode()

    def set_theme(self, name: str) -> None:
        """Switch to the "light" or "dark" theme (raises ValueError for another name)."""
        self._apply_appearance(name, presenter_mode())

    def set_presenter(self, on: bool) -> None:
        """Presenter mode on or off: menus, toolbar and status bar hidden; the canvas 1.5× larger;
        every panel's fonts 1.5×; quiet colours made louder. The shortcuts keep working."""
        self._apply_appearance(current_theme(), on)

    def _apply_appearance(self, theme: str, presenter: bool) -> None:
        was_presenter = presenter_mode()
        apply_palette(theme, presenter)
        app = QApplication.instance()
        if app is not None:
            apply_to_application(app, ui_scale())
        scale_fonts(self, ui_scale())
        self.canvas.set_zoom(PRESENTER_SCALE if presenter else 1.0)
        self.resizeDocks([self._side_dock], [round(340 * ui_scale())], Qt.Orientation.Horizontal)
        if presenter != was_presenter:
            self._show_chrome(not presenter)
        for act_name, act in self.theme_actions.items():
            act.setChecked(act_name == theme)
        self.presenter_action.setChecked(presenter)
        self.event_model.apply_appearance()
        for w in self.findChildren(QWidget):
            restyle = getattr(w, "apply_appearance", None)
            if callable(restyle):
                restyle()
        if self._status[0]:
            self.show_status(*self._status)
        self.canvas.update()

    def _show_chrome(self, show: bool) -> None:
        """Presenter mode gives the canvas the whole window: menus, toolbar, status bar and the docks
        go, and come back as they were. The docks' shortcuts (Ctrl+1 … Ctrl+0) still bring one back."""
        if not show:
            chrome = [self.menuBar(), self._toolbar, self.statusBar(), *self.findChildren(QDockWidget)]
            self._presenter_hidden = [w for w in chrome if not w.isHidden()]
            for w in self._presenter_hidden:
                w.hide()
        else:
            for w in self._presenter_hidden:
                w.show()
            self._presenter_hidden = []
            self._fit_bottom_docks()

    def _maybe_show_lag(self, event) -> None:
        if not self._lag_shown and event.kind == EventKind.CONSUMER_STARTED:
            self._lag_shown = True
            self._reveal(self._lag_dock)
            self._reveal(self._consume_dock)
            self._lag_dock.raise_()
            self._fit_bottom_docks()
        elif not self._storage_shown and event.kind == EventKind.TXN_BEGUN:
            self._storage_shown = True
            self._storage_dock.show()
        elif not self._produce_chart_shown and event.kind == EventKind.PRODUCER_STARTED:
            self._produce_chart_shown = True
            self._reveal(self._produce_dock)
            self._fit_bottom_docks()

    def _reveal(self, dock: QDockWidget) -> None:
        """Show a chart that has something to say; in presenter mode, once presenter mode ends."""
        if not presenter_mode():
            dock.show()
        elif dock not in self._presenter_hidden:
            self._presenter_hidden.append(dock)

    def _fit_bottom_docks(self) -> None:
        """The event log and the visible charts share the width under the canvas."""
        docks = [d for d in (self._log_dock, self._lag_dock, self._produce_dock) if not d.isHidden()]
        if not docks:
            return
        share = int(self.width() * 0.8 / len(docks))
        self.resizeDocks(docks, [share] * len(docks), Qt.Orientation.Horizontal)

    def _open_consumer_menu(self, name: str, where) -> None:
        if self._consumer_menu is not None:
            self._consumer_menu.deleteLater()
        self._consumer_menu = self.consumers_panel.consumer_menu(name, self)
        self._consumer_menu.popup(where)

    def _open_selected_menu(self) -> None:
        if self.broker_actions.selected is None:
            self.show_status("Select a broker first: press its number key or click it.", True)
            return
        self.canvas.open_menu(self.broker_actions.selected)

    def show_status(self, text: str, error: bool = False) -> None:
        """One line at the bottom: what a command did, or Kafka's error name and sentence in red."""
        self._status = (text, error)
        self.status_label.setStyleSheet(status_style(error))
        self.status_label.setText(text)

    def open_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self.menuBar(), self)
        dialog.open()
        return dialog

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._docks_fitted:                      # the canvas gets most of any window size
            self._docks_fitted = True
            self.resizeDocks([self._log_dock], [max(110, int(self.height() * 0.17))], Qt.Orientation.Vertical)
            if self._lag_shown:                         # a scenario that starts with consumers
                self._reveal(self._consume_dock)
                self._lag_dock.raise_()
            self._fit_bottom_docks()
            self.resizeDocks([self._side_dock], [340 if self.width() >= 1500 else 290],
                             Qt.Orientation.Horizontal)
            # The produce form takes what it needs; the audit and the other panels get the rest.
            self.resizeDocks([self._side_dock], [self._side_dock.minimumSizeHint().height() + 20],
                             Qt.Orientation.Vertical)

    def open_create_topic(self) -> CreateTopicDialog:
        dialog = CreateTopicDialog(self.bridge, self)
        set_base_font(dialog, 12, ui_scale())
        dialog.open()
        return dialog

    def _on_failed(self, trace: str) -> None:
        QMessageBox.critical(self, "A scenario step failed", trace)

    def restore_dock_state(self, state) -> bool:
        """The docks as the user left them (QSettings), instead of the first-show fitting."""
        self._docks_fitted = self.restoreState(state)
        return self._docks_fitted

    def event(self, e) -> bool:
        if e.type() != QEvent.Type.UpdateRequest:
            return super().event(e)
        clock = QElapsedTimer()                 # the repaint of every widget that asked: a frame's cost
        clock.start()
        handled = super().event(e)
        self.bridge.painted(clock.nsecsElapsed() / 1e6)
        return handled

    def closeEvent(self, event) -> None:
        if not self.workspace.replaced:
            self.session.save_layout(self)
            self.workspace.autosave()
        self.kafka_listener.stop()
        self.bridge.close()
        super().closeEvent(event)


def _storage_scenario(view) -> bool:
    """A scenario about storage or transactions (a topic with storage settings, a transactional producer)
    opens on the Storage & transactions panel."""
    from .storage_model import STORAGE_SETTINGS
    if any(k in view.topic_configs(t) for t in view.topic_names(include_internal=False) for k in STORAGE_SETTINGS):
        return True
    return any(view.producer_config(name).get("transactional.id") for name in view.producers())
