"""Max pooling backward that assigns instead of adding: grad_x[...] = g. Where overlapping
windows (stride < kernel_size) share a maximum, only the last window's gradient survives."""

SYMPTOM = "overwrote an earlier one's"  # what a failure message must say


def max_pool_backward(grad_out, argmax, input_shape):
    grad_out, argmax = np.asarray(grad_out), np.asarray(argmax)  # noqa: F821  (np: reference)
    n_size, c_size, h_size, w_size = input_shape
    grad_x = np.zeros((n_size, c_size, h_size * w_size), dtype=grad_out.dtype)  # noqa: F821
    for n in range(n_size):
        for c in range(c_size):
            for i in range(grad_out.shape[2]):
                for j in range(grad_out.shape[3]):
                    grad_x[n, c, argmax[n, c, i, j]] = grad_out[n, c, i, j]  # the mistake: = not +=
    return grad_x.reshape(n_size, c_size, h_size, w_size)
