#!/usr/bin/env bash
# Side-by-side throughput: the lesson's networks in PyTorch (pytorch/benchmarks/pytorch_bench.py,
# the lesson's own classes) and in this project's engine (the `Benchmark` executable), one after the
# other in the same run, with the same batch, threads and step definition. Prints a table of
# ratios (ours / PyTorch images per second) and the peak RSS of each.
#
#   benchmarks/side_by_side.sh [--model all|vgg16|resnet18|plainnet|deepresnet] [--steps 10]
#                              [--warmup 3] [--threads 2] [--batch-size 64] [--repeat 1]
#
# --repeat N runs the whole alternating sequence N times and reports, per network and mode, the
# median images per second of each side and the range of the N ratios (a shared or virtual
# machine's speed drifts by 10-30% from minute to minute: one pass can mislead).
#
# PyTorch is a tool of this script only: it lives in a virtual environment outside the
# repository, ../torchenv (relative to the repository root; TORCH_VENV=path overrides), created on
# first use from pytorch/requirements.txt (the pinned versions).
# Environment: BENCHMARK_BIN=path/to/Benchmark skips the `swift build` (e.g. a side build).
# The timed commands run as a learner's machine runs them: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# (a safety setting of the machines this project is developed on) are unset for them alone, and
# the processor and each side's BLAS / CPU-capability path are printed with the table.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL=all STEPS=10 WARMUP=3 THREADS=2 BATCH=64 REPEAT=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) MODEL="$2"; shift 2 ;;
        --steps) STEPS="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --batch-size) BATCH="$2"; shift 2 ;;
        --repeat) REPEAT="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "side_by_side.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# PyTorch, in ../torchenv, installed when missing.
VENV="${TORCH_VENV:-$(cd "$ROOT/.." && pwd)/torchenv}"
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
    echo "Installing PyTorch into $VENV (once)..." >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -r "$ROOT/pytorch/requirements.txt"
fi

# This project's benchmark, release build.
if [[ -n "${BENCHMARK_BIN:-}" ]]; then
    BIN="$BENCHMARK_BIN"
else
    (cd "$ROOT" && swift build -c release --product Benchmark >&2)
    BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/Benchmark"
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
if [[ "$MODEL" == all ]]; then MODELS=(vgg16 resnet18 plainnet deepresnet); else MODELS=("$MODEL"); fi
COMMON=(--batch-size "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS")

# One process per network and mode, so each peak RSS is that measurement's own; PyTorch and
# this engine alternate, so a change in the machine's load affects both sides alike.
# As a learner's machine: without the development machines' OpenBLAS safety variables.
as_learner=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
TORCH_PATH="$("${as_learner[@]}" "$VENV/bin/python" -c 'import torch; print(f"PyTorch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, MKL {torch.backends.mkl.is_available()}")')"
OURS_PATH="$("${as_learner[@]}" "$BIN" --model resnet18 --mode eval --steps 1 --warmup 0 --threads 1 --batch-size 2 2>&1 | grep -m1 '^processor:' || true)"
echo "$TORCH_PATH" >&2
echo "ours: $OURS_PATH" >&2
for ((pass = 1; pass <= REPEAT; pass++)); do
    for model in "${MODELS[@]}"; do
        for mode in train eval; do
            "${as_learner[@]}" "$VENV/bin/python" "$ROOT/pytorch/benchmarks/pytorch_bench.py" --model "$model" --mode "$mode" \
                "${COMMON[@]}" | tee -a "$OUT/torch.jsonl" >&2
            "${as_learner[@]}" "$BIN" --model "$model" --mode "$mode" "${COMMON[@]}" --json \
                | tee -a "$OUT/ours.jsonl" >&2
        done
    done
done

"$VENV/bin/python" - "$OUT/torch.jsonl" "$OUT/ours.jsonl" "$THREADS" "$BATCH" "$REPEAT" "$TORCH_PATH" "$OURS_PATH" <<'PY'
import json, statistics, sys
def load(path):
    runs = {}
    for r in map(json.loads, open(path)):
        runs.setdefault((r["model"], r["mode"]), []).append(r)
    return runs
torch, ours = load(sys.argv[1]), load(sys.argv[2])
threads, batch, repeat = sys.argv[3], sys.argv[4], int(sys.argv[5])
print(f"\n{sys.argv[6]}\nours: {sys.argv[7]}\n(OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, as on a learner's machine)")
median = lambda rows, key: statistics.median(r[key] for r in rows)
print(f"\nbatch {batch}, {threads} threads; img/s = images per second (median step)"
      + (f", median of {repeat} passes" if repeat > 1 else "") + "; ratio = ours / PyTorch\n")
extra = " ratio range |" if repeat > 1 else ""
print("| model | mode | PyTorch img/s | ours img/s | ratio |" + extra + " PyTorch peak RSS (MB) | ours peak RSS (MB) |")
print("|---|---|---:|---:|---:|" + ("---:|" if repeat > 1 else "") + "---:|---:|")
for model in ["vgg16", "resnet18", "plainnet", "deepresnet"]:
    for mode in ["train", "eval"]:
        t, o = torch.get((model, mode)), ours.get((model, mode))
        if not t or not o:
            continue
        ratio = median(o, "img_per_s") / median(t, "img_per_s")
        ratios = [b["img_per_s"] / a["img_per_s"] for a, b in zip(t, o)]
        spread = f" {min(ratios):.2f}-{max(ratios):.2f}x |" if repeat > 1 else ""
        print(f"| {model} | {mode} | {median(t, 'img_per_s'):.1f} | {median(o, 'img_per_s'):.1f} | {ratio:.2f}x |{spread}"
              f" {median(t, 'peak_rss_mb'):.0f} | {median(o, 'peak_rss_mb'):.0f} |")
PY
