#!/usr/bin/env python3
"""Interop check (1), comparison: PyTorch's and ModelTool's predictions for the same weights, image by image.

    ../torchenv/bin/python pytorch/interop/compare_predictions.py --pytorch-logits P.safetensors \
        --swift-logits S.safetensors [--swift-predictions S.txt]

Reports accuracy on both sides, how many predictions differ, and for each differing image the top-2 logit margin
(a near-tie: the two largest logits within float32 rounding of each other) on both sides.
"""
import argparse

import torch
from safetensors.torch import load_file

p = argparse.ArgumentParser()
p.add_argument("--pytorch-logits", required=True)
p.add_argument("--swift-logits", required=True)
p.add_argument("--swift-predictions")
a = p.parse_args()
pt, sw = load_file(a.pytorch_logits), load_file(a.swift_logits)
n = sw["logits"].shape[0]
pl, sl, labels = pt["logits"][:n], sw["logits"], pt["labels"][:n]
assert torch.equal(labels, sw["labels"]), "labels differ: not the same test images in the same order"
pp, sp = pl.argmax(1), sl.argmax(1)
if a.swift_predictions:
    txt = torch.tensor([int(line) for line in open(a.swift_predictions)])
    assert torch.equal(txt, sp), "--predictions-out does not match the logits"
for name, pred in [("PyTorch", pp), ("ModelTool", sp)]:
    c = int((pred == labels).sum())
    print(f"{name}: Test accuracy: {c / n:.4f} ({c}/{n})")
diff = (pl - sl).abs()
print(f"max |logit difference| over {n} images: {diff.max().item():.3g} (largest |logit| {pl.abs().max().item():.3g})")
differ = (pp != sp).nonzero().flatten().tolist()
print(f"predictions that differ: {len(differ)}")
top2 = pl.topk(2, dim=1).values
margins = top2[:, 0] - top2[:, 1]
print(f"smallest PyTorch top-2 margin over all images: {margins.min().item():.3g}")
for i in differ:
    pm = (pl[i, pp[i]] - pl[i, sp[i]]).item()
    print(f"  image {i}: PyTorch says {int(pp[i])}, ModelTool {int(sp[i])}, label {int(labels[i])}; "
          f"PyTorch margin between them {pm:.3g}, ModelTool's {(sl[i, sp[i]] - sl[i, pp[i]]).item():.3g}")
