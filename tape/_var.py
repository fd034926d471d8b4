"""`Var`, the recorded value users hold: its data, operators, methods and NumPy protocols.

A Var is a value plus its place on a tape: ``(value, tape, slot)``. It holds no reference to
the Vars it was computed from and no backward closure; the tape's records hold that. Every
operator and method reaches the primitive table through one function, ``bind``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._core import _plain, install
from ._ops import Operators
from ._rows import Value

if TYPE_CHECKING:
    from ._core import Recorder


def as_value(value: object) -> Value:
    """Convert a user's number or array to a plain value: Python float or a float array.

    Integers and booleans become float64; float32 stays float32; arrays are copied and made
    read-only, so that no later write can change a value a tape may have saved.

    Raises:
        TypeError: For complex, object, string and other non-real inputs.
    """
    if type(value) is float:
        return value
    if isinstance(value, bool | int | float | np.integer | np.bool_) and not isinstance(
        value, np.floating | np.ndarray
    ):
        return float(value)
    if isinstance(value, Var):
        raise TypeError("Var(...) of a Var: use v.detach() for a new, unrecorded Var")
    try:
        arr = np.array(value)
    except Exception as e:
        raise TypeError(f"cannot make a Var from {type(value).__name__}: {e}") from None
    kind = arr.dtype.kind
    if kind in "iub":
        arr = arr.astype(np.float64)
    elif kind != "f":
        raise TypeError(
            f"Var values must be real numbers; got dtype {arr.dtype} ({type(value).__name__}). "
            "Complex, object and string values are not supported."
        )
    if arr.ndim == 0 and arr.dtype == np.float64:
        return float(arr)
    arr.flags.writeable = False
    return arr


class Var(Operators):
    """A value whose operations are recorded on the active tape.

    Args:
        value: A Python int or float, or a NumPy array (or anything ``np.array`` accepts).
            Integers and booleans become float64, float32 stays float32, complex, object
            and string values raise ``TypeError``. Arrays are copied.
        name: A label (``"w1"``) shown in place of the generated one (``v₋₁``, ``v₂``) in
            ``print(tape)``, ``repr``, the drawn graph, the sweep's steps and error
            messages. Any Var, intermediates included, can be named later: ``n.name = "n"``.

    Outside every ``Tape`` a Var computes like its value and records nothing; inside one,
    each operation on it is appended to the tape. ``.value`` is read-only while a tape may
    have saved it, and may be reassigned (``v.value = new``), as optimizers do.
    """

    __slots__ = ("__weakref__", "_name", "_slot", "_tape", "_value")

    _value: Any  # a plain value, or (under nested tapes / duals) the box one level down
    _tape: Recorder | None
    # the record's slot on _tape; -1 on no tape; -2 - (a row's index) on no tape for a Var
    # that row made outside every tape (so a TapeWarning can name it)
    _slot: int
    _name: str | None  # unset (hot paths make Vars without it) means None

    def __init__(self, value: npt.ArrayLike, name: str | None = None) -> None:
        self._value = as_value(value)
        self._tape = None
        self._slot = -1
        if name is not None:
            self.name = name

    @property
    def name(self) -> str | None:
        """The Var's label, or None (then tables and messages use ``v₋₁``, ``v₂``, ...)."""
        return getattr(self, "_name", None)

    @name.setter
    def name(self, name: str | None) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise TypeError(f"a Var's name must be a non-empty string or None; got {name!r}")
        self._name = name
        if self._tape is not None:
            self._tape._name_slot(self._slot, name)

    # ----- data -------------------------------------------------------------------------

    @property
    def value(self) -> Value:
        """The plain value: a Python float or a read-only NumPy array."""
        v = _plain(self._value)
        if isinstance(v, np.ndarray) and v.flags.writeable:
            v.flags.writeable = False  # a tape may hold this array: freeze it as it leaves
        out: Value = v  # (a bool, or bool array, for a recorded comparison)
        return out

    @value.setter
    def value(self, new: npt.ArrayLike) -> None:
        self._value = as_value(new)
        self._tape = None
        self._slot = -1

    def __repr__(self) -> str:
        v = self.value
        body = (
            np.array2string(v, separator=", ", threshold=20)
            if isinstance(v, np.ndarray)
            else repr(v)
        )
        name = self.name
        if name is not None:
            return f"Var({body}, name={name!r})"
        if self._tape is not None and 0 <= self._slot < len(self._tape._records):
            return f"Var({body}, {self._tape._label(self._slot)} on a tape)"
        return f"Var({body})"

    def detach(self) -> Var:
        """A new Var with the same value and no history: gradients do not flow through it
        (it keeps the name)."""
        return Var(self.value, name=self.name)


install(var=Var)
