"""Shared helpers of the interop scripts: the lesson's model classes and data pipeline, unchanged.

The lesson's classes live in /work/shared/fixtures/pytorch/tools/lesson_models.py (copied verbatim from the
original lesson); its data pipeline (torchvision MNIST, Pad(2), ToTensor, Normalize(0.1307, 0.3081)) in
lesson_data.py next to it. torchvision wants the four IDX files uncompressed under MNIST/raw, while the project
ships them gzipped in data/MNIST/raw, so `mnist_root()` unpacks them once into a scratch folder.
"""
import gzip
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(os.path.dirname(HERE))
LESSON_TOOLS = os.environ.get("LESSON_TOOLS", "/work/shared/fixtures/pytorch/tools")
sys.path.insert(0, LESSON_TOOLS)

import lesson_models  # noqa: E402

MODELS = {
    "vgg16": lesson_models.VGG16_MNIST,
    "resnet18": lesson_models.ResNet18,
    "plainnet": lesson_models.PlainNet,
    "deepresnet": lesson_models.DeepResNet,
}


def mnist_root(scratch="/tmp/interop_mnist"):
    """A folder holding MNIST/raw/ with the four uncompressed IDX files (unpacked from data/MNIST/raw)."""
    raw_out = os.path.join(scratch, "MNIST", "raw")
    os.makedirs(raw_out, exist_ok=True)
    raw_in = os.path.join(PROJECT, "data", "MNIST", "raw")
    for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        target = os.path.join(raw_out, name)
        if not os.path.exists(target):
            with gzip.open(os.path.join(raw_in, name + ".gz"), "rb") as src, open(target + ".part", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.replace(target + ".part", target)
    return scratch


def datasets():
    """(train, test) exactly as the lesson builds them."""
    os.environ["MNIST_ROOT"] = mnist_root()
    import lesson_data
    return lesson_data.seed_datasets()


class NarrowResNet(lesson_models.nn.Module):
    """The fixtures' narrow ResNet (ModelTool's `resnet:8,16,32,64:1,1,1,1`): the lesson's ResNet18 structure and its
    own ResidualBlock class, channels 8-16-32-64, one block per stage (as in tools/multistep.py)."""

    def __init__(self, ch=(8, 16, 32, 64), num_classes=10):
        super().__init__()
        nn, RB = lesson_models.nn, lesson_models.ResidualBlock
        self.conv1 = nn.Conv2d(1, ch[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch[0])
        self.layer1 = nn.Sequential(RB(ch[0], ch[0], 1))
        self.layer2 = nn.Sequential(RB(ch[0], ch[1], 2))
        self.layer3 = nn.Sequential(RB(ch[1], ch[2], 2))
        self.layer4 = nn.Sequential(RB(ch[2], ch[3], 2))
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(ch[3], num_classes)

    def forward(self, x):
        import torch
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avg_pool(x).view(x.size(0), -1))


MODELS["narrowresnet"] = NarrowResNet
