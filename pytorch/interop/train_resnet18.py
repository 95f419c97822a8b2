#!/usr/bin/env python3
"""Interop check (1), PyTorch side: train the lesson's ResNet18 for a few hundred batches, save its state_dict
with safetensors.torch.save_file, and evaluate it on the 10000 test images in file order.

    ../torchenv/bin/python pytorch/interop/train_resnet18.py --out output/interop --batches 300 --seed 0

Writes OUT/resnet18_pytorch.safetensors (the state_dict), OUT/pytorch_logits.safetensors (eval-mode logits
[10000,10] and labels), OUT/pytorch_predictions.txt (one class per line). The last line printed has the same form
as ModelTool evaluate's: `Test accuracy: 0.9871 (9871/10000)`.
"""
import argparse
import os
import time

import torch
import torch.nn as nn
import torch.optim as optim
from safetensors.torch import save_file

from common import datasets, MODELS
from evaluate_pytorch import evaluate

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--model", default="resnet18", choices=sorted(MODELS))
p.add_argument("--batches", type=int, default=300)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--eval-limit", type=int, help="evaluate only the first N test images (default: all 10000)")
a = p.parse_args()

os.makedirs(a.out, exist_ok=True)
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
train, test = datasets()
model = MODELS[a.model]()
opt = optim.Adam(model.parameters(), lr=a.lr)
loader = torch.utils.data.DataLoader(train, batch_size=a.batch_size, shuffle=True,
                                     generator=torch.Generator().manual_seed(a.seed))
criterion = nn.CrossEntropyLoss()
model.train()
start = time.time()
for i, (x, y) in enumerate(loader):
    if i == a.batches:
        break
    loss = criterion(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if (i + 1) % 10 == 0 or i < 3:
        print(f"batch {i + 1}/{a.batches}: loss {loss.item():.4f} ({time.time() - start:.0f} s)", flush=True)

weights = os.path.join(a.out, f"{a.model}_pytorch.safetensors")
save_file(model.state_dict(), weights)
print("saved", weights)
evaluate(model, test, a.out, prefix=f"{a.model}_pytorch", limit=a.eval_limit)
