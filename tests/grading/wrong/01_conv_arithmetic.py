"""A parameter count without the biases: k * k * c_in * c_out, one bias per filter forgotten."""

SYMPTOM = "without the bias"  # what a failure message must say


def conv_parameters(k, c_in, c_out, bias=True):
    return k * k * c_in * c_out  # the mistake: each filter's bias is not counted
