"""Data: the IDX reader, MNIST and Fashion-MNIST, and a DataLoader."""

from tinygrad_cnn.data.idx import read_idx  # noqa: F401
