"""Time travel: see the cluster as it was at an earlier instant, fork from there, compare branches.

The engine is deterministic, so the past needs no snapshots: a branch's
journal (its set-up and every command at its instant) replayed up to
virtual time `t` *is* the cluster at `t`: every callback due at or before
`t` run, every command issued at or before `t` applied. (A command given
at `t` itself is the last thing done: the cluster is as the window showed
it right after that command.) `TimeMachine.rewind`
does that, reusing the last rewound cluster when the new instant lies ahead
of it (replaying forward from there instead of from 0).

A rewound cluster is a cluster like any other: run it or give it a command
and it goes its own way. `TimeMachine.fork` keeps it as a new `Branch`,
which remembers where it left its parent; every branch keeps its own live
cluster, so going back to one is instant. `compare_rows` puts two branches'
numbers side by side (the audit's guarantee numbers first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .journal import Command, Journal, ReplayError

# How much virtual time a rewind runs between two progress reports (and chances to cancel).
PROGRESS_SLICE_MS = 250

Progress = Callable[[int, int], bool]       # (virtual ms reached, target ms) -> go on?


class TimeTravelError(Exception):
    """A rewind that cannot be done, said in one sentence (nothing on screen changes)."""


class RewindCancelled(TimeTravelError):
    pass


@dataclass
class Branch:
    number: int
    journal: Journal                 # its own live cluster and the commands that made it
    parent: int | None = None
    fork_ms: int | None = None       # the virtual instant it left its parent
    inherited: int = 0               # commands it shares with its parent (the rest are its own)

    @property
    def name(self) -> str:
        return f"branch {self.number}"

    @property
    def cluster(self):
        return self.journal.cluster

    @property
    def now(self) -> int:
        return self.journal.cluster.now

    def own_commands(self) -> list[Command]:
        """What was done in this branch since it forked: where it differs from its parent."""
        return self.journal.commands[self.inherited:]

    def describe(self) -> str:
        if self.parent is None:
            return f"{self.name} (the original run)"
        return f"{self.name} (forked from branch {self.parent} at {seconds(self.fork_ms or 0)})"


def seconds(ms: float) -> str:
    return f"{ms / 1000:.3f} s"


class TimeMachine:
    """The branches of one session and the cluster on screen when it is a past instant of one."""

    def __init__(self, journal: Journal) -> None:
        self.branches: list[Branch] = [Branch(1, journal)]
        self.current = self.branches[0]
        # The last rewound cluster, (branch, journal): reused when the next rewind lies ahead of it.
        self._rewound: tuple[Branch, Journal] | None = None

    # -- reading ---------------------------------------------------------------------------------
    def branch(self, number: int) -> Branch:
        for b in self.branches:
            if b.number == number:
                return b
        raise TimeTravelError(f"There is no branch {number} (branches: "
                              f"{', '.join(str(b.number) for b in self.branches)}).")

    def can_rewind(self, branch: Branch | None = None) -> str | None:
        """None when `branch` can be rewound, else the sentence why not."""
        b = branch or self.current
        if b.journal.setup is None:
            return ("Time travel replays how the cluster was made, and this cluster's set-up cannot be "
                    "read off it.")
        return None

    # -- travelling ------------------------------------------------------------------------------
    def rewind(self, t: int, branch: Branch | None = None, progress: Progress | None = None) -> Journal:
        """A new cluster exactly as `branch` (the current one by default) was at virtual time `t`.

        Raises TimeTravelError (nothing changed) for an instant outside the branch's run, a cluster
        that cannot be replayed, or RewindCancelled when `progress` returned False.
        """
        b = branch or self.current
        why = self.can_rewind(b)
        if why:
            raise TimeTravelError(why)
        if not isinstance(t, int) or t < 0 or t > b.now:
            raise TimeTravelError(f"{b.name} runs from 0 to {seconds(b.now)}: there is no instant {t!r} ms in it.")
        journal = self._reusable(b, t)
        if journal is None:
            try:
                journal = Journal.start(b.journal.setup)
            except Exception as exc:        # noqa: BLE001 - a set-up this version refuses, said in one line
                raise TimeTravelError(f"The cluster's set-up no longer builds: {exc}") from None
        self._rewound = None                # a rewind cut short leaves no half-run cluster for the next one
        _run_forward(journal, b.journal.commands, t, progress)
        self._rewound = (b, journal)
        return journal

    def _reusable(self, b: Branch, t: int) -> Journal | None:
        """The last rewound cluster, if it is `b`'s and not past `t` (then it only has to run forward)."""
        if self._rewound is None:
            return None
        branch, journal = self._rewound
        mine = b.journal.commands
        if branch is not b or journal.cluster.now > t or len(journal.commands) > len(mine):
            return None
        if journal.commands != mine[:len(journal.commands)]:
            return None                     # it was given a command of its own (or the branch changed)
        return journal

    def fork(self, journal: Journal, parent: Branch, at: int) -> Branch:
        """Keep `journal` (a cluster rewound from `parent` to `at`) as a new branch, and make it current."""
        inherited = sum(1 for c in parent.journal.commands if c.time_ms <= at)
        branch = Branch(max(b.number for b in self.branches) + 1, journal, parent.number, at, inherited)
        self.branches.append(branch)
        self.current = branch
        if self._rewound is not None and self._rewound[1] is journal:
            self._rewound = None            # it lives on as a branch, no longer a cache
        return branch

    def switch(self, number: int) -> Branch:
        self.current = self.branch(number)
        return self.current


