"""The lesson's MNIST pipeline, fed from the repository's own copy of the data.

The lesson builds its datasets as

    transform = Compose([Pad(2), ToTensor(), Normalize((0.1307,), (0.3081,))])
    datasets.MNIST(root, train=..., download=True, transform=transform)

`lesson_datasets()` returns exactly those two datasets (torchvision's own MNIST class, `download=False`), read from
`data/MNIST/raw/*.gz` of this repository. torchvision only reads the four IDX files uncompressed, under
`<root>/MNIST/raw/`, so they are unpacked once into a scratch folder: `$MNIST_SCRATCH` if set, otherwise a folder
in the system's temporary directory. Nothing is downloaded.

`read_idx(name)` reads one gzipped IDX file of the repository as a numpy array (for code that wants the raw bytes).
"""
import gzip
import os
import shutil
import tempfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST_RAW = os.path.join(REPO, "data", "MNIST", "raw")
IDX_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def lesson_transform():
    """The lesson's transform: 28x28 -> 32x32 by zero padding, [0,1] floats, MNIST mean/std normalisation."""
    from torchvision import transforms
    return transforms.Compose([transforms.Pad(2), transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])


def read_idx(name, raw=MNIST_RAW):
    """One IDX file (name without .gz) as uint8: images [N,28,28] or labels [N]."""
    with gzip.open(os.path.join(raw, name + ".gz"), "rb") as f:
        data = f.read()
    if name.endswith("idx3-ubyte"):
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    return np.frombuffer(data, dtype=np.uint8, offset=8)


def unpacked_root(scratch=None):
    """A folder holding MNIST/raw/ with the four uncompressed IDX files, unpacked from data/MNIST/raw (once)."""
    scratch = scratch or os.environ.get("MNIST_SCRATCH") or os.path.join(tempfile.gettempdir(), "vgg-resnet-mnist")
    raw_out = os.path.join(scratch, "MNIST", "raw")
    os.makedirs(raw_out, exist_ok=True)
    for name in IDX_FILES:
        target = os.path.join(raw_out, name)
        if not os.path.exists(target):
            part = f"{target}.part{os.getpid()}"
            with gzip.open(os.path.join(MNIST_RAW, name + ".gz"), "rb") as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(part, target)
    return scratch


def lesson_datasets():
    """(train, test) exactly as the lesson builds them: torchvision MNIST with the lesson's transform."""
    from torchvision import datasets
    root, t = unpacked_root(), lesson_transform()
    return (datasets.MNIST(root=root, train=True, download=False, transform=t),
            datasets.MNIST(root=root, train=False, download=False, transform=t))
