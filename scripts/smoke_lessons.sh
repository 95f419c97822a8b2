#!/usr/bin/env bash
# Runs every lesson once with a tiny setting (the quick data subset, one epoch) and checks that it
# exits cleanly and writes its report and at least one chart. Part of the test command (scripts/test.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d "${TMPDIR:-/tmp}/lesson-smoke.XXXXXX")
trap 'rm -rf "$out"' EXIT
swift build >/dev/null || { echo "smoke: swift build failed" >&2; exit 1; }
bin=$(swift build --show-bin-path)

# lesson | flags (all lessons share --output so that Exercise 5 reuses the networks of 3 and 4)
lessons=(
    "Exercise2_Residual|--seeds 2"
    "Exercise1_VGG|--quick --epochs 1"
    "Exercise3_ResNet18|--quick --epochs 1"
    "Exercise4_PlainVsResidual|--quick --epochs 1 --no-plain18"
    "Exercise5_GradientFlow|--quick --epochs 1"
    "MiniChallenge|--quick --epochs 1"
    "DepthStudy|--quick --depths 8,14 --iterations 10 --eval-every 5 --eval-images 100"
)

failures=0
for entry in "${lessons[@]}"; do
    name=${entry%%|*}
    flags=${entry#*|}
    start=$(date +%s)
    status=0
    # shellcheck disable=SC2086
    "$bin/$name" $flags --threads 2 --output "$out" >"$out/$name.log" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
        echo "smoke: $name $flags FAILED (exit $status); last lines:" >&2
        tail -20 "$out/$name.log" >&2
        failures=$((failures + 1))
        continue
    fi
    # --quick runs write to <Lesson>/quick/ (each dataset and preset has its own folder).
    report=$(find "$out/$name" -name report.md 2>/dev/null | head -1)
    folder=$(dirname "${report:-$out/$name/report.md}")
    if [ ! -s "$folder/report.md" ] || ! ls "$folder"/*.png >/dev/null 2>&1; then
        echo "smoke: $name ran but did not write report.md and a PNG in $folder" >&2
        failures=$((failures + 1))
        continue
    fi
    echo "smoke: $name ok ($(( $(date +%s) - start )) s, $(ls "$folder"/*.png | wc -l) charts)"
done
[ "$failures" -eq 0 ] || { echo "smoke: $failures lesson(s) failed" >&2; exit 1; }
echo "smoke: all ${#lessons[@]} lessons ran and wrote their files"
