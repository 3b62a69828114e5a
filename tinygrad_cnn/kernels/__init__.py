"""Convolution, pooling and ReLU-backward kernels: ``reference`` (plain loops) and ``fast``
(Numba)."""


def fast_kernels():
    """The Numba kernels, imported on first use so that ``import tinygrad_cnn`` stays light
    (importing numba alone takes about half a second)."""
    from tinygrad_cnn.kernels import fast

    return fast
