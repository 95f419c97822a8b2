"""Shared helpers of the interop scripts: the lesson's model classes and data pipeline, unchanged.

The lesson's classes are pytorch/lesson_models.py (copied verbatim from the original lesson); its data pipeline
(torchvision MNIST, Pad(2), ToTensor, Normalize(0.1307, 0.3081)) is pytorch/lesson_data.py, which reads the
repository's data/MNIST/raw/*.gz (unpacked once into a scratch folder, since torchvision reads them uncompressed).
`narrowresnet` is pytorch/narrow_models.py's TinyResNet, the fixtures' narrow ResNet (ModelTool's
`resnet:8,16,32,64:1,1,1,1`).
"""
import os
import sys

PYTORCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if PYTORCH not in sys.path:
    sys.path.insert(0, PYTORCH)

import lesson_data  # noqa: E402
import lesson_models  # noqa: E402
import narrow_models  # noqa: E402

MODELS = {
    "vgg16": lesson_models.VGG16_MNIST,
    "resnet18": lesson_models.ResNet18,
    "plainnet": lesson_models.PlainNet,
    "deepresnet": lesson_models.DeepResNet,
    "narrowresnet": narrow_models.TinyResNet,
}


def datasets():
    """(train, test) exactly as the lesson builds them."""
    return lesson_data.lesson_datasets()
