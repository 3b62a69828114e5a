"""The chain rule without the first neuron's s'(z_1)."""

SYMPTOM = "is one missing?"  # what a failure message must say


def chain_gradients(x, w, b, grad_out):
    w = np.asarray(w, dtype=np.float64)  # noqa: F821  (np comes from the reference above)
    b = np.asarray(b, dtype=np.float64)  # noqa: F821
    inputs, slopes = [], []
    a = float(x)
    for w_i, b_i in zip(w, b):
        inputs.append(a)
        a = sigmoid(w_i * a + b_i)  # noqa: F821
        slopes.append(a * (1.0 - a))
    grad_w, grad_b = np.zeros(len(w)), np.zeros(len(w))  # noqa: F821
    grad_a = float(grad_out)
    for i in reversed(range(len(w))):
        grad_z = grad_a * slopes[i] if i > 0 else grad_a  # the mistake: s'(z_1) left out
        grad_b[i] = grad_z
        grad_w[i] = grad_z * inputs[i]
        grad_a = grad_z * w[i]
    return grad_w, grad_b
