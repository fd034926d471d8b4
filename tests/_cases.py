"""The table of gradient cases that ``test_primitives`` checks, in one place.

A ``Case`` is one ``check_grads`` call, in the manner of autograd's ``combo_check``: a
function of tape values at a point, with the registry rows it records and the public
functions it calls. ``test_primitives`` checks every case against central finite differences
in both modes (to second order where the case asks), and replays it at a new point.

Families of rows write their cases in modules of their own (``_cases_linalg``,
``_cases_arrays``...) with ``case(...)``; ``test_primitives`` imports them, so a new row is
covered by adding its cases there, without touching a test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import tape as tp

Fn = Callable[..., Any]


@dataclass(frozen=True)
class Case:
    """One check_grads call: ``fn`` at ``args``; ``rows`` are the registry rows it records."""

    id: str
    fn: Fn
    args: tuple[tp.Value, ...]
    rows: tuple[str, ...]
    funcs: tuple[str, ...] = ()  # public functions of tp.__all__ (beyond the rows) it calls
    rtol: float = 1e-5
    atol: float = 1e-6
    eps: float = 1e-6  # the finite-difference step
    order: int = 1  # 2: also forward-over-reverse and reverse-over-reverse
    replay: bool = True  # False: a value steers Python (a guard), so a new point may differ


CASES: list[Case] = []


def case(
    id: str,
    fn: Fn,
    args: Sequence[tp.Value],
    rows: Sequence[str],
    funcs: Sequence[str] = (),
    rtol: float = 1e-5,
    atol: float = 1e-6,
    eps: float = 1e-6,
    order: int = 1,
    replay: bool = True,
) -> None:
    """Add a case to the table (ids must be unique)."""
    CASES.append(
        Case(id, fn, tuple(args), tuple(rows), tuple(funcs), rtol, atol, eps, order, replay)
    )
