"""The Kafka CLI commands a journal started: what the console typed, replayable.

A console command (`kafka-topics --create`, `kafka-console-producer`, ...)
changes the cluster when it starts, when it is fed a line, when its input
ends (Ctrl+D) and when it is stopped (Ctrl+C); a running one also acts on
its own, on callbacks it placed on the cluster's clock. The journal records
the first four as commands:

    tool            {"id": 3, "argv": ["kafka-topics", "--create", ...]}
    tool_input      {"id": 3, "line": "user-1:hello"}
    tool_end_input  {"id": 3}
    tool_stop       {"id": 3}

and a replay runs the same code (`playground.tools.start_command`, then
`feed`, `end_input`, `interrupt`) at the same instants with the output
thrown away, so the command places the same callbacks and the cluster takes
the same course. The id is the command's number among the journal's `tool`
commands, so a line typed later finds the command it was typed into.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:       # the tools are imported when a journal first starts one (a window has them already)
    from playground.tools import Command as ToolCommand
    from playground.tools import Output

TOOL_ACTIONS = ("tool", "tool_input", "tool_end_input", "tool_stop")


def discard(_text: str, _stream: str) -> None:
    """The writer of a replayed command: what it printed was seen when it ran."""


class ToolRuns:
    """The commands started through one journal, by id; `running` keeps those not done yet."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.next_id = 0
        self.running: dict[int, ToolCommand] = {}

    def start(self, argv: list[str], out: Output = discard, tool_id: int | None = None) -> ToolCommand:
        """Start `argv` as the console does (a terminal: interactive, not headless)."""
        from playground.tools import start_command
        tool_id = self.next_id if tool_id is None else int(tool_id)
        self.next_id = max(self.next_id, tool_id + 1)
        command = start_command(self.cluster, list(argv), out, interactive=True)
        if not command.done:
            self.running[tool_id] = command
            command.on_done(lambda _code, tool_id=tool_id: self.running.pop(tool_id, None))
        return command

    def id_of(self, command: ToolCommand) -> int | None:
        return next((i for i, c in self.running.items() if c is command), None)

    def get(self, tool_id: Any) -> ToolCommand:
        try:
            return self.running[int(tool_id)]
        except (KeyError, TypeError, ValueError):
            raise KeyError(f"no console command {tool_id!r} is running (running: "
                           f"{sorted(self.running) or 'none'})") from None

    # -- what a running command is told (live and replayed alike) ---------------------------------
    def signal(self, action: str, tool_id: Any, line: str | None = None) -> None:
        command = self.get(tool_id)
        if action == "tool_input":
            command.feed("" if line is None else str(line))
        elif action == "tool_end_input":
            command.end_input()
        elif action == "tool_stop":
            command.interrupt()
        else:
            raise ValueError(f"unknown console action {action!r}")


def replay_tool(runs: ToolRuns, action: str, args: dict[str, Any], note: Callable[[str], None]) -> None:
    """Apply one recorded console command. A command that raised when it ran (a bug in a tool, which the
    console showed as a traceback) is recorded all the same: replayed, it raises at the same point, and
    that is noted, not fatal, since the window went on after it too."""
    if action != "tool":
        runs.get(args.get("id"))            # a line for a command that is not running: the journal is wrong
    try:
        if action == "tool":
            runs.start(list(args["argv"]), discard, args.get("id"))
        else:
            runs.signal(action, args.get("id"), args.get("line"))
    except Exception as exc:                # noqa: BLE001 - said once, as the console said it
        note(f"console command {args.get('id')} ({action}) raised {type(exc).__name__}: {exc}")
