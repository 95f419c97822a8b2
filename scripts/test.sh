#!/usr/bin/env bash
# The whole test suite: system libraries, unit and parity tests, then every lesson once with a tiny setting.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# One test at a time: several tests check bit-for-bit reproducibility, and tests running side by
# side share the process's engine state (thread pool, scratch buffers, the default generator).
swift test --no-parallel
bash scripts/smoke_lessons.sh
