"""The whole stack on real data: a small CNN drives the loss on 64 MNIST images to ~0."""

import numpy as np

import tinygrad_cnn as tg
import tinygrad_cnn.functional as F
from tinygrad_cnn import models, optim
from tinygrad_cnn.data import read_idx


def test_lenet5_overfits_64_real_mnist_images(mnist_dir):
    images = read_idx(mnist_dir / "train-images-idx3-ubyte.gz")[:64]
    labels = read_idx(mnist_dir / "train-labels-idx1-ubyte.gz")[:64].astype(np.int64)
    x = tg.Tensor((images[:, None].astype(np.float32) / 255 - 0.1307) / 0.3081)
    tg.manual_seed(0)
    model = models.lenet5()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 2.0
    assert losses[-1] < 0.02
    model.eval()
    with tg.no_grad():
        assert (model(x).argmax(axis=1).data == labels).all()
