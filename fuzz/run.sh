#!/usr/bin/env bash
# Builds the libFuzzer harnesses for the project's parsers and runs them.
#
#   fuzz/run.sh                 build both, run each for 60 s on the committed corpus
#   fuzz/run.sh idx 900         run only the IDX/gzip target for 15 minutes
#   fuzz/run.sh safetensors 900
#   fuzz/run.sh replay          build both and rerun every corpus and regression input once
#
# Targets:
#   idx          Gzip.decompress -> IDX.decode (rank 1 and 3) -> MNISTDataset checks -> PadNormalize
#   safetensors  Safetensors.decode (header length, JSON, dtypes, shapes, offsets) -> encode -> decode
#
# Each harness compiles only the Core source files it needs (listed below) with
# -sanitize=fuzzer,address. New inputs found go to fuzz/work/<target>/ (not committed); the
# committed corpus fuzz/corpus/<target>/ is kept small: merge new finds into it with
#   fuzz/run.sh minimise <target>
# Crashes are written to fuzz/work/crash-*; turn each into a test in
# Tests/CoreTests/ReliabilityTests.swift and keep the input in fuzz/regressions/<target>/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="$here/.build"
work="$here/work"
mkdir -p "$build" "$work"

src="$root/Sources"
tensor=("$src/Autograd/Tensor/Tensor.swift" "$src/Kernels/Storage.swift" "$src/Kernels/Shape.swift"
        "$src/Autograd/Tensor/Generator.swift" "$here/harness/Stubs.swift" "$src/Autograd/CoreError.swift")
idx_sources=("${tensor[@]}" "$src/Data/IDX.swift" "$src/Data/Gzip.swift" "$src/Data/MNIST.swift"
             "$src/Data/Transforms.swift" "$src/Data/DatasetKind.swift" "$src/Data/DatasetFiles.swift"
             "$here/harness/FuzzIDX.swift")
safetensors_sources=("${tensor[@]}" "$src/Checkpoints/Safetensors.swift" "$src/Checkpoints/SafetensorsHeader.swift"
                     "$src/Layers/StateDict.swift"
                     "$src/Checkpoints/AtomicFile.swift" "$here/harness/FuzzSafetensors.swift")

# The fuzz target compiles these files as one module, so their imports of the engine's other
# targets (Kernels, Autograd, ...) are taken out of the copies it compiles.
engine_imports='^import (Kernels|Autograd|Layers|Models|Data|Checkpoints|Training)$'
as_one_module() {  # sources... -> prints the paths of the copies
    local copies="$build/sources"
    mkdir -p "$copies"
    for file in "$@"; do
        local copy="$copies/$(basename "$(dirname "$file")")-$(basename "$file")"
        grep -v -E "$engine_imports" "$file" > "$copy"
        echo "$copy"
    done
}

compile() {  # name, sources...
    local name="$1"; shift
    local sources; mapfile -t sources < <(as_one_module "$@")
    set -- "${sources[@]}"
    echo "building fuzz-$name" >&2
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name FuzzTarget \
        -I "$root/Sources/CZlib" -lz "$@" -o "$build/fuzz-$name" 2>&1 | { grep -v "Cannot export local symbol" || true; } >&2
    test -x "$build/fuzz-$name"
}

run() {  # name, seconds
    local name="$1" seconds="$2"
    mkdir -p "$work/$name" "$here/corpus/$name"
    # -malloc_limit_mb: any single allocation above 256 MB is reported as a bug (inputs are at most 64 KB).
    # -timeout: an input that takes more than 60 s (FUZZ_TIMEOUT) is a hang; the machine is shared and
    # the fuzzer runs at nice 19, so a shorter bound reports scheduling stalls as hangs.
    nice -n 19 "$build/fuzz-$name" "$work/$name" "$here/corpus/$name" \
        -max_total_time="$seconds" -max_len=65536 -malloc_limit_mb=256 -rss_limit_mb=1024 -timeout="${FUZZ_TIMEOUT:-60}" \
        -artifact_prefix="$work/crash-$name-" -print_final_stats=1
}

replay() {  # name
    local name="$1"
    local inputs=("$here/corpus/$name"/*)
    [ -d "$here/regressions/$name" ] && inputs+=("$here/regressions/$name"/*)
    "$build/fuzz-$name" -runs=0 -malloc_limit_mb=256 "${inputs[@]}" >/dev/null 2>&1 || {
        echo "fuzz-$name failed on an input" >&2; "$build/fuzz-$name" -malloc_limit_mb=256 "${inputs[@]}"; exit 1; }
    echo "fuzz-$name: ${#inputs[@]} inputs replayed, no failure"
}

minimise() {  # name: merge the work corpus into a fresh minimal committed corpus
    local name="$1"; local fresh="$work/$1.min"
    rm -rf "$fresh"; mkdir -p "$fresh"
    nice -n 19 "$build/fuzz-$name" -merge=1 -max_len=65536 "$fresh" "$here/corpus/$name" "$work/$name"
    rm -rf "$here/corpus/$name"; mv "$fresh" "$here/corpus/$name"
    du -sh "$here/corpus/$name"
}

build_all() {
    compile idx "${idx_sources[@]}"
    compile safetensors "${safetensors_sources[@]}"
}

case "${1:-all}" in
    idx) compile idx "${idx_sources[@]}"; run idx "${2:-60}" ;;
    safetensors) compile safetensors "${safetensors_sources[@]}"; run safetensors "${2:-60}" ;;
    replay) build_all; replay idx; replay safetensors ;;
    minimise) minimise "${2:?target}" ;;
    build) build_all ;;
    all) build_all; run idx "${2:-60}"; run safetensors "${2:-60}" ;;
    *) echo "usage: $0 [all|idx|safetensors|replay|minimise <target>|build] [seconds]" >&2; exit 2 ;;
esac
