#!/usr/bin/env python3
"""Evaluate a state_dict (safetensors) with the lesson's PyTorch class on the MNIST test set, in file order, eval mode.

    ../torchenv/bin/python pytorch/interop/evaluate_pytorch.py --model resnet18 --weights W.safetensors --out DIR

Loads with strict=True. Writes DIR/<prefix>_logits.safetensors (logits [N,10], labels [N]) and
DIR/<prefix>_predictions.txt. Last line: `Test accuracy: 0.9871 (9871/10000)`.
"""
import argparse
import os

import torch
from safetensors.torch import load_file, save_file


def evaluate(model, test, out, prefix, limit=None, batch_size=64):
    model.eval()
    n = len(test) if limit is None else min(limit, len(test))
    subset = torch.utils.data.Subset(test, range(n))
    loader = torch.utils.data.DataLoader(subset, batch_size=batch_size, shuffle=False)
    logits, labels = [], []
    with torch.no_grad():
        for x, y in loader:
            logits.append(model(x))
            labels.append(y)
    logits = torch.cat(logits)
    labels = torch.cat(labels)
    predictions = logits.argmax(dim=1)
    correct = int((predictions == labels).sum())
    save_file({"logits": logits.contiguous(), "labels": labels.contiguous()}, os.path.join(out, f"{prefix}_logits.safetensors"))
    with open(os.path.join(out, f"{prefix}_predictions.txt"), "w") as f:
        f.write("".join(f"{int(c)}\n" for c in predictions))
    print(f"Test accuracy: {correct / n:.4f} ({correct}/{n})")
    return logits


if __name__ == "__main__":
    from common import datasets, MODELS
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet18", choices=sorted(MODELS))
    p.add_argument("--weights", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--prefix", default="pytorch")
    p.add_argument("--limit", type=int)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    model = MODELS[a.model]()
    model.load_state_dict(load_file(a.weights), strict=True)
    _, test = datasets()
    evaluate(model, test, a.out, a.prefix, a.limit)
