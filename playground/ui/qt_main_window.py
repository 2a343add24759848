"""The main window: time controls on top, the cluster canvas in the middle,
the produce panel on the right and the event log at the bottom."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QMainWindow, QMessageBox, QScrollArea, QToolBar, QVBoxLayout,
                               QWidget)

from playground.engine import Cluster

from .bridge import SimulationBridge, Timeline
from .qt_canvas import ClusterCanvas
from .qt_panels import CreateTopicDialog, EventLogModel, EventLogView, ProducePanel, TimeControls
from .qt_theme import font


class MainWindow(QMainWindow):
    def __init__(self, cluster: Cluster, timeline: Timeline | None = None, *, title: str = "built-in cluster",
                 running: bool = True, speed: float | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Kafka Playground — {title}")
        kwargs = {} if speed is None else {"speed": speed}
        self.bridge = SimulationBridge(cluster, timeline, running=running, parent=self, **kwargs)
        self.bridge.failed.connect(self._on_failed)

        self.canvas = ClusterCanvas(self.bridge)
        scroll = QScrollArea()
        scroll.setWidget(self.canvas)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setCentralWidget(scroll)

        self.time_controls = TimeControls(self.bridge)
        toolbar = QToolBar("Time")
        toolbar.setMovable(False)
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
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        dock.setTitleBarWidget(QWidget())
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

        self.event_model = EventLogModel(self.bridge, self)
        self.event_log = EventLogView(self.event_model)
        log_dock = QDockWidget("Events", self)
        log_dock.setObjectName("events-dock")
        log_dock.setWidget(self.event_log)
        log_dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, log_dock)
        self._log_dock, self._side_dock = log_dock, dock
        self._docks_fitted = False
        self.event_log.scrollToBottom()

        self._build_actions()

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
        control = self._action(view, "Show controller metadata fetches", self.canvas.set_show_control_traffic,
                               checkable=True)
        control.setChecked(False)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._docks_fitted:                      # the canvas gets most of any window size
            self._docks_fitted = True
            self.resizeDocks([self._log_dock], [max(110, int(self.height() * 0.2))], Qt.Orientation.Vertical)
            self.resizeDocks([self._side_dock], [340 if self.width() >= 1500 else 290],
                             Qt.Orientation.Horizontal)

    def open_create_topic(self) -> CreateTopicDialog:
        dialog = CreateTopicDialog(self.bridge, self)
        dialog.setFont(font(12))
        dialog.open()
        return dialog

    def _on_failed(self, trace: str) -> None:
        QMessageBox.critical(self, "A scenario step failed", trace)

    def closeEvent(self, event) -> None:
        self.bridge.close()
        super().closeEvent(event)
