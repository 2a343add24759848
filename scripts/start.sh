#!/usr/bin/env bash
# Open Kafka Playground (any arguments go to the `kafka-playground` command).
set -euo pipefail
cd "$(dirname "$0")/.."
# Setup's progress goes to stderr so that e.g. `start.sh scenario run F --json`
# prints clean JSON on stdout.
bash scripts/setup.sh >&2
exec .venv/bin/kafka-playground "$@"
