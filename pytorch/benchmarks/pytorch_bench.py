#!/usr/bin/env python3
"""PyTorch half of the side-by-side benchmark (benchmarks/side_by_side.sh): the lesson's own model classes
(pytorch/lesson_models.py, copied verbatim, shared with the fixtures and the interop checks), the same step
definitions and the same JSON lines as this project's `Benchmark`.

A training step is zero-grad, forward, loss, backward, Adam step on one fixed random batch of
1x32x32 images with 10 classes; an evaluation step is a no-grad forward in eval mode.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # pytorch/
import lesson_models  # noqa: E402

MODELS = {
    "vgg16": lesson_models.VGG16_MNIST,
    "resnet18": lesson_models.ResNet18,
    "plainnet": lesson_models.PlainNet,
    "deepresnet": lesson_models.DeepResNet,
}


def reset_peak_rss():
    # Linux: writing 5 resets VmHWM to the current RSS, so each measurement reports its own peak.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def measure(name, mode, batch, steps, warmup, seed):
    torch.manual_seed(seed)
    model = MODELS[name]()
    images = torch.randn(batch, 1, 32, 32)
    labels = torch.randint(0, 10, (batch,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    model.train() if mode == "train" else model.eval()

    def step():
        if mode == "train":
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
        else:
            with torch.no_grad():
                model(images)

    reset_peak_rss()
    for _ in range(warmup):
        step()
    times, cpu_times = [], []
    for _ in range(steps):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        cpu_times.append(time.process_time() - cpu_start)
        times.append(time.perf_counter() - start)
    return statistics.median(times), peak_rss_mb(), statistics.median(cpu_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", choices=list(MODELS) + ["all"], default="resnet18")
    parser.add_argument("--mode", choices=["train", "eval", "both"], default="both")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.batch_size < 2 or args.steps < 1 or args.warmup < 0 or args.threads < 1:
        parser.error("--batch-size >= 2, --steps >= 1, --warmup >= 0, --threads >= 1")

    torch.set_num_threads(args.threads)
    models = list(MODELS) if args.model == "all" else [args.model]
    modes = ["train", "eval"] if args.mode == "both" else [args.mode]
    for name in models:
        for mode in modes:
            median, peak, cpu = measure(name, mode, args.batch_size, args.steps, args.warmup, args.seed)
            print(json.dumps({
                "model": name, "mode": mode, "threads": args.threads, "batch_size": args.batch_size,
                "median_step_s": round(median, 6), "img_per_s": round(args.batch_size / median, 2),
                "peak_rss_mb": round(peak, 1),
                "median_cpu_s": round(cpu, 6), "torch": torch.__version__,
            }), flush=True)


if __name__ == "__main__":
    main()
