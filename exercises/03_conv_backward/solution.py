"""The backward pass of a 2-D convolution, written as a tinygrad_cnn Function.

The forward pass (given) is a cross-correlation in NCHW layout with stride s and zero
padding p, the layer of PyTorch, Keras and tinygrad_cnn:

    out[n, f, oh, ow] = bias[f] + sum_{c, i, j} x[n, c, oh*s + i - p, ow*s + j - p]
                                                * weight[f, c, i, j]

Your part is ``Conv2dFunction.backward``: from g = dL/dout, the gradients of L with respect
to x, weight and bias, with ``conv2d_weight_gradient`` and ``conv2d_input_gradient`` for the
first two. Every term of the sum is a product x * weight, so it sends g * weight to the input
pixel it read and g * x to the weight tap it used; the bias is added to every output position.

Worked example (the engine's docs/conv.md): x = [[0,1,2],[3,4,5],[6,7,8]], weight =
[[0,1],[2,3]], bias = [0], g = ones((2, 2)):

    out         = [[19, 25], [37, 43]]
    grad_weight = [[8, 12], [20, 24]]              (each tap: the sum of the pixels it read)
    grad_x      = [[0, 1, 1], [2, 6, 4], [2, 5, 3]]
    grad_bias   = [4]                               (the sum of g)

A Function cannot cross to the grader's process, so the tests call the two wrappers at the
bottom, ``conv2d_forward`` and ``conv2d_gradients``, which run your Function on plain arrays.
"""

import numpy as np

from tinygrad_cnn import Tensor
from tinygrad_cnn.autograd import Function


def output_size(size, kernel, stride, padding):
    """Output size along one axis: floor((size + 2 * padding - kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def conv2d_forward_numpy(x, weight, bias, stride, padding):
    """The forward pass on numpy arrays (given).

    x: (N, C, H, W); weight: (F, C, KH, KW); bias: (F,); stride >= 1 and padding >= 0 ints.
    Returns out, (N, F, OH, OW) with OH = output_size(H, KH, stride, padding) (OW likewise).

    One kernel tap (i, j) at a time: the tap reads the padded input at rows i, i + s, ...,
    i + s*(OH - 1) and columns j, j + s, ..., j + s*(OW - 1), a strided slice of shape
    (N, C, OH, OW) called ``seen`` below; its contribution to out[n, f] is
    sum_c seen[n, c] * weight[f, c, i, j], an einsum over c.
    """
    n_size, c_size, h_size, w_size = x.shape
    f_size, _, kh, kw = weight.shape
    oh_size = output_size(h_size, kh, stride, padding)
    ow_size = output_size(w_size, kw, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out = np.zeros((n_size, f_size, oh_size, ow_size), dtype=np.result_type(x, weight))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + stride * (oh_size - 1) + 1, stride)
            cols = slice(j, j + stride * (ow_size - 1) + 1, stride)
            seen = padded[:, :, rows, cols]  # (N, C, OH, OW): what tap (i, j) reads
            out += np.einsum("nchw,fc->nfhw", seen, weight[:, :, i, j])
    return out + bias.reshape(1, -1, 1, 1)


class Conv2dFunction(Function):
    """conv2d(x, weight, bias, stride, padding) as an autograd op: forward given, backward
    yours (with the two functions after the class)."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride=1, padding=0):
        """Checks the arguments, keeps what backward needs on ``ctx``, returns the output.

        Saved for you: ``x, weight = ctx.saved_tensors`` (numpy arrays, the forward's inputs),
        ``ctx.stride`` and ``ctx.padding`` (ints). The bias is not needed by backward.
        """
        if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
            raise ValueError(
                f"conv2d_function: x (N, C, H, W) and weight (F, C, KH, KW) must share C; got "
                f"x {x.shape} and weight {weight.shape}"
            )
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"conv2d_function: bias must have shape ({weight.shape[0]},), got {bias.shape}"
            )
        if int(stride) != stride or stride < 1 or int(padding) != padding or padding < 0:
            raise ValueError(
                f"conv2d_function: stride must be an int >= 1 and padding an int >= 0; got "
                f"stride={stride!r}, padding={padding!r}"
            )
        stride, padding = int(stride), int(padding)
        for size, kernel in zip(x.shape[2:], weight.shape[2:]):
            if size + 2 * padding < kernel:
                raise ValueError(
                    f"conv2d_function: kernel {weight.shape[2:]} does not fit in the padded "
                    f"input (input {x.shape}, padding {padding})"
                )
        ctx.save_for_backward(x, weight)
        ctx.stride, ctx.padding = stride, padding
        return conv2d_forward_numpy(x, weight, bias, stride, padding)

    @staticmethod
    def backward(ctx, grad_out):
        """The gradients of L with respect to the forward's three inputs, in their order.

        grad_out: dL/dout, a numpy array of the output's shape (N, F, OH, OW).
        Returns (grad_x, grad_weight, grad_bias), numpy arrays of shapes (N, C, H, W),
        (F, C, KH, KW) and (F,), with grad_bias[f] = the sum of grad_out[:, f] over the
        batch and every output position. Take x and weight from ``ctx.saved_tensors`` and the
        stride and padding from ``ctx``; the two functions below are there for the other two
        gradients (you may also compute everything here).
        """
        ### BEGIN SOLUTION
        x, weight = ctx.saved_tensors
        stride, padding = ctx.stride, ctx.padding
        grad_x = conv2d_input_gradient(grad_out, weight, x.shape[2:], stride, padding)
        grad_weight = conv2d_weight_gradient(x, grad_out, weight.shape[2:], stride, padding)
        grad_bias = grad_out.sum(axis=(0, 2, 3))  # bias[f] was added at every (n, oh, ow)
        return grad_x, grad_weight, grad_bias
        ### END SOLUTION


