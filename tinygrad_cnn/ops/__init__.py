"""The ops: one module per family, each op a Function with its forward, backward and derivation.

- elementwise: add sub mul div neg pow exp log sqrt abs maximum minimum clip where
- activation:  relu leaky_relu sigmoid tanh
- softmax:     softmax log_softmax logsumexp (the max-shift trick for stability)
- reduce:      sum mean max min var
- movement:    reshape permute expand getitem pad concatenate stack
- matmul:      matmul (1-D, 2-D, batched with broadcasting)

Notation in the docstrings: ``g`` is the gradient arriving at the op's output, dL/dout; each
backward returns dL/d(input) for every input, of the input's own shape.
"""
