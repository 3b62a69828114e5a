"""The input gradient as a full correlation of grad_out with the kernel NOT rotated by 180
degrees: the textbook recipe (put stride - 1 zeros between the elements of g, pad by k - 1,
correlate, crop the padding) with the flip left out. The weight and bias gradients are right.
"""

SYMPTOM = "NOT rotated by 180 degrees"  # what a failure message must say


def conv2d_input_gradient(grad_out, weight, input_size, stride, padding):
    h_size, w_size = input_size
    n_size, f_size, oh_size, ow_size = grad_out.shape
    _, c_size, kh, kw = weight.shape
    # g with stride - 1 zeros between its elements, padded by k - 1 all around
    dilated_h, dilated_w = stride * (oh_size - 1) + 1, stride * (ow_size - 1) + 1
    dilated = np.zeros((n_size, f_size, dilated_h, dilated_w))  # noqa: F821
    dilated[:, :, ::stride, ::stride] = grad_out
    full = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))  # noqa: F821
    covered_h, covered_w = full.shape[2] - kh + 1, full.shape[3] - kw + 1
    padded_size = (n_size, c_size, h_size + 2 * padding, w_size + 2 * padding)
    grad_padded = np.zeros(padded_size)  # noqa: F821
    for i in range(kh):
        for j in range(kw):
            window = full[:, :, i : i + covered_h, j : j + covered_w]
            # the mistake: weight[:, :, i, j] where the rotated kernel has
            # weight[:, :, kh - 1 - i, kw - 1 - j]
            grad_padded[:, :, :covered_h, :covered_w] += np.einsum(  # noqa: F821
                "nfhw,fc->nchw", window, weight[:, :, i, j]
            )
    return grad_padded[:, :, padding : padding + h_size, padding : padding + w_size]
