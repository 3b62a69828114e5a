"""Hostile (or just unlucky): an import that fails."""

import tinygrad_cnn_has_no_such_module  # noqa: F401