def _run_forward(journal: Journal, commands: list[Command], t: int, progress: Progress | None) -> None:
    """Apply the commands `journal` has not applied yet that ran at or before `t`, then run to `t`."""
    for cmd in commands[len(journal.commands):]:
        if cmd.time_ms > t:
            break
        _run_until(journal, cmd.time_ms - 1, t, progress)
        try:
            journal.replay_command(cmd, cmd.describe())
        except ReplayError as exc:
            raise TimeTravelError(f"The replay went another way at {cmd.describe()}: {exc}") from None
    _run_until(journal, t, t, progress)


def _run_until(journal: Journal, until: int, target: int, progress: Progress | None) -> None:
    clock = journal.cluster.clock
    while clock.now < until:
        clock.run_until(min(until, clock.now + PROGRESS_SLICE_MS))
        if progress is not None and not progress(clock.now, target):
            raise RewindCancelled("Cancelled: the cluster on screen is unchanged.")


# -- comparing two branches ------------------------------------------------------------------------

# (audit field, label): the guarantee numbers, as the guarantees panel names them.
GUARANTEES = (
    ("acked", "acknowledged"),
    ("acked_lost", "acked but LOST"),
    ("unavailable", "unavailable"),
    ("duplicates_in_log", "duplicates in log"),
    ("order_violations", "out of order"),
    ("consumed_duplicates", "consumed twice"),
    ("skipped", "never consumed (skipped)"),
    ("output_duplicates", "pipeline output duplicates"),
)


def branch_numbers(cluster) -> list[tuple[str, str]]:
    """(label, value) rows describing a cluster for a side-by-side comparison."""
    view = cluster.view()
    audit = view.audit().as_report()
    rows = [("virtual time", seconds(cluster.now))]
    rows += [(label, str(audit.get(key, 0))) for key, label in GUARANTEES]
    brokers = view.brokers()
    rows.append(("brokers alive", f"{sum(1 for b in brokers if b.alive)} of {len(brokers)}"))
    under = 0
    offline = 0
    for topic in view.topic_names(include_internal=False):
        parts = view.partitions(topic)
        for p in parts:
            if p.leader < 0:
                offline += 1
            elif len(p.isr) < len(p.replicas):
                under += 1
        rows.append((f"{topic}: committed records", str(sum(p.high_watermark for p in parts))))
    rows.append(("under-replicated partitions", str(under)))
    rows.append(("offline partitions", str(offline)))
    for gid, group in sorted(view.groups().items()):
        rows.append((f"group {gid}: state", group.state))
        rows.append((f"group {gid}: lag", str(sum(lag or 0 for lag in group.lag.values()))))
    return rows


def compare_rows(a: Branch, b: Branch) -> list[tuple[str, str, str]]:
    """(label, a's value, b's value) for two branches; a label one of them lacks shows "–"."""
    left = dict(branch_numbers(a.cluster))
    right = dict(branch_numbers(b.cluster))
    labels = list(left)
    labels += [k for k in right if k not in left]
    return [(k, left.get(k, "–"), right.get(k, "–")) for k in labels]
