#!/usr/bin/env bash
# Set up, check the import contracts, then run the whole test suite headless.
# Arguments go to pytest, e.g. `bash scripts/test.sh -k murmur -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# No display needed: Qt renders into memory (set QT_QPA_PLATFORM=xcb for a real X server).
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

echo "test: import contracts (lint-imports)"
lint_rc=0
.venv/bin/lint-imports || lint_rc=$?

# Run pytest even when a contract is broken, so one run reports both.
echo "test: pytest"
rc=0
.venv/bin/python -m pytest "$@" || rc=$?
# Exit code 5 means no test was collected: a broken suite, not a pass.
if ((rc == 5)); then echo "test: FAILED: pytest collected no tests" >&2; fi
if ((lint_rc != 0)); then echo "test: FAILED: an import contract is broken (see above)" >&2; fi
((rc != 0)) && exit "$rc"
exit "$lint_rc"
