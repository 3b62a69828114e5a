"""Hostile (or just unlucky): a syntax error."""


def dropout_forward(x, p:
    return x
