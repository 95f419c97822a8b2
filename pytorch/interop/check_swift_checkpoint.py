#!/usr/bin/env python3
"""Interop check (2), PyTorch side: a state_dict written by the Swift engine (ModelTool train --weights-out) loads into
the lesson's PyTorch class with strict=True and gives the same logits as the engine (ModelTool evaluate --logits-out).

    ../torchenv/bin/python pytorch/interop/check_swift_checkpoint.py --model resnet18 \
        --weights here.safetensors --swift-logits here_logits.safetensors

Prints the max absolute logit difference and whether the predicted classes agree.
"""
import argparse
import os

import torch
from safetensors.torch import load_file

from common import datasets, MODELS
from evaluate_pytorch import evaluate

p = argparse.ArgumentParser()
p.add_argument("--model", default="resnet18", choices=sorted(MODELS))
p.add_argument("--weights", required=True)
p.add_argument("--swift-logits", required=True)
p.add_argument("--out", default=os.path.join("output", "interop"), help="folder for the PyTorch logits (default: output/interop)")
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
os.makedirs(a.out, exist_ok=True)
model = MODELS[a.model]()
missing = model.load_state_dict(load_file(a.weights), strict=True)
print("load_state_dict(strict=True):", missing)
swift = load_file(a.swift_logits)
n = swift["logits"].shape[0]
_, test = datasets()
logits = evaluate(model, test, a.out, prefix=f"{a.model}_swiftweights_pytorch", limit=n)
assert torch.equal(swift["labels"], torch.tensor([test[i][1] for i in range(n)]))
diff = (logits - swift["logits"]).abs()
print(f"images: {n}; max |logit difference|: {diff.max().item():.3g}; largest |logit|: {logits.abs().max().item():.3g}; "
      f"predictions equal: {bool((logits.argmax(1) == swift['logits'].argmax(1)).all())}")
