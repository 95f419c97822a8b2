"""Small networks built from the lesson's own pieces, for the fixtures and the interop checks.

`TinyResNet` is the lesson's ResNet18 structure and forward with the lesson's `ResidualBlock`, channels 8-16-32-64 and
one block per stage (the engine's `resnet:8,16,32,64:1,1,1,1`). `TinyVGG` is the lesson's `vgg_block` pattern, narrow,
with no Dropout so that a training step is deterministic. Attributes are created in the same order as in the lesson's
classes, so a given seed gives the same default initialisation. The class docstrings are recorded verbatim in
Tests/CoreTests/Fixtures/fixtures.json ("definition"), so changing them changes that file.
"""
import torch
import torch.nn as nn

from lesson_models import ResidualBlock, vgg_block


class TinyResNet(nn.Module):
    """The seed's ResNet18 structure and forward, built from the seed's ResidualBlock, channels 8-16-32-64, one block per stage."""

    def __init__(self, ch=(8, 16, 32, 64), num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, ch[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch[0])
        self.layer1 = nn.Sequential(ResidualBlock(ch[0], ch[0], 1))
        self.layer2 = nn.Sequential(ResidualBlock(ch[0], ch[1], 2))
        self.layer3 = nn.Sequential(ResidualBlock(ch[1], ch[2], 2))
        self.layer4 = nn.Sequential(ResidualBlock(ch[2], ch[3], 2))
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(ch[3], num_classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avg_pool(x).view(x.size(0), -1))


class TinyVGG(nn.Module):
    """The seed's vgg_block pattern, narrow, without Dropout (so the case is deterministic)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(vgg_block(2, 1, 8), vgg_block(2, 8, 16), vgg_block(3, 16, 16))
        self.classifier = nn.Sequential(nn.Linear(16 * 4 * 4, 32), nn.ReLU(inplace=True), nn.Linear(32, 10))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))
