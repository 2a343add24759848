"""What every tool shares: the running command, its output streams, addresses and log lines.

A `Command` is one run of a Kafka tool against a simulated cluster. It writes
what the real tool writes, to the stream it writes it to (`out` or `err`),
through a callback, so the Qt console, `kafka-playground exec` and the tests
all see the same text. Commands that need the cluster to move (a console
consumer waiting for records, a producer waiting for acks) schedule their
checks on the cluster's own virtual clock, so whoever advances time — the
window's bridge, or `run_headless` — drives them; nothing here sleeps or reads
the wall clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from .options import HelpRequested, OptionError, OptionParser, UsageError, VersionRequested

Output = Callable[[str, str], None]         # (text, "out" | "err")

KAFKA_VERSION = "4.1.0"
# The playground's brokers all run on this machine, one port each, as a local multi-broker
# set-up does: broker 101 listens on localhost:9092, 102 on localhost:9093, ...
HOST = "localhost"
FIRST_PORT = 9092
FIRST_BROKER_ID = 101
CLIENT_HOST = "/127.0.0.1"                  # the clients run on the same machine
EXIT_INTERRUPTED = 130                      # a JVM stopped by SIGINT (Ctrl+C)


def broker_address(broker_id: int) -> str:
    return f"{HOST}:{FIRST_PORT + broker_id - FIRST_BROKER_ID}"


def bootstrap_address(view) -> str:
    """The address to give `--bootstrap-server`: the first broker's listener."""
    brokers = [b.broker_id for b in view.brokers()]
    return broker_address(brokers[0] if brokers else FIRST_BROKER_ID)


def valid_bootstrap(servers: str | None) -> bool:
    """ToolsUtils.validateBootstrapServer: every comma-separated entry is host:port."""
    if servers is None or not servers.strip():
        return False
    for entry in servers.split(","):
        host, sep, port = entry.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            return False
    return True


BOOTSTRAP_ERROR = "Please provide valid host:port like host1:9091,host2:9092\n"


def log_time(now_ms: int) -> str:
    """Virtual time as log4j's `[yyyy-MM-dd HH:mm:ss,SSS]` (the playground's clock starts at the epoch)."""
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=now_ms)
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{now_ms % 1000:03d}"


def config_text(value: Any) -> str:
    """A config value as Kafka prints it (booleans in lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Command:
    """One run of a tool. Subclasses set `name`, `options()`, `purpose` and implement `run(parsed)`."""

    name = "kafka-tool"
    purpose = ""
    reads_input = False             # the console producer reads lines from standard input
    headless = False                # run by `kafka-playground exec`: nobody can press Ctrl+C
    # "usage": print the option error with the help table (CommandLineUtils.printUsageAndExit);
    # "plain": print only the message to stderr, exit 1
    option_errors = "usage"

    def __init__(self, cluster, argv: list[str], out: Output, *, interactive: bool = False) -> None:
        self.cluster = cluster
        self.view = cluster.view()
        self.argv = list(argv)
        self._out = out
        self.interactive = interactive     # a terminal: the producer prints its `>` prompt
        self.exit_code: int | None = None
        self._done_listeners: list[Callable[[int], None]] = []
        self.parser = OptionParser(self.options())

    # -- what a tool defines --------------------------------------------------------------
    @classmethod
    def options(cls) -> list:
        return []

    def run(self, parsed) -> None:
        raise NotImplementedError

    # -- life ---------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.exit_code is not None

    @property
    def now(self) -> int:
        return self.cluster.clock.now

    def on_done(self, listener: Callable[[int], None]) -> None:
        self._done_listeners.append(listener)
        if self.done:
            listener(self.exit_code)

    def start(self) -> "Command":
        try:
            parsed = self.parser.parse(self.argv)
            self.run(parsed)
        except HelpRequested as h:
            self.err(h.message)
            self.err(self.parser.help_text())
            self.finish(0)
        except VersionRequested:
            self.print(KAFKA_VERSION)
            self.finish(0)
        except UsageError as u:
            self.usage_error(u.message)
        except OptionError as e:
            self.option_error(e.message)
        return self

    def usage_error(self, message: str) -> None:
        self.err(message)
        self.err(self.parser.help_text())
        self.finish(1)

    def option_error(self, message: str) -> None:
        if self.option_errors == "usage":
            self.usage_error(message)
        else:
            self.err(message)
            self.finish(1)

    def finish(self, code: int = 0) -> None:
        if self.done:
            return
        self.exit_code = code
        for listener in list(self._done_listeners):
            listener(code)

    # -- input (only the console producer reads it) ----------------------------------------------
    @property
    def prompt(self) -> str:
        return ""

    def feed(self, line: str) -> None:
        """One line of standard input."""

    def end_input(self) -> None:
        """End of standard input (Ctrl+D)."""

    def interrupt(self) -> None:
        """Ctrl+C: the JVM runs its shutdown hooks and exits with 130."""
        self.finish(EXIT_INTERRUPTED)

    # -- output ---------------------------------------------------------------------------------
    def redirect(self, out: Output) -> None:
        """What the command prints from now on goes to `out` (a console taking over a replayed command)."""
        self._out = out

    def write(self, text: str, stream: str = "out") -> None:
        self._out(text, stream)

    def print(self, line: str = "") -> None:
        self._out(line + "\n", "out")

    def err(self, line: str = "") -> None:
        self._out(line + "\n", "err")

    def log(self, level: str, message: str, logger: str) -> None:
        """A log4j line on stderr, as the tools' log4j configuration prints WARN and ERROR."""
        self.err(f"[{log_time(self.now)}] {level} {message} ({logger})")

    def later(self, delay_ms: int, fn: Callable, *args):
        """A check on the cluster's virtual clock that does nothing once the command is done."""
        def guarded() -> None:
            if not self.done:
                fn(*args)
        return self.cluster.clock.call_later(delay_ms, guarded)
