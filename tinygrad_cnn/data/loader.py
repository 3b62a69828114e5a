"""DataLoader: mini-batches of images as normalized float32 tensors, with seeded shuffling."""

import numpy as np

from tinygrad_cnn import rng
from tinygrad_cnn.tensor import Tensor

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the training pixels scaled to [0, 1]


def normalize(images, mean=MNIST_MEAN, std=MNIST_STD):
    """uint8 images (N, H, W) or (N, C, H, W) -> float32 (N, C, H, W), scaled to [0, 1], then
    (x - mean) / std: what the models see, in training and in prediction alike."""
    images = images if images.ndim == 4 else images[:, None]
    return (images.astype(np.float32) / 255 - mean) / std  # stays float32


class DataLoader:
    """Iterate over (images, labels) in batches.

    ``images`` is a uint8 array (N, H, W) or (N, C, H, W); each batch becomes a float32
    Tensor (B, C, H, W) scaled to [0, 1] and normalized as (x - mean) / std (``normalize``);
    labels become an int64 array. With ``shuffle``, every pass draws a new order from the
    generator that ``manual_seed`` seeds, so runs repeat exactly. ``drop_last`` skips a final
    short batch.
    """

    def __init__(
        self,
        images,
        labels,
        batch_size=64,
        shuffle=False,
        drop_last=False,
        mean=MNIST_MEAN,
        std=MNIST_STD,
    ):
        if len(images) != len(labels):
            raise ValueError(f"DataLoader: {len(images)} images but {len(labels)} labels")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        self.images = images if images.ndim == 4 else images[:, None]
        self.labels = np.asarray(labels, dtype=np.int64)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.mean, self.std = mean, std

    def __len__(self):
        full, rest = divmod(len(self.labels), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def new_order(self):
        """The order of one pass: a fresh permutation when shuffling."""
        if self.shuffle:
            return rng.generator().permutation(len(self.labels))
        return np.arange(len(self.labels))

    def batches(self, order, start=0):
        """Batches in ``order``, beginning with batch number ``start`` (to resume a pass)."""
        for first in range(start * self.batch_size, len(order), self.batch_size):
            chosen = order[first : first + self.batch_size]
            if self.drop_last and len(chosen) < self.batch_size:
                return
            yield Tensor(normalize(self.images[chosen], self.mean, self.std)), self.labels[chosen]

    def __iter__(self):
        return self.batches(self.new_order())
