"""The forward pass of a convolution layer, written as loops over numpy arrays.

What deep-learning libraries call a convolution is a cross-correlation: the kernel slides over
the zero-padded input WITHOUT being flipped, and each output is the sum of the products of the
kernel with the window under it, over all input channels, plus the filter's bias:

    out[n, f, i, j] = b[f] + sum_{c, u, v} xp[n, c, i*s + u, j*s + v] * w[f, c, u, v]

where xp is x with `padding` zeros on each side of both spatial axes and s is the stride.

    x = [[0, 1, 2],        w = [[0, 1],        out = [[19, 25],
         [3, 4, 5],             [2, 3]]               [37, 43]]
         [6, 7, 8]]

    out[0, 0] = 0*0 + 1*1 + 3*2 + 4*3 = 19     (the window at the top left, kernel as printed)
"""

import numpy as np


def zero_pad(x, padding):
    """x with ``padding`` rows of zeros above and below and ``padding`` columns of zeros left
    and right of every image channel.

    x: a float array of shape (N, C, H, W).
    padding: an int >= 0.

    Returns a new float array of shape (N, C, H + 2 * padding, W + 2 * padding) whose centre
    [:, :, padding : padding + H, padding : padding + W] is x and whose border is 0 (a copy
    of x when padding is 0).
    """
    ### BEGIN SOLUTION
    n_images, channels, height, width = np.shape(x)
    xp = np.zeros((n_images, channels, height + 2 * padding, width + 2 * padding))
    xp[:, :, padding : padding + height, padding : padding + width] = x
    return xp
    ### END SOLUTION


def conv2d_loops(x, w, b=None, stride=1, padding=0):
    """Cross-correlation of a batch of images with a bank of filters, plus a bias per filter.

    x: the input, a float array of shape (N, C_in, H, W).
    w: the filters, a float array of shape (C_out, C_in, kH, kW); not flipped.
    b: the biases, a float array of shape (C_out,), or None for no bias.
    stride: the step of the window, an int >= 1, the same along both axes.
    padding: the number of zeros added on each side of H and of W, an int >= 0.

    Returns a float array of shape (N, C_out, H_out, W_out), with H_out = (H + 2 * padding
    - kH) // stride + 1 and W_out likewise, and, with xp = zero_pad(x, padding),
    out[n, f, i, j] = b[f] + sum_{c, u, v} xp[n, c, i*stride + u, j*stride + v] * w[f, c, u, v]
    """
    ### BEGIN SOLUTION
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    n_images, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    xp = zero_pad(x, padding)
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    out = np.zeros((n_images, c_out, h_out, w_out))
    for n in range(n_images):
        for f in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    top, left = i * stride, j * stride
                    window = xp[n, :, top : top + kh, left : left + kw]  # (C_in, kH, kW)
                    out[n, f, i, j] = np.sum(window * w[f])  # all channels, kernel as given
            if b is not None:
                out[n, f] += b[f]
    return out
    ### END SOLUTION
