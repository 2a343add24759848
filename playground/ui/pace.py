"""How fast virtual time really moves, against the speed the user chose (no Qt).

The bridge gives the engine a wall-clock budget per frame. When the simulation has more
work than fits, virtual time falls behind real time x speed: the window stays responsive
and the simulation slows down. `Pace` measures by how much, over about half a second of
real time, so that the time controls can say so ("running at 0.6x of the chosen speed")
rather than hide it.
"""

from __future__ import annotations

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
