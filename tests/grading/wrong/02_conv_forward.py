"""A true convolution: the kernel is flipped by 180 degrees before it slides over the input."""

SYMPTOM = "true convolution, with the kernel flipped"  # what a failure message must say


def conv2d_loops(x, w, b=None, stride=1, padding=0):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)[:, :, ::-1, ::-1]  # noqa: F821
    n_images, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))  # noqa: F821
    h_out, w_out = (
        (height + 2 * padding - kh) // stride + 1,
        (width + 2 * padding - kw) // stride + 1,
    )
    out = np.zeros((n_images, c_out, h_out, w_out))  # noqa: F821
    for n in range(n_images):
        for f in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    window = xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    out[n, f, i, j] = (window * w[f]).sum()  # the mistake: w[f] is flipped
            if b is not None:
                out[n, f] += b[f]
    return out
