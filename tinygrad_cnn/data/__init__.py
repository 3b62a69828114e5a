"""Data: the IDX reader, MNIST and Fashion-MNIST, and a DataLoader."""

from tinygrad_cnn.data.idx import read_idx  # noqa: F401
from tinygrad_cnn.data.loader import DataLoader, normalize  # noqa: F401
from tinygrad_cnn.data.mnist import DATASETS, load_mnist  # noqa: F401