def conv2d_weight_gradient(x, grad_out, kernel_size, stride, padding):
    """dL/dweight, shape (F, C, KH, KW), from x (N, C, H, W) and grad_out (N, F, OH, OW).

    kernel_size: (KH, KW). stride, padding: the forward's ints.

        grad_weight[f, c, i, j] = sum over n, oh, ow of
                                  grad_out[n, f, oh, ow] * x[n, c, oh*s + i - p, ow*s + j - p]

    where positions in the padding read as 0: tap (i, j) collects g times every pixel it read.
    """
    ### BEGIN SOLUTION
    kh, kw = kernel_size
    _, _, oh_size, ow_size = grad_out.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    grad_weight = np.zeros((grad_out.shape[1], x.shape[1], kh, kw))
    for i in range(kh):
        for j in range(kw):
            # what tap (i, j) read in the forward, (N, C, OH, OW), times g, summed over n, oh, ow
            rows = slice(i, i + stride * (oh_size - 1) + 1, stride)
            cols = slice(j, j + stride * (ow_size - 1) + 1, stride)
            grad_weight[:, :, i, j] = np.einsum("nfhw,nchw->fc", grad_out, padded[:, :, rows, cols])
    return grad_weight
    ### END SOLUTION


def conv2d_input_gradient(grad_out, weight, input_size, stride, padding):
    """dL/dx, shape (N, C, H, W), from grad_out (N, F, OH, OW) and weight (F, C, KH, KW).

    input_size: (H, W). stride, padding: the forward's ints.

        grad_x[n, c, h, w] = sum of grad_out[n, f, oh, ow] * weight[f, c, i, j] over every
                             f, oh, ow, i, j with oh*s + i - p = h and ow*s + j - p = w

    Each pixel collects, from every output whose window covered it, g times the tap that
    covered it; a pixel that no window reads gets 0.
    """
    ### BEGIN SOLUTION
    h_size, w_size = input_size
    n_size, _, oh_size, ow_size = grad_out.shape
    _, c_size, kh, kw = weight.shape
    # the gradient of the padded input; the padding's share is dropped at the end
    grad_padded = np.zeros((n_size, c_size, h_size + 2 * padding, w_size + 2 * padding))
    for i in range(kh):
        for j in range(kw):
            # tap (i, j) read this strided slice: send g * weight[:, :, i, j] back to it
            rows = slice(i, i + stride * (oh_size - 1) + 1, stride)
            cols = slice(j, j + stride * (ow_size - 1) + 1, stride)
            grad_padded[:, :, rows, cols] += np.einsum(
                "nfhw,fc->nchw", grad_out, weight[:, :, i, j]
            )
    return grad_padded[:, :, padding : padding + h_size, padding : padding + w_size].copy()
    ### END SOLUTION


# ----------------------------------------------------------------- given: the tests call these
def _leaf(array):
    return Tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


def conv2d_forward(x, weight, bias, stride=1, padding=0):
    """Conv2dFunction's output on plain arrays: out, (N, F, OH, OW), float64."""
    out = Conv2dFunction.apply(_leaf(x), _leaf(weight), _leaf(bias), stride=stride, padding=padding)
    return out.numpy()


def conv2d_gradients(x, weight, bias, grad_out, stride=1, padding=0):
    """Runs Conv2dFunction forward on float64 leaf tensors, then ``out.backward(grad_out)``,
    which calls your ``backward``; returns the leaves' gradients (grad_x, grad_weight,
    grad_bias), of shapes (N, C, H, W), (F, C, KH, KW) and (F,). A gradient that your
    backward returns as None comes back as None."""
    x, weight, bias = _leaf(x), _leaf(weight), _leaf(bias)
    out = Conv2dFunction.apply(x, weight, bias, stride=stride, padding=padding)
    out.backward(np.asarray(grad_out, dtype=np.float64))
    return x.grad, weight.grad, bias.grad
