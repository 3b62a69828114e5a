"""Gradient norms as colours on a log scale, and the legend that explains them.

A gradient that vanishes shrinks by a factor at every layer, so its norm is best read in
decades (1e-1, 1e-2, ...): the scale runs from the decade below the smallest norm to the
decade above the largest, dark purple (small, vanishing) to yellow (large), along the
viridis colour map (readable in grey and by colour-blind readers). A gradient that is exactly
zero (no signal at all, e.g. a dead ReLU layer) gets its own colour, red.
"""

import math

import numpy as np

# viridis at 0, 1/4, 1/2, 3/4 and 1
_STOPS = [(0x44, 0x01, 0x54), (0x3B, 0x52, 0x8B), (0x21, 0x91, 0x8C), (0x5E, 0xC9, 0x62),
          (0xFD, 0xE7, 0x25)]  # fmt: skip
ZERO_COLOR = "#e45756"
MAX_LEGEND_ROWS = 8


def grad_norm(tensor):
    """The L2 norm of ``tensor.grad``, or None when it has no gradient."""
    grad = getattr(tensor, "grad", None)
    return None if grad is None else float(np.linalg.norm(np.asarray(grad, np.float64)))


class LogScale:
    """Maps positive norms to colours; whole decades from ``low`` to ``high`` (powers of 10)."""

    def __init__(self, norms):
        positive = [n for n in norms if n is not None and n > 0 and math.isfinite(n)]
        self.has_zero = any(n == 0 for n in norms if n is not None)
        if positive:
            self.low = math.floor(math.log10(min(positive)))
            self.high = max(math.ceil(math.log10(max(positive))), self.low + 1)
        else:
            self.low, self.high = -1, 0

    def color(self, norm):
        """'#rrggbb' for ``norm`` (the zero colour for 0; the ends for norms off the scale)."""
        if norm == 0 or not math.isfinite(norm):
            return ZERO_COLOR
        position = (math.log10(norm) - self.low) / (self.high - self.low)
        return _viridis(min(max(position, 0.0), 1.0))

    def legend_label(self):
        """An HTML-like Graphviz label: a titled column of swatches, largest decade on top."""
        decades = list(range(self.high, self.low - 1, -1))
        step = math.ceil(len(decades) / MAX_LEGEND_ROWS)
        rows = [_swatch(self.color(10.0**d), f"1e{d}") for d in decades[::step]]
        if self.has_zero:
            rows.append(_swatch(ZERO_COLOR, "0"))
        title = '<TR><TD BORDER="0"><B>gradient norm</B><BR/>(log scale)</TD></TR>'
        return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">{title}{"".join(rows)}</TABLE>>'


def text_color(fill):
    """Black or white, whichever reads better on ``fill`` ('#rrggbb')."""
    red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 120 else "white"


def _viridis(position):
    scaled = position * (len(_STOPS) - 1)
    i = min(int(scaled), len(_STOPS) - 2)
    t = scaled - i
    rgb = (round(a + (b - a) * t) for a, b in zip(_STOPS[i], _STOPS[i + 1]))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _swatch(fill, text):
    return f'<TR><TD BGCOLOR="{fill}"><FONT COLOR="{text_color(fill)}">{text}</FONT></TD></TR>'
