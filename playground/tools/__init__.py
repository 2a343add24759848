"""Kafka's command-line tools against the simulated cluster: same flags, same messages, same output.

`start_command(cluster, argv, out)` runs `kafka-topics`, `kafka-console-producer`,
`kafka-console-consumer` or `kafka-consumer-groups` (argv[0], with or without
`.sh`) and returns the running `Command`; `run_headless` drives one to its end in
virtual time (what `kafka-playground exec` does). The Qt console runs the same
commands through the window's bridge. This package never imports Qt.
"""

from __future__ import annotations

from .common import Command, Output, bootstrap_address, broker_address
from .session import COMMANDS, command_names, run_headless, start_command

__all__ = ["COMMANDS", "Command", "Output", "bootstrap_address", "broker_address", "command_names",
           "run_headless", "start_command"]
