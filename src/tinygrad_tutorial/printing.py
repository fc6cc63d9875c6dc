"""How a tensor prints: in PyTorch's layout, so printed outputs compare with PyTorch's.

``format_tensor`` writes ``tensor([[1., 2.]], requires_grad=True)``: values
right-aligned to a common width, rows wrapped at 80 columns, one number format for the
whole tensor (chosen from the values shown), and only the corners of a tensor of more
than 1000 elements.
"""
import numpy as np

from . import backend
from . import dtypes as dt

_LINE_WIDTH, _THRESHOLD, _EDGE_ITEMS = 80, 1000, 3  # PyTorch's print options


def format_tensor(t):
    """``tensor([[1., 2.]], requires_grad=True)``, laid out as PyTorch prints it."""
    array = backend.to_device(t.array, backend.CPU)
    # a large tensor shows only the first and last 3 along each dimension, and only
    # those values set the number format
    summarize = array.size > _THRESHOLD
    value, width = _value_format(_summarized(array) if summarize else array)
    if array.size == 0:
        body = "[]"
    elif array.ndim == 0:
        body = value(array.item()).strip()
    else:
        body = _format_rows(array, value, width, len("tensor("), summarize)
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if array.size == 0 and array.ndim != 1:  # "[]" alone does not tell the shape
        extras.append(f"size={tuple(array.shape)}")
    default = dt.default_float  # the float dtype PyTorch leaves unsaid
    unsaid = t.dtype in (default, dt.int64, dt.bool_)
    if not unsaid or (array.size == 0 and t.dtype != default):
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    text = "tensor(" + body
    # each extra goes on the last line while it fits in 80 columns, else on a new line
    for extra in extras:
        last_line = len(text) - text.rfind("\n") + 1
        fits = last_line + len(extra) + 2 <= _LINE_WIDTH
        text += (", " if fits else ",\n" + " " * len("tensor(")) + extra
    return text + ")"


def _summarized(array):
    """The corners PyTorch shows of a large array: the first and last 3 entries along
    each dimension."""
    corners = list(range(_EDGE_ITEMS)) + list(range(-_EDGE_ITEMS, 0))
    for axis, size in enumerate(array.shape):
        if size > 2 * _EDGE_ITEMS:
            array = array.take(corners, axis=axis)
    return array


def _value_format(array):
    """How each value is written, right-aligned to a common width: (function, width)."""
    if array.dtype.kind == "f" and array.size:
        number = _float_format(array)
        # torch pads to the width of these; nan, inf and 0 don't widen the column
        padded = array[np.isfinite(array) & (array != 0)]
    else:
        number, padded = str, array
    width = max((len(number(v)) for v in padded.flat), default=1)
    return (lambda v: number(v).rjust(width)), width


def _format_rows(array, value, width, indent, summarize):
    """Nested brackets; a row holds as many values as fit in 80 columns; ``...`` stands
    for hidden entries."""
    hide = summarize and len(array) > 2 * _EDGE_ITEMS
    if array.ndim == 1:
        items = [value(v) for v in (array[:_EDGE_ITEMS] if hide else array)]
        if hide:
            items += [" ..."] + [value(v) for v in array[-_EDGE_ITEMS:]]
        per_line = max(1, (_LINE_WIDTH - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line])
                 for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_format_rows(row, value, width, indent + 1, summarize)
            for row in (array[:_EDGE_ITEMS] if hide else array)]
    if hide:
        rows += ["..."] + [_format_rows(row, value, width, indent + 1, summarize)
                           for row in array[-_EDGE_ITEMS:]]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def _float_format(array):
    """PyTorch's choice: ``1.`` for whole numbers, 4 decimals, or scientific for wide
    ranges."""
    finite = np.abs(array[np.isfinite(array)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if nonzero.size and (nonzero.max() >= 1e8 or nonzero.min() < 1e-4
                         or nonzero.max() / nonzero.min() > 1e3):
        return lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)
    if np.all(finite == np.round(finite)):
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)
