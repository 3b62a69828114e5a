"""Convolution and pooling kernels: ``reference`` (plain loops) and ``fast`` (Numba)."""
