"""A frame's wall-clock budget for the engine, and how fast virtual time really moves (no Qt).

A 60 Hz screen shows a frame every 16.7 ms. In that time the bridge runs the engine, the
views fold what happened, and the window repaints. `FrameBudget` measures what the views
and the repaint took in recent frames and gives the engine what is left of TARGET_MS (at
least MIN_ENGINE_MS, so that the simulation always moves, and at most MAX_ENGINE_MS).
While the simulation is behind, every other frame is quiet: not painted, the engine's alone.

Some views have heavy work that need not happen every frame (the canvas's whole picture, a
chart's repaint). They do it in a frame of its own, claimed before the engine runs
(`claim`): at most one such job a frame, and that frame's engine gets less by the job's cost.
Each kind of frame (quiet, light, claimed for each kind of work) is judged from its own recent
history, so light frames are not starved for the sake of heavy ones.

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
MAX_CLAIMED_RUN = 4         # claimed frames in a row, at most: then one is the engine's (a light one)
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


QUIET, LIGHT = "quiet", "light"     # kinds of frame beside the claimed ones (named by what claimed them)
KNOWN = 5                   # frames of a claimed kind measured before their own history is trusted


class FrameBudget:
    """Wall ms the engine may run in the next frame: TARGET_MS minus what the rest of a frame costs.

    The rest is judged per kind of frame: quiet ones, light painted ones, and painted ones claimed
    for each kind of heavy work (the canvas's preparing and composing passes, a chart's redraw, a
    plot's repaint), each from its own recent history; a claimed kind seen fewer than KNOWN times
    counts as a light frame plus what its claim said it would cost."""

    def __init__(self) -> None:
        self._rest: dict[str, deque[float]] = {}
        self.claimed = 0.0          # ms of heavy view work claimed for the frame starting now ...
        self.claim_kind = ""        # ... and what claimed it
        self.painting = True        # the frame starting now is painted
        self._quiet = 0             # quiet frames in a row
        self._claimed_run = 0       # claimed frames in a row just before this one

    def start_frame(self, behind: bool) -> bool:
        """A frame starts; True when it is painted. While the simulation is behind, only every
        other frame is painted: the quiet ones give the engine a whole frame, so a busy cluster
        runs nearer the chosen speed, still at 30 pictures a second."""
        self._claimed_run = self._claimed_run + 1 if self.claimed else 0
        self.claimed, self.claim_kind = 0.0, ""
        self.painting = not behind or self._quiet >= QUIET_FRAMES
        self._quiet = 0 if self.painting else self._quiet + 1
        return self.painting

    @property
    def kind(self) -> str:
        """The kind of the frame starting now."""
        return self.claim_kind or (LIGHT if self.painting else QUIET)

    def frame_done(self, frame_ms: float, engine_ms: float) -> None:
        """The frame took `frame_ms` of wall time (its tick and the repaints after it), `engine_ms`
        of them in the engine."""
        rest = self._rest.get(self.kind)
        if rest is None:
            rest = self._rest[self.kind] = deque(maxlen=RECENT_FRAMES)
        rest.append(max(0.0, frame_ms - engine_ms))

    def claim(self, ms: float, kind: str = "claimed") -> bool:
        """Claim the frame starting now for `ms` of heavy view work of `kind` (called before the engine
        runs); False when the frame is not painted, another job already has it, or MAX_CLAIMED_RUN
        frames in a row were claimed (the engine gets a frame of its own first): try next frame."""
        if self.claimed or not self.painting or self._claimed_run >= MAX_CLAIMED_RUN:
            return False
        self.claimed, self.claim_kind = max(0.01, float(ms)), kind
        return True

    def _share(self, kind: str) -> float | None:
        rest = self._rest.get(kind)
        if not rest:
            return None
        recent = sorted(rest)
        return recent[int(SHARE * (len(recent) - 1))]

    @property
    def rest_ms(self) -> float:
        """What the views and the repaint are expected to cost in the frame starting now."""
        kind = self.kind
        if kind not in (QUIET, LIGHT) and len(self._rest.get(kind, ())) < KNOWN:
            return (self._share(LIGHT) or 0.0) + self.claimed
        return self._share(kind) or 0.0

    def engine_ms(self) -> float:
        if not self.painting:
            return max(MIN_ENGINE_MS, TARGET_MS - self.rest_ms)
        floor = MIN_CLAIMED_ENGINE_MS if self.claimed else MIN_ENGINE_MS
        return min(MAX_ENGINE_MS, max(floor, TARGET_MS - self.rest_ms))


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
