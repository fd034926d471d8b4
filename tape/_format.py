"""Formatting plain values and naming slots, for tables, graphs and error messages.

Below the kernel: it sees plain values only (floats, arrays, booleans) and the row registry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._rows import PRIM, ROWS, SLOTS

_SUB = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def subscript(n: int) -> str:
    """``n`` in subscript digits (``-1`` → ``₋₁``)."""
    return str(n).translate(_SUB)


def fmt_value(v: Any) -> str:
    """A short rendering of a plain value: a number for scalars and small arrays, shape,
    dtype and range otherwise (always one line)."""
    if type(v) is float:
        return f"{v:.6g}"
    if type(v) is bool or type(v) is int:
        return str(v)
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return f"{float(v):.6g}"
        if v.ndim == 1 and v.size <= 4:
            return np.array2string(v, precision=4, separator=", ", suppress_small=True)
        return _summary(v)
    return type(v).__name__


def _summary(v: np.ndarray[Any, Any]) -> str:
    """One line for any array, however many axes: its shape, dtype and range (a matrix
    printed in full would break the table across lines)."""
    head = f"{'×'.join(map(str, v.shape))} {v.dtype}"
    if v.size == 0:
        return f"⟨{head}⟩"
    if v.dtype.kind == "b":
        return f"⟨{head}, {int(np.count_nonzero(v))} true⟩"
    if v.dtype.kind in "fiu":
        lo, hi = float(np.min(v)), float(np.max(v))
        return f"⟨{head} in [{lo:.3g}, {hi:.3g}]⟩"
    return f"⟨{head}⟩"


def textbook_names(records: list[Any], labels: dict[int, str] | None = None) -> list[str]:
    """v₋ₙ₊₁ … v₀ for the inputs in order of appearance, then v₁, v₂, … for operations;
    a slot with a label (a Var's name) gets the label instead."""
    is_input = [ROWS[r[PRIM]].name == "input" and not r[SLOTS] for r in records]
    k_in, k_op = 1 - sum(is_input), 1
    names = []
    for leaf in is_input:
        if leaf:
            names.append(f"v{str(k_in).translate(_SUB)}")
            k_in += 1
        else:
            names.append(f"v{str(k_op).translate(_SUB)}")
            k_op += 1
    if labels:
        for slot, label in labels.items():
            if 0 <= slot < len(names):
                names[slot] = label
    return names
