#!/usr/bin/env bash
# The whole test suite: system libraries, unit and parity tests, then every lesson once with a tiny setting.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift test
bash scripts/smoke_lessons.sh
