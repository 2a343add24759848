"""A frame's wall-clock budget for the engine, and how fast virtual time really moves (no Qt).

A 60 Hz screen shows a frame every 16.7 ms. In that time the bridge runs the engine, the
views fold what happened, and the window repaints. `FrameBudget` measures what the views
and the repaint took in recent frames and gives the engine what is left of TARGET_MS (at
least MIN_ENGINE_MS, so that the simulation always moves, and at most MAX_ENGINE_MS).
While the simulation is behind, every other frame is quiet: not painted, the engine's alone.

Some views have heavy work that need not happen every frame (the canvas's whole picture, a
chart's repaint). They do it in a frame of its own, claimed before the engine runs
(`claim`): at most one such job a frame, and that frame's engine gets less by the job's cost.
The views' ordinary per-frame cost is judged without the claimed work, so light frames are
not starved for the sake of heavy ones.

When the simulation has more work than fits, virtual time falls behind real time x speed:
the window stays responsive and the simulation slows down. `Pace` measures by how much,
over about half a second of real time, so that the time controls can say so ("running at
0.6x of the chosen speed") rather than hide it.
"""

from __future__ import annotations

import gc
from collections import deque

TARGET_MS = 13.0            # a whole frame's wall time aimed at (headroom under a 60 Hz screen's 16.7)
MIN_ENGINE_MS = 2.0         # the engine always gets this much: a busy window slows the simulation, never stops it
MIN_CLAIMED_ENGINE_MS = 0.5    # ... or this much in a frame claimed for heavy view work
MAX_ENGINE_MS = 10.0        # in a painted frame (a quiet one may use the whole TARGET_MS)
QUIET_FRAMES = 1            # while behind, this many quiet frames follow each painted one
RECENT_FRAMES = 30          # the views' and the repaint's cost is judged over this many frames ...
SHARE = 0.9                 # ... by the frame at this share of them (a spike every few frames is paid for)

WINDOW_MS = 500.0           # real ms over which the achieved ratio is measured
BEHIND = 0.9                # below this ratio the controls say the simulation is behind ...
CAUGHT_UP = 0.97            # ... and stop saying so above this one (no flicker at the edge)


class Pace:
    """Achieved virtual ms per wanted virtual ms (real elapsed x chosen speed), windowed."""

    def __init__(self) -> None:
        self.ratio = 1.0            # the last full window's ratio (1.0: keeping up)
        self.behind = False         # shown as behind (with hysteresis)
        self._done = 0.0
        self._wanted = 0.0
        self._real = 0.0

    def reset(self) -> None:
        """Resumed or sped up: the old window says nothing about the new pace."""
        self._done = self._wanted = self._real = 0.0

    def record(self, real_ms: float, wanted_ms: float, done_ms: float) -> bool:
        """One frame: `real_ms` of wall time, in which `wanted_ms` of virtual time were due and
        `done_ms` were run. True when a window closed and `ratio` or `behind` changed."""
        self._real += real_ms
        self._wanted += wanted_ms
        self._done += done_ms
        if self._real < WINDOW_MS or self._wanted <= 0:
            return False
        ratio = min(1.0, self._done / self._wanted)
        self.reset()
        behind = ratio < BEHIND or (self.behind and ratio < CAUGHT_UP)
        changed = behind != self.behind or (behind and abs(ratio - self.ratio) >= 0.01)
        self.ratio, self.behind = ratio, behind
        return changed


class FrameBudget:
    """Wall ms the engine may run in the next frame: TARGET_MS minus what the rest of a frame costs."""

    def __init__(self) -> None:
        # The views' and the repaint's cost, judged apart for painted frames and quiet ones.
        self._rest: dict[bool, deque[float]] = {True: deque(maxlen=RECENT_FRAMES),
                                                False: deque(maxlen=RECENT_FRAMES)}
        self.claimed = 0.0          # ms of heavy view work claimed for the frame starting now
        self.painting = True        # the frame starting now is painted
        self._quiet = 0             # quiet frames in a row

    def start_frame(self, behind: bool) -> bool:
        """A frame starts; True when it is painted. While the simulation is behind, only every
        other frame is painted: the quiet ones give the engine a whole frame, so a busy cluster
        runs nearer the chosen speed, still at 30 pictures a second."""
        self.claimed = 0.0
        self.painting = not behind or self._quiet >= QUIET_FRAMES
        self._quiet = 0 if self.painting else self._quiet + 1
        return self.painting

    def frame_done(self, frame_ms: float, engine_ms: float) -> None:
        """The frame took `frame_ms` of wall time from its tick until the window was idle (or until
        the next tick, if it never was), `engine_ms` of them in the engine."""
        self._rest[self.painting].append(max(0.0, frame_ms - engine_ms - self.claimed))

    def claim(self, ms: float) -> bool:
        """Claim the frame starting now for `ms` of heavy view work (called before the engine runs);
        False when the frame is not painted or another job already has it (try again next frame)."""
        if self.claimed or not self.painting:
            return False
        self.claimed = max(0.01, float(ms))
        return True

    @property
    def rest_ms(self) -> float:
        """The views' and the repaint's cost per frame of this kind (painted or quiet), as the budget counts it."""
        rest = self._rest[self.painting]
        if not rest:
            return 0.0
        recent = sorted(rest)
        return recent[int(SHARE * (len(recent) - 1))]

    def engine_ms(self) -> float:
        if not self.painting:
            return max(MIN_ENGINE_MS, TARGET_MS - self.rest_ms)
        floor = MIN_CLAIMED_ENGINE_MS if self.claimed else MIN_ENGINE_MS
        return min(MAX_ENGINE_MS, max(floor, TARGET_MS - self.rest_ms - self.claimed))


FREEZE_EVERY_MS = 2000.0    # real ms between moving what survived into Python's permanent generation
IDLE_COLLECT_MS = 1500      # real ms after time stops before the full collection that frees frozen cycles


class Collector:
    """Keeps Python's full garbage collections out of the frames.

    A cluster under load holds millions of objects (records, events), and an automatic full
    collection walks them all: 100-400 ms in one frame, every time the heap grew by a quarter.
    While time runs, what has lived a couple of seconds is frozen (`gc.freeze`, a constant-time
    move), so automatic collections only look at what is new; when time stops, the window
    unfreezes and collects everything once, freeing any cycles that died frozen."""

    def __init__(self) -> None:
        self._since_freeze = FREEZE_EVERY_MS        # time starting: freeze what the set-up made

    def frame(self, real_ms: float) -> None:
        self._since_freeze += real_ms
        if self._since_freeze >= FREEZE_EVERY_MS:
            self._since_freeze = 0.0
            gc.freeze()

    @staticmethod
    def idle() -> None:
        """Time stopped a while ago: collect everything, frozen or not."""
        if gc.get_freeze_count():
            gc.unfreeze()
            gc.collect()
