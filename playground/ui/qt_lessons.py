"""The lesson panel (a dock, Ctrl+Shift+L): the current step, live check feedback, hints, predictions.

Three pages: the list of lessons (start or resume one), a lesson being
worked through, and the teacher's note of an open demo. In a lesson the
panel shows the explanation first, then one step at a time: its text, its
checks ticking as the engine's state and events satisfy them, hints on
demand, and for a prediction the choices, which lock once committed; the
playground then runs the step and reveals the answer with its reason.
Steps are done in order; Previous re-reads earlier ones. Progress is saved
after each step (playground.lessons.ProgressStore), so a lesson resumes
where it was left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QButtonGroup, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QPushButton, QScrollArea, QStackedWidget, QTextBrowser, QVBoxLayout,
                               QWidget)

from playground.lessons import CheckResult, Demo, Lesson, LessonProgress, LessonSession

from .qt_lesson_parts import ChoiceRow, wrapped_label
from .qt_theme import font

if TYPE_CHECKING:
    from .qt_lesson_menu import LessonsController

EVAL_INTERVAL_MS = 250          # real ms between check evaluations while the clock moves
REVEAL_GRACE_MS = 10_000        # virtual ms after a prediction's run before the answer is shown anyway


class LessonPanel(QWidget):
    step_completed = Signal(int)            # a step's checks all passed (its 0-based index)

    def __init__(self, controller: "LessonsController", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.session: LessonSession | None = None
        self.progress: LessonProgress | None = None
        self.page = 0
        self.results: list[CheckResult] = []
        self._run_end: int | None = None        # a committed prediction's run: due by this virtual time
        self._revealed: set[int] = set()
        self._shown: set[int] = set()           # steps whose reference solution "Show me" already scheduled
        self._eval_key: tuple | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_picker())
        self.stack.addWidget(self._build_lesson())
        self.stack.addWidget(self._build_demo())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.stack)
        self._timer = QTimer(self)
        self._timer.setInterval(EVAL_INTERVAL_MS)
        self._timer.timeout.connect(self.tick)

    # -- pages ---------------------------------------------------------------------------------
    def _build_picker(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(wrapped_label("Lessons", 15, bold=True))
        v.addWidget(wrapped_label("Each lesson sets up a cluster and walks you through it, one step at a time. The "
                           "playground checks your work on the cluster itself.", 11))
        self.lesson_list = QListWidget()
        self.lesson_list.setFont(font(12))
        self.lesson_list.itemDoubleClicked.connect(lambda _item: self.start_selected())
        v.addWidget(self.lesson_list, 1)
        row = QHBoxLayout()
        self.start_button = QPushButton("Start or resume")
        self.start_button.clicked.connect(self.start_selected)
        self.restart_selected_button = QPushButton("Start over")
        self.restart_selected_button.clicked.connect(lambda: self.start_selected(restart=True))
        row.addWidget(self.start_button)
        row.addWidget(self.restart_selected_button)
        v.addLayout(row)
        self.picker_error = wrapped_label("", 11)
        self.picker_error.setStyleSheet("color: #c62828;")
        v.addWidget(self.picker_error)
        return page

    def _build_lesson(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        self.title_label = wrapped_label("", 14, bold=True)
        self.where_label = wrapped_label("", 11)
        outer.addWidget(self.title_label)
        outer.addWidget(self.where_label)
        # The step scrolls; the buttons under it stay in view.
        body = QWidget()
        v = QVBoxLayout(body)
        v.setContentsMargins(0, 0, 4, 0)
        self.text = QLabel()
        self.text.setFont(font(12))
        self.text.setTextFormat(Qt.TextFormat.MarkdownText)
        self.text.setWordWrap(True)
        self.text.setOpenExternalLinks(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        v.addWidget(self.text)

        self.predict_box = QGroupBox("Your prediction")
        pv = QVBoxLayout(self.predict_box)
        self.question_label = wrapped_label("", 12, bold=True)
        pv.addWidget(self.question_label)
        self.choice_group = QButtonGroup(self)
        self._choice_rows: list[ChoiceRow] = []
        self.choices_layout = QVBoxLayout()
        pv.addLayout(self.choices_layout)
        self.commit_button = QPushButton("Commit to this prediction and run it")
        self.commit_button.clicked.connect(self.commit_prediction)
        pv.addWidget(self.commit_button)
        self.reveal_label = wrapped_label("", 12)
        pv.addWidget(self.reveal_label)
        v.addWidget(self.predict_box)

        self.checks_box = QGroupBox("Checks")
        self.checks_layout = QVBoxLayout(self.checks_box)
        self.check_labels: list[QLabel] = []
        v.addWidget(self.checks_box)
        self.hint_label = wrapped_label("", 11)
        self.hint_label.setStyleSheet("color: #5d4037;")
        v.addWidget(self.hint_label)
        v.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)     # text wraps instead
        self.body_scroll = scroll
        outer.addWidget(scroll, 1)
        v = outer

        row, row_b = QHBoxLayout(), QHBoxLayout()
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.clicked.connect(self.go_previous)
        self.hint_button = QPushButton("Hint")
        self.hint_button.clicked.connect(self.show_hint)
        self.show_me_button = QPushButton("Show me")
        self.show_me_button.setToolTip("The playground does this step for you (its reference solution)")
        self.show_me_button.clicked.connect(self.show_me)
        self.next_button = QPushButton("Next ▶")
        self.next_button.clicked.connect(self.go_next)
        for b in (self.hint_button, self.show_me_button):
            row.addWidget(b)
        for b in (self.previous_button, self.next_button):
            row_b.addWidget(b)
        v.addLayout(row)
        v.addLayout(row_b)
        row2 = QHBoxLayout()
        self.restart_button = QPushButton("Restart lesson")
        self.restart_button.clicked.connect(self.restart)
        self.back_button = QPushButton("All lessons")
        self.back_button.clicked.connect(self.show_picker)
        row2.addWidget(self.restart_button)
        row2.addWidget(self.back_button)
        v.addLayout(row2)
        return page

    def _build_demo(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        self.demo_title = wrapped_label("", 14, bold=True)
        v.addWidget(self.demo_title)
        v.addWidget(wrapped_label("Teacher's note", 11, bold=True))
        self.demo_note = QTextBrowser()
        self.demo_note.setFont(font(12))
        v.addWidget(self.demo_note, 1)
        v.addWidget(wrapped_label("Press Space to run or pause the demo; + and − change the speed.", 11))
        back = QPushButton("All lessons")
        back.clicked.connect(self.show_picker)
        v.addWidget(back)
        return page

    # -- the list of lessons -----------------------------------------------------------------------
    def show_picker(self) -> None:
        self.stack.setCurrentIndex(0)
        self.refresh_picker()

    def refresh_picker(self) -> None:
        self.lesson_list.clear()
        lessons, error = self.controller.lessons_or_error()
        self.picker_error.setText(error or "")
        saved = self.controller.progress_all() if lessons else {}
        for lesson in lessons:
            p = saved.get(lesson.id)
            status = ("✓ done" if p.finished else f"step {min(p.steps_done() + 1, len(lesson.steps))} of "
                      f"{len(lesson.steps)}") if p else f"{len(lesson.steps)} steps"
            item = QListWidgetItem(f"{lesson.title}  —  {status}")
            item.setData(Qt.ItemDataRole.UserRole, lesson.id)
            item.setToolTip(lesson.goal)
            self.lesson_list.addItem(item)
        if self.lesson_list.count():
            self.lesson_list.setCurrentRow(0)

    def start_selected(self, restart: bool = False) -> None:
        item = self.lesson_list.currentItem()
        if item is not None:
            self.controller.start_lesson(item.data(Qt.ItemDataRole.UserRole), restart=restart)

    def show_demo(self, demo: Demo) -> None:
        self.demo_title.setText(demo.title)
        self.demo_note.setMarkdown(demo.note)
        self.stack.setCurrentIndex(2)

    # -- a lesson ----------------------------------------------------------------------------------
    @property
    def lesson(self) -> Lesson | None:
        return self.session.lesson if self.session else None

    @property
    def frontier(self) -> int:
        """The index of the first step not done yet (len(steps) when all are done)."""
        return len(self.progress.completed) if self.progress else 0

    def attach(self, session: LessonSession, progress: LessonProgress) -> None:
        """Work through `session`'s lesson, resuming at `progress` (the session has been fast-forwarded)."""
        self.session, self.progress = session, progress
        self._revealed = set(progress.completed)
        self._shown = set()
        self._run_end = None
        self.results = []
        self.page = self.frontier + 1 if progress.completed or progress.page > 0 else 0
        self.stack.setCurrentIndex(1)
        self._timer.start()
        self.show_page(self.page)

    def detach(self) -> None:
        self._timer.stop()
        if self.session is not None:
            self.session.cancel_scheduled()
        self.session = None

    def step_index(self) -> int | None:
        """The step shown (0-based), or None on the explanation and the final page."""
        n = len(self.lesson.steps) if self.lesson else 0
        return self.page - 1 if 1 <= self.page <= n else None

    def show_page(self, page: int) -> None:
        lesson = self.lesson
        n = len(lesson.steps)
        self.page = max(0, min(page, self.frontier + 1, n + 1))
        self.body_scroll.verticalScrollBar().setValue(0)
        i = self.step_index()
        self.title_label.setText(lesson.title)
        self.hint_label.setText("")
        if i is None:
            self.where_label.setText("Introduction" if self.page == 0 else "Lesson complete")
            self.text.setText(f"**Goal:** {lesson.goal}\n\n{lesson.intro}" if self.page == 0 else self._summary())
            self.predict_box.hide()
            self.checks_box.hide()
            self.controller.highlight(None)
        else:
            step = lesson.steps[i]
            kind = "predict, then watch" if step.is_prediction else "your turn"
            self.where_label.setText(f"Step {i + 1} of {n} · {kind}")
            self.text.setText(f"### {step.title}\n\n{step.text}")
            self._show_prediction(i)
            self.checks_box.show()
            self.controller.highlight(step.look_at)
            if i == self.frontier:
                if self.session.index != i:
                    self.session.begin_step(i)
                if step.speed is not None:
                    self.controller.set_speed(step.speed)
                if step.is_prediction and self._run_end is None:
                    # The world waits while the learner thinks: nothing may happen before the commit.
                    self.controller.pause_time()
                elif not step.is_prediction and i not in self.progress.completed:
                    self.controller.resume_time()       # your turn: the cluster runs while you act
                self.results = []
                self._eval_key = None
                self.evaluate(force=True)
            else:
                self._show_checks(None)
        self._update_buttons()

    def _show_prediction(self, i: int) -> None:
        step = self.lesson.steps[i]
        if not step.is_prediction:
            self.predict_box.hide()
            return
        pred = step.prediction
        self.predict_box.show()
        self.question_label.setText(pred.question)
        for button in self.choice_group.buttons():
            self.choice_group.removeButton(button)
            button.setParent(None)
            button.deleteLater()
        committed = self.progress.predictions.get(i) if (i in self.progress.completed
                                                         or self._run_end is not None) else None
        for row in self._choice_rows:
            row.setParent(None)
            row.deleteLater()
        self._choice_rows = []
        for k, choice in enumerate(pred.choices):
            row = ChoiceRow(choice)
            self._choice_rows.append(row)
            self.choice_group.addButton(row.radio, k)
            self.choices_layout.addWidget(row)
            if choice == (committed or self.progress.predictions.get(i)):
                row.radio.setChecked(True)
        locked = committed is not None or i != self.frontier
        for radio in self.choice_group.buttons():
            radio.setEnabled(not locked)
        self.commit_button.setEnabled(not locked)
        self.reveal_label.setText(self._reveal_text(i) if i in self._revealed else
                                  ("Running… watch the cluster." if self._run_end is not None else ""))

    def _reveal_text(self, i: int, warning: str = "") -> str:
        pred = self.lesson.steps[i].prediction
        chosen = self.progress.predictions.get(i)
        verdict = ("✓ You predicted it." if chosen == pred.answer else
                   f"✗ You predicted “{chosen}”." if chosen else "")
        return f"{verdict} Answer: {pred.answer}.\n\nWhy: {pred.why}{warning}".strip()

    def _show_checks(self, results: list[CheckResult] | None) -> None:
        """One line per check of the shown step: ✓ or ○, the sentence, and what the cluster shows now."""
        i = self.step_index()
        checks = self.lesson.steps[i].checks if i is not None else ()
        while len(self.check_labels) > len(checks):
            label = self.check_labels.pop()
            label.setParent(None)
            label.deleteLater()
        while len(self.check_labels) < len(checks):
            self.check_labels.append(wrapped_label("", 11))
            self.checks_layout.addWidget(self.check_labels[-1])
        done = i is not None and i in self.progress.completed
        for k, check in enumerate(checks):
            r = results[k] if results else None
            ok = done or (r is not None and r.ok)
            line = f"{'✓' if ok else '○'}  {check.says}"
            if r is not None and not done:
                line += f"\n      now: {r.actual}"
            label = self.check_labels[k]
            label.setText(line)
            label.setStyleSheet("color: #1b5e20;" if ok else "color: #37474f;")

    def _summary(self) -> str:
        lesson = self.lesson
        lines = [f"**You finished “{lesson.title}”.**", ""]
        for i, step in enumerate(lesson.steps):
            mark = "✓" if i in self.progress.completed else "○"
            extra = ""
            if step.is_prediction and i in self.progress.predictions:
                right = self.progress.predictions[i] == step.prediction.answer
                extra = " — prediction right" if right else " — prediction missed"
            lines.append(f"- {mark} {step.title}{extra}")
        lines += ["", "Pick another lesson with **All lessons**, or **Restart lesson** to do it again."]
        return "\n".join(lines)

    def _update_buttons(self) -> None:
        i = self.step_index()
        n = len(self.lesson.steps)
        at_frontier = i is not None and i == self.frontier
        self.previous_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(self.page == 0 or (i is not None and i in self.progress.completed))
        self.next_button.setText("Finish ✓" if i == n - 1 else "Next ▶")
        step = self.lesson.steps[i] if i is not None else None
        self.show_me_button.setVisible(step is not None and not step.is_prediction)
        self.show_me_button.setEnabled(at_frontier and step is not None and not step.is_prediction
                                       and i not in self._shown)
        hints = len(step.hints) if step else 0
        shown = self.progress.hints_shown.get(i, 0) if i is not None else 0
        self.hint_button.setEnabled(at_frontier and shown < hints)
        self.hint_button.setText(f"Hint ({hints - shown} left)" if hints else "No hints")
        if i is not None and shown:
            self.hint_label.setText("\n".join(f"Hint: {h}" for h in step.hints[:shown]))

    # -- actions -----------------------------------------------------------------------------------
    def go_next(self) -> None:
        if self.next_button.isEnabled():
            self.show_page(self.page + 1)

    def go_previous(self) -> None:
        if self.page > 0:
            self.show_page(self.page - 1)

    def show_hint(self) -> None:
        i = self.step_index()
        if i is None or i != self.frontier:
            return
        step = self.lesson.steps[i]
        shown = self.progress.hints_shown.get(i, 0)
        if shown < len(step.hints):
            self.progress.hints_shown[i] = shown + 1
            self.controller.save_progress(self.progress)
        self._update_buttons()

    def show_me(self) -> None:
        """Apply the step's reference solution on the live cluster, as time passes."""
        i = self.step_index()
        if i is None or i != self.frontier or self.lesson.steps[i].is_prediction or i in self._shown:
            return
        self._shown.add(i)              # once: a second copy of the solution would do it twice
        self.show_me_button.setEnabled(False)
        self.controller.schedule_reference(i)          # journalled: a saved or rewound cluster has it too
        self.controller.resume_time()
        self.controller.status(f"The playground does step {i + 1} for you: watch the cluster.")

    def commit_prediction(self) -> None:
        i = self.step_index()
        chosen = self.choice_group.checkedButton()
        if i is None or i != self.frontier or chosen is None:
            if chosen is None:
                self.reveal_label.setText("Pick one answer first.")
            return
        self.progress.predictions[i] = chosen.property("choice")
        self.controller.save_progress(self.progress)
        self._run_end = self.controller.schedule_reference(i)
        self.controller.resume_time()
        self._show_prediction(i)

    def restart(self) -> None:
        if self.lesson is not None:
            self.controller.start_lesson(self.lesson.id, restart=True)

    # -- live checks -------------------------------------------------------------------------------
    def tick(self) -> None:
        self.evaluate()

    def evaluate(self, force: bool = False) -> list[CheckResult]:
        """Check the frontier step against the cluster now (skipped when nothing changed)."""
        i = self.step_index()
        if self.session is None or i is None or i != self.frontier:
            return self.results
        step = self.lesson.steps[i]
        cluster = self.session.cluster
        key = (cluster.now, len(cluster.events.history))
        if key == self._eval_key and not force:
            return self.results
        self._eval_key = key
        self.results = self.session.evaluate()
        passed = all(r.ok for r in self.results)
        if step.is_prediction:
            if self._run_end is None:
                passed = False          # nothing counts before the learner commits
            elif passed or cluster.now >= self._run_end + REVEAL_GRACE_MS:
                warning = "" if passed else ("\n\nThe cluster did not end as the lesson expected (did something "
                                             "else change it?). Restart the lesson for a clean run.")
                self._revealed.add(i)
                self.reveal_label.setText(self._reveal_text(i, warning))
                self.controller.pause_time()     # read the answer before the cluster moves on
                passed = True
        self._show_checks(self.results)
        if passed:
            self._complete(i)
        return self.results

    def _complete(self, i: int) -> None:
        self.progress.completed.add(i)
        self._run_end = None
        n = len(self.lesson.steps)
        self.progress.page = i + 2
        self.progress.finished = len(self.progress.completed) == n
        self.controller.save_progress(self.progress)
        if i + 1 < n:
            self.session.begin_step(i + 1)
        self._show_checks(self.results)
        self._update_buttons()
        self.controller.status(f"Step {i + 1} done: {self.lesson.steps[i].title}. Press Next ▶.")
        self.step_completed.emit(i)
