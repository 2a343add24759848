"""Which tool a command line names, and running one to its end without a window.

`run_headless` is `kafka-playground exec`: it starts the command, hands it
standard input (the console producer's lines, then end of input), and advances
the cluster's virtual clock callback by callback until the command is done.
Commands that would run forever in a terminal (a console consumer with neither
--max-messages nor --timeout-ms) stop by themselves when headless: see
`kafka_console_consumer`.
"""

from __future__ import annotations

import sys
from typing import Iterable

from .common import EXIT_INTERRUPTED, Command, Output
from .kafka_console_consumer import ConsoleConsumer
from .kafka_console_producer import ConsoleProducer
from .kafka_consumer_groups import ConsumerGroups
from .kafka_topics import KafkaTopics

COMMANDS: dict[str, type[Command]] = {
    "kafka-topics": KafkaTopics,
    "kafka-console-producer": ConsoleProducer,
    "kafka-console-consumer": ConsoleConsumer,
    "kafka-consumer-groups": ConsumerGroups,
}
# A headless command that has not finished after this much virtual time is interrupted, as
# Ctrl+C would (an hour: far beyond any timeout a tool applies by itself).
HEADLESS_LIMIT_MS = 3_600_000


def command_names() -> list[str]:
    return sorted(COMMANDS)


def tool_for(name: str) -> type[Command] | None:
    base = name.rsplit("/", 1)[-1]
    return COMMANDS.get(base[:-3] if base.endswith(".sh") else base)


class UnknownCommand(Command):
    """A shell's answer to a command that is not one of the tools."""

    def start(self) -> "Command":
        name = self.argv[0] if self.argv else ""
        self.err(f"{name}: command not found (the console runs {', '.join(command_names())})")
        self.finish(127)
        return self


def start_command(cluster, argv: list[str], out: Output, *, interactive: bool = False,
                  headless: bool = False) -> Command:
    """Start `argv` (the tool's name, then its arguments) on `cluster`; output goes to `out`."""
    tool = tool_for(argv[0]) if argv else None
    if tool is None:
        return UnknownCommand(cluster, argv, out).start()
    cmd = tool(cluster, argv[1:], out, interactive=interactive)
    cmd.headless = headless
    return cmd.start()


def run_headless(cluster, argv: list[str], out: Output, stdin: Iterable[str] = ()) -> int:
    """Run the command to its end in virtual time; returns its exit code."""
    cmd = start_command(cluster, argv, out, headless=True)
    if cmd.reads_input and not cmd.done:
        for line in stdin:
            if cmd.done:
                break
            cmd.feed(line.rstrip("\n").rstrip("\r"))
        cmd.end_input()
    clock = cluster.clock
    deadline = clock.now + HEADLESS_LIMIT_MS
    while not cmd.done:
        nxt = clock.next_time()
        if nxt is None or nxt > deadline:
            clock.run_until(deadline)
            cmd.interrupt()
            break
        clock.step()
    return cmd.exit_code if cmd.exit_code is not None else EXIT_INTERRUPTED


def stdout_writer(text: str, stream: str) -> None:
    """Output to the process's own streams (`kafka-playground exec`)."""
    target = sys.stderr if stream == "err" else sys.stdout
    target.write(text)
    target.flush()


def exec_main(scenario: str | None, argv: list[str], default_cluster=None) -> int:
    """`kafka-playground exec [--scenario FILE] -- COMMAND ARGS...`: run the scenario headless, then the
    command against the cluster it left, printing what the console would; the command's exit code
    (2 when the scenario file is invalid)."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print(f"kafka-playground exec: name a command after --: {', '.join(command_names())}", file=sys.stderr)
        return 2
    if scenario is not None:
        from playground.scenario.loader import ScenarioError, load_scenario
        from playground.scenario.runner import ScenarioRun
        try:
            run = ScenarioRun(load_scenario(scenario))
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        run.run()
        cluster = run.cluster
    else:
        cluster = default_cluster()
    tool = tool_for(argv[0])
    stdin = sys.stdin if tool is not None and tool.reads_input else ()
    return run_headless(cluster, argv, stdout_writer, stdin)
