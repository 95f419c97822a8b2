#!/usr/bin/env bash
# The whole test suite: system libraries, unit and parity tests, then every lesson once with a tiny setting.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Every executable first: the process tests run the built lessons, ModelTool and Benchmark (and are
# skipped, with a note, when they are missing).
swift build
# In parallel: the engine keeps no process-wide switches (the default generator, the thread count and
# the kernel paths are scoped per task), so tests run side by side without seeing each other.
swift test
bash scripts/smoke_lessons.sh
