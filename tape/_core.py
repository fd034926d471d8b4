"""The kernel: the context-local stack of recording tapes, levels, the value protocol, and
``bind``, the one way into the primitive table.

Operator-overloading AD needs a recursion: a Var's operators call the table's functions,
which call ``bind``, which records and makes new Vars. Here it goes through one
registration hook instead of an import circle (as autograd's ``Box.register`` and JAX's
``Primitive.bind`` do): this module knows the value types and the forward-mode handler only
through ``install``, which ``_var``, ``_dual`` and ``_forward`` call when they load. Every
other module imports this one, and this one imports only the row type and the formatting
of values.

A *recorder* is what a tape is to the kernel: its list of records, its leaves, the arrays
it locked, its level, state and thread. ``bind`` is the one way in: its fast recorder
(inline in ``bind``: one tape, plain values) and its general one (``_record``: nested
tapes, dual numbers) both append through ``Recorder._append``, the one place a record is
made.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from . import _format
from ._rows import OUT, PRIM, ROWS, Array, Primitive

if TYPE_CHECKING:
    from ._dual import Dual
    from ._var import Var

Params: TypeAlias = "dict[str, Any] | None"
Record: TypeAlias = "tuple[int, tuple[int, ...], Params, tuple[Any, ...], Any]"
"""(primitive index in ``ROWS``, input slots (-1 for a constant), params, input values,
output value)."""

_STACK: ContextVar[tuple[Recorder, ...]] = ContextVar("tape_stack", default=())
_PAUSED: ContextVar[bool] = ContextVar("tape_paused", default=False)  # in stop_recording()
_LEVELS = itertools.count(2, 2)  # nesting order of tapes (and, later, of dual numbers)


class TapeWarning(UserWarning):
    """A value was used on a tape in a way that probably loses a gradient.

    Raised (as a warning, once per Var) when a Var that an operation made *outside every
    tape* is first used on a tape: the tape sees it as a new input (a leaf), so gradients
    stop there instead of flowing back to the Vars it was computed from — the rule of
    ``tf.GradientTape``, but a trap for anyone used to micrograd or PyTorch.
    """


# ----- the value types and the forward-mode handler, installed when their modules load -------


class _Unset:
    """Stands for a value type not installed yet (nothing is of this type)."""


_VAR: type[Var] = _Unset  # type: ignore[assignment]
_DUAL: type[Dual] = _Unset  # type: ignore[assignment]
_FORWARD: Callable[[Primitive, tuple[Any, ...], dict[str, Any], int], Any]


def install(
    *,
    var: type[Var] | None = None,
    dual: type[Dual] | None = None,
    forward: Callable[[Primitive, tuple[Any, ...], dict[str, Any], int], Any] | None = None,
) -> None:
    """The registration hook: the value types (``Var``, ``Dual``) and forward mode's handler
    (what ``bind`` calls for dual numbers) tell the kernel about themselves."""
    global _VAR, _DUAL, _FORWARD
    if var is not None:
        _VAR = var
    if dual is not None:
        _DUAL = dual
    if forward is not None:
        _FORWARD = forward


def is_var(v: object) -> bool:
    """Whether ``v`` is a Var (a recorded value)."""
    return type(v) is _VAR


def is_dual(v: object) -> bool:
    """Whether ``v`` is a Dual (a forward-mode value)."""
    return type(v) is _DUAL


_ESCAPES: dict[int, str] = {}
"""Level of a Dual -> how a value of that level left forward mode for Python as a number
(``float(d)``): forward mode has no tape to keep it on, so the transform that made the level
asks here when its function returns a plain value."""


def note_escape(level: int, how: str) -> None:
    """Remember that a Dual of ``level`` was turned into a Python number (``how``)."""
    _ESCAPES.setdefault(level, how)


def pop_escape(level: int) -> str | None:
    """How a Dual of ``level`` left forward mode (and forget it), or None."""
    return _ESCAPES.pop(level, None)


def new_leaf(value: Any) -> Var:
    """``Var(value)``: a new leaf with no history."""
    return _VAR(value)


def unwrap(v: Any) -> Any:
    """One level down: a Var's value, a Dual's primal (which may be boxes themselves)."""
    t = type(v)
    if t is _VAR:
        return v._value
    if t is _DUAL:
        return v._primal
    return v


def _plain(v: Any) -> Any:
    """All the way down: the plain value (float, array, bool) inside Vars and Duals."""
    while True:
        t = type(v)
        if t is _VAR:
            v = v._value
        elif t is _DUAL:
            v = v._primal
        else:
            return v


INPUT = Primitive("input", impl=lambda x: x, vjp=(), jvp=(), notation="input")


# ----- the cyclic garbage collector, spread out while records are made ------------------------
# A tape's records are many small tuples made in a burst. The collector counts them as they
# are made and, every 700, scans the young ones again, every 7,000 the older ones, and now and
# then everything the process holds: on a long scalar chain those passes cost up to a third
# of recording. So while any tape records, the young generation's threshold is raised to
# ``YOUNG`` allocations (the collector still runs, so a tape left unexited costs nothing but
# rarer passes), and the user's thresholds come back when the last tape exits. A program's
# build, a block that always ends, turns the collector off instead (``collector_paused``).

YOUNG = 50_000
"""The collector's first threshold while tapes record (Python's default is 700)."""

_COLLECTOR_GUARD = threading.RLock()  # (re-entrant: a finaliser may end a spread inside one)
_SPREADS = 0  # tapes recording, in every thread
_THRESHOLDS = gc.get_threshold()  # the user's, while tapes record
_STANDARD = _THRESHOLDS[0]  # the first threshold when tape was imported: the one replaced


def spread_collections() -> None:
    """Raise the collector's first threshold to ``YOUNG`` until the matching
    ``restore_collections`` (calls nest and may overlap across threads). Only the threshold
    the interpreter had when tape was imported is replaced: one the user set since (0 to
    turn the collector off, 1 to stress it, more to spread it further) is kept."""
    global _SPREADS, _THRESHOLDS
    with _COLLECTOR_GUARD:
        if _SPREADS == 0:
            _THRESHOLDS = gc.get_threshold()
            first, *rest = _THRESHOLDS
            if first == _STANDARD and 0 < first < YOUNG:
                gc.set_threshold(YOUNG, *rest)
        _SPREADS += 1


def restore_collections() -> None:
    """End one ``spread_collections``: the last one gives the user's thresholds back."""
    global _SPREADS
    with _COLLECTOR_GUARD:
        _SPREADS -= 1
        if _SPREADS == 0:
            gc.set_threshold(*_THRESHOLDS)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the length of a block (a program's build: its lines are many
    small tuples that live as long as the program); a collector already off stays off."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


# ----- the recorder: what a tape is to the kernel ---------------------------------------------


class Recorder:
    """A list of records being written: the part of a ``Tape`` that recording touches."""

    def __init__(self, check_finite: bool = False) -> None:
        self.check_finite = check_finite
        self._records: list[Record] = []
        # id(a Var this tape first saw as an input) -> (that Var, its leaf's slot here). The
        # tape keeps no Var of its own: nothing it holds points back at it, so dropping the
        # last reference frees it at once.
        self._leaves: dict[int, tuple[Var, int]] = {}
        self._locked: list[Array] = []  # caller's arrays made read-only while saved here
        self._level = 0
        self._state = "new"  # new -> active -> done -> freed
        self._thread = 0
        self._owner = -1  # the thread's id while active (bind's fast check), else -1
        self._names: dict[int, str] = {}  # slot -> the name of the Var recorded there
        self._spreading = False  # whether this tape holds a spread_collections

    def _labels(self) -> dict[int, str]:
        """The names to show, by slot: recorded Vars named here, and named leaves."""
        labels = dict(self._names)
        for var, slot in self._leaves.values():
            name = var.name
            if name is not None:
                labels.setdefault(slot, name)
        return labels

    def _label(self, slot: int) -> str:
        """How ``print(t)`` names a slot: the Var's name, or its textbook name (v₋₁, v₂)."""
        labels = self._labels()
        if slot in labels:
            return labels[slot]
        return _format.textbook_names(self._records)[slot]

    def _release(self) -> None:
        """Drop the records and give back the locked arrays (a tape's gradient frees it)."""
        self._records = []
        self._leaves = {}
        self._names = {}
        if self._locked or _DEFERRED_UNLOCKS:
            _unlock(self._locked)
            self._locked = []

    def _check_thread(self, what: str) -> None:
        if self._state == "active" and threading.get_ident() != self._thread:
            raise RuntimeError(
                f"cannot {what} a tape from a thread other than the one that entered it "
                "(a context copied into another thread, as contextvars.copy_context().run "
                "or asyncio.to_thread do, still sees the tape): give each thread its own Tape"
            )

    def _start_spread(self) -> None:
        """Spread out the collector's passes while this tape records (``spread_collections``)."""
        if not self._spreading:
            self._spreading = True
            spread_collections()

    def _end_spread(self) -> None:
        if self._spreading:
            self._spreading = False
            restore_collections()

    def __del__(self) -> None:
        if getattr(self, "_spreading", False):  # entered and never exited
            self._end_spread()
        # A finaliser may run inside any allocation, also one made while this thread holds
        # _LOCKS_GUARD (a tape freed by the collector in the middle of _lock): it must never
        # wait for that lock. If the lock is free, unlock now; else leave the arrays for the
        # next lock or unlock to release (list.append is atomic).
        locked = getattr(self, "_locked", None)
        if not locked:
            return
        if _LOCKS_GUARD.acquire(blocking=False):
            try:
                _unlock_held(locked)
            finally:
                _LOCKS_GUARD.release()
        else:
            _DEFERRED_UNLOCKS.append(locked)

    def _append(
        self,
        prim: Primitive,
        slots: tuple[int, ...],
        params: Params,
        inputs: tuple[Any, ...],
        ans: Any,
    ) -> int:
        """Append one record and return its slot: the one place a record is appended."""
        slot = len(self._records)
        if self.check_finite:
            _check_finite_value(self, slot, prim, inputs, ans)
        self._records.append((prim.index, slots, params, inputs, ans))
        return slot

    def _var_at(self, slot: int, ans: Any) -> Var:
        out = _new_var(_VAR)
        out._value = ans
        out._tape = self
        out._slot = slot
        return out

    def _watch(self, x: Var, inner: Any) -> Var:
        """This tape's leaf for the Var ``x`` (made on first use), holding ``inner``."""
        found = self._leaves.get(id(x))
        if found is not None and found[0] is x:
            return self._var_at(found[1], self._records[found[1]][OUT])
        if x._slot < -1:
            _warn_outside(x)
        elif x._tape is not None and x._tape._state != "active" and not _on_active(x):
            _warn_finished(x, x._tape)
        slot = self._append(INPUT, (), None, (), inner)
        self._leaves[id(x)] = (x, slot)
        return self._var_at(slot, inner)

    def _slot_of(self, x: Var) -> int:
        """The slot of ``x`` on this tape, or -1 when this tape never saw it."""
        if x._tape is self:
            return x._slot
        found = self._leaves.get(id(x))
        if found is not None and found[0] is x:
            return found[1]
        mine = self._own(x)
        return -1 if mine is None else mine._slot

    def _own(self, x: Var) -> Var | None:
        """This tape's Var inside ``x``, when ``x`` was recorded by an inner tape that has
        stopped recording while this one recorded the same operation (its value is then
        this tape's Var, one level down), else None."""
        while x._tape is not self:
            inner, on = x._value, x._tape
            if type(inner) is not _VAR or on is None or on._state == "active":
                return None
            x = inner
        return x

    def _guard(self, v: Var, kind: str, result: Any, row: Primitive) -> None:
        """Keep the outcome of a value leaving the tape (``bool(v)``, ``float(v)``, ...)."""
        self._check_thread("record on")
        slot = self._slot_of(v)
        if slot < 0:
            slot = self._watch(v, _peel(v))._slot
        self._append(row, (slot,), {"kind": kind}, (self._records[slot][OUT],), result)

    def _name_slot(self, slot: int, name: str | None) -> None:
        if name is None:
            self._names.pop(slot, None)
        elif 0 <= slot < len(self._records):
            self._names[slot] = name


_new_var = object.__new__
_F64 = np.dtype(np.float64)  # (NumPy's results share it: one identity check per record)


_get_ident = threading.get_ident


def _warn_outside(x: Var) -> None:
    """Warn, once for this Var, that it was made by an operation outside every tape."""
    op = ROWS[-2 - x._slot].name
    x._slot = -1
    warnings.warn(
        f"a Var computed by {op!r} outside every tape is used on a tape: the tape sees it as "
        f"a new input (a leaf), so gradients stop there and do not flow back through {op!r} "
        "to the Vars it was made from. Compute it inside `with Tape():` if they should; make "
        "it a leaf on purpose with v.detach() or tp.Var(v.value) to silence this.",
        TapeWarning,
        stacklevel=_users_level(),
    )


def _on_active(x: Var) -> bool:
    """Whether ``x`` holds, through tapes that stopped, a Var of a tape still recording: the
    record of its operation there (an inner tape's Var under an outer one), which a tape
    above sees as it sees any of that tape's Vars."""
    v = x._value
    while type(v) is _VAR:
        if v._tape is not None and v._tape._state == "active":
            return True
        v = v._value
    return False


def _warn_finished(x: Var, on: Recorder) -> None:
    """Warn that a Var another tape recorded is used on this one after that tape stopped."""
    made = on._records[x._slot][PRIM] if 0 <= x._slot < len(on._records) else -1
    what = f"by {ROWS[made].name!r} " if made >= 0 else ""
    warnings.warn(
        f"a Var recorded {what}on a tape that has stopped recording is used on another tape: "
        "this tape sees it as a new input (a leaf), so gradients stop there and do not flow "
        "back to the Vars it was made from (the other tape's history is not this one's). "
        "Compute it inside this tape's `with` block if they should; make it a leaf on "
        "purpose with v.detach() to silence this.",
        TapeWarning,
        stacklevel=_users_level(),
    )


def _users_level() -> int:
    """``warnings.warn``'s stacklevel, for its caller's caller, of the first frame outside
    tape: the user's line that used the Var."""
    depth = 2  # warn's stacklevel of our caller's caller (warn is called in our caller)
    frame = sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tape."):
        frame = frame.f_back  # type: ignore[assignment]
        depth += 1
    return depth


def _peel(a: Any) -> Any:
    while type(a) is _VAR:
        a = a._value
    return a


def _transparent(a: Var) -> Any:
    """What the tape one level down sees of a Var that is not on the current tape.

    A Var on no active tape whose value is itself a Var is a wrapper (``grad`` wraps its
    argument so that its own tape has a leaf to differentiate by): the tape below sees the
    Var inside it, one layer per level, so that ``grad(grad(grad(f)))`` lines each wrapper
    up with its own tape.
    """
    inner = a._value
    if (type(inner) is _VAR or type(inner) is _DUAL) and (
        a._tape is None or a._tape._state != "active"
    ):
        return inner
    return a


def _seen_by(tape: Recorder | None, a: Any) -> Any:
    """How the tape below (or, at the bottom, plain NumPy) sees ``a``."""
    if type(a) is not _VAR:
        return a  # a dual number one level down
    if tape is None:
        return _peel(a)
    if a._tape is tape:
        return a
    found = tape._leaves.get(id(a))
    if found is not None and found[0] is a:
        return tape._var_at(found[1], tape._records[found[1]][OUT])
    return _peel(a)


def _shape(v: Any) -> tuple[int, ...]:
    if type(v) is float:
        return ()
    return tuple(v.shape)


def _shape_or_type(a: Any) -> object:
    if type(a) is float:
        return "()"
    shape = getattr(a, "shape", None)
    return shape if shape is not None else type(a).__name__


def canonical(prim: Primitive, out: Any) -> Any:
    """A row's raw output in tape's form: Python floats for float64 scalars, read-only
    float arrays, booleans only from rows without derivatives."""
    t = type(out)
    if t is float:
        return out
    if not prim.differentiable:  # booleans of a comparison, a guard's outcome
        return out
    if t is np.ndarray:
        if out.dtype.kind == "b":
            return out  # a mask moved by a shape row (reshape, index): no derivative flows
        if out.dtype.kind != "f":
            raise TypeError(
                f"{prim.name} gave dtype {out.dtype}: tape differentiates real floating-point "
                "values only (complex and object inputs are not supported)"
            )
        if out.ndim == 0 and out.dtype == np.float64:
            return float(out)  # scalars stay Python floats
        return out
    if isinstance(out, np.floating):
        return float(out) if out.dtype == np.float64 else np.asarray(out)
    if isinstance(out, np.bool_):
        return out  # one element of a mask
    if isinstance(out, int | np.integer):
        return float(out)
    return out  # a box one level down (Var or Dual): already canonical


def call(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Any:
    """Run a primitive's forward computation on plain values (or lower-level boxes)."""
    try:
        out = prim.impl(*args, **params)
    except (ValueError, IndexError) as e:
        shapes = ", ".join(str(_shape_or_type(a)) for a in args)
        raise type(e)(f"{prim.name}: {e} (input shapes: {shapes})") from None
    return canonical(prim, out)


def owner_of(a: Array) -> Any:
    """The object that owns an array's memory (the array itself, or its base)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a if a.base is None else a.base


def read_only(v: Any) -> Any:
    """``v`` made read-only if it is an array: what users are handed of a tape's values
    (frozen as they leave, so no write can change what a record saved)."""
    if type(v) is np.ndarray and v.flags.writeable:
        v.flags.writeable = False
    return v


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply a primitive to its inputs: the one way into the primitive table.

    - Plain inputs (floats, arrays) give a plain result and record nothing.
    - When some input is a Var, the result is a Var, recorded on every active tape (or, with
      no tape active, a Var with no history).
    - When some input is a Dual, the result is a Dual whose tangent comes from the JVP rules.

    Vars and Duals nest (a tape recording dual numbers, a dual number of recorded values):
    the innermost level is handled first and computes with the values one level down.
    (Returns ``Any`` because the result's kind follows the inputs'; the public functions
    declare it precisely.)
    """
    stack = _STACK.get()
    if len(stack) == 1:
        # The fast recorder, for the common case: one active tape of this thread; inputs
        # that are its own Vars, leaves (Vars on no tape, as parameters are), Python numbers
        # or arrays, all holding plain values. Anything else (nesting, dual numbers, errors,
        # no recorded input) breaks out to the general path below, which raises errors with
        # the shapes named. (Written inline: a call per record cost W5 a tenth.)
        tape = stack[0]
        while True:
            if tape._owner != _get_ident():  # active, and entered by this thread
                break
            n = len(args)
            quick = False
            # The hottest records first, as tuples at once: one input of this tape, or two
            # of which each is this tape's Var or a Python float (the scalar chain; an
            # array chain's ·c and +c). Anything else takes the loop below.
            if n == 1:
                a = args[0]
                if type(a) is _VAR and a._tape is tape:
                    v = a._value
                    if type(v) is float or type(v) is np.ndarray:
                        slots: Any = (a._slot,)
                        inputs: Any = (v,)
                        quick = True
            elif n == 2:
                a, b = args
                if type(a) is _VAR and a._tape is tape:
                    v = a._value
                    tv = type(v)
                    if tv is float or tv is np.ndarray:
                        if type(b) is float:
                            slots, inputs, quick = (a._slot, -1), (v, b), True
                        elif type(b) is _VAR and b._tape is tape:
                            w = b._value
                            tw = type(w)
                            if tw is float or tw is np.ndarray:
                                slots, inputs, quick = (a._slot, b._slot), (v, w), True
                elif type(a) is float and type(b) is _VAR and b._tape is tape:
                    w = b._value
                    tw = type(w)
                    if tw is float or tw is np.ndarray:
                        slots, inputs, quick = (-1, b._slot), (a, w), True
            if not quick:
                leaves: list[tuple[int, Var]] | None = None
                constants = False  # an array among the inputs as a constant (to be locked)
                slots = []
                inputs = []
                recorded = False
                for a in args:
                    t = type(a)
                    if t is _VAR:
                        at = a._tape
                        if at is tape:
                            v, s = a._value, a._slot
                        elif at is None:  # a leaf: its slot, or a new one if the op succeeds
                            found = tape._leaves.get(id(a))
                            if found is not None and found[0] is a:
                                s = found[1]
                                v = tape._records[s][OUT]
                            else:
                                v, s = a._value, -2
                                if leaves is None:
                                    leaves = []
                                leaves.append((len(slots), a))
                        else:
                            break
                        tv = type(v)
                        if tv is not float and tv is not np.ndarray:
                            break
                        recorded = True
                    elif t is float:
                        v, s = a, -1
                    elif t is np.ndarray:
                        v, s = a, -1
                        constants = True
                    elif t is int:
                        v, s = float(a), -1
                    else:
                        break
                    slots.append(s)
                    inputs.append(v)
                else:
                    quick = recorded
                if not quick:  # an input the fast recorder does not take, or none recorded
                    break
                inputs = tuple(inputs)
            try:
                ans = prim.impl(*inputs, **params) if params else prim.impl(*inputs)
            except Exception:
                break
            ta = type(ans)
            if ta is float:
                pass
            elif ta is np.float64 and prim.differentiable:  # a full reduction's scalar
                ans = float(ans)
            elif (
                ta is not np.ndarray
                or ans.dtype is not _F64  # (float32 too: canonical keeps it)
                or not ans.ndim
                or not prim.differentiable
            ):
                ans = canonical(prim, ans)  # floats for scalars, booleans checked
            if type(slots) is list:  # the loop's inputs (the quick ones need none of this)
                # computed without error: now register new leaves and lock saved array
                # constants (a recorded result is a fresh array no one else holds; Var.value
                # freezes it when handed out)
                if leaves is not None:
                    for k, leaf in leaves:
                        found = tape._leaves.get(id(leaf))
                        if found is not None and found[0] is leaf:  # the same leaf twice: x * x
                            slots[k] = found[1]
                            continue
                        if leaf._slot < -1:
                            _warn_outside(leaf)
                        slots[k] = tape._append(INPUT, (), None, (), inputs[k])
                        tape._leaves[id(leaf)] = (leaf, slots[k])
                if constants:
                    for k, s in enumerate(slots):
                        if s == -1:
                            v = inputs[k]
                            if type(v) is np.ndarray and (v.flags.writeable or id(v) in _LOCKS):
                                _lock(v, tape._locked)
                slots = tuple(slots)
            out = _new_var(_VAR)
            out._value = ans
            out._tape = tape
            out._slot = tape._append(prim, slots, params or None, inputs, ans)
            return out
    has_var = False
    dual_level = -1
    for a in args:
        t = type(a)
        if t is _VAR:
            has_var = True
        elif t is _DUAL and a._level > dual_level:
            dual_level = a._level
    if not has_var and dual_level < 0:
        return call(prim, args, params)
    if has_var:
        if stack and stack[-1]._state != "active":
            # a context copied while a tape was active (an asyncio task started inside
            # `with Tape()`) outlives it: record only on tapes still active
            stack = tuple(t for t in stack if t._state == "active")
        if stack and stack[-1]._level > dual_level:
            return _record(stack, len(stack) - 1, prim, args, params)
        if dual_level < 0:  # no tape: compute, record nothing
            out = _new_var(_VAR)
            out._value = bind(prim, *(_peel(a) for a in args), **params)
            out._tape = None
            # remember the operation (as -2 - its index), to warn if a tape later takes
            # this Var for a leaf; values made in stop_recording() are constants on purpose
            out._slot = -1 if _PAUSED.get() or not prim.differentiable else -2 - prim.index
            return out
        if not stack:  # Vars on no tape beside dual numbers are constants to them
            args = tuple(_peel(a) if type(a) is _VAR else a for a in args)
    return _FORWARD(prim, args, params, dual_level)


def _record(
    stack: tuple[Recorder, ...],
    k: int,
    prim: Primitive,
    args: tuple[Any, ...],
    params: dict[str, Any],
) -> Var:
    """Record ``prim(*args)`` on tape ``stack[k]`` (and, first, on the tapes below it)."""
    tape = stack[k]
    tape._check_thread("record on")
    # What the tape below sees: our own Vars are replaced by their values one level down;
    # any other Var is passed down, to be watched there (or peeled at the bottom).
    down = tuple(
        (a._value if a._tape is tape else _transparent(a)) if type(a) is _VAR else a for a in args
    )
    if k > 0 and any(type(a) is _VAR for a in down):
        ans: Any = _record(stack, k - 1, prim, down, params)
    else:
        bottom = tuple(_peel(a) for a in down)
        if any(type(b) is _DUAL for b in bottom):
            # dual numbers one level down may hold Vars of the tapes below this one: record
            # those there, not here
            token = _STACK.set(stack[:k])
            try:
                ans = bind(prim, *bottom, **params)
            finally:
                _STACK.reset(token)
        else:
            ans = call(prim, bottom, params)
    # Computed without error: now append (a failed op leaves the tape unchanged).
    slots = []
    inputs = []
    below = stack[k - 1] if k > 0 else None
    for a, d in zip(args, down, strict=True):
        if type(a) is _VAR:
            if a._tape is not tape:
                mine = tape._own(a)
                a = mine if mine is not None else tape._watch(a, _seen_by(below, d))
            slots.append(a._slot)
            inputs.append(a._value)
        else:
            slots.append(-1)
            if type(d) is np.ndarray and (d.flags.writeable or id(d) in _LOCKS):
                _lock(d, tape._locked)  # saved: a later in-place write would be silent
            inputs.append(d)
    return tape._var_at(tape._append(prim, tuple(slots), params or None, tuple(inputs), ans), ans)


def _check_finite_value(
    tape: Recorder, slot: int, prim: Primitive, inputs: tuple[Any, ...], ans: Any
) -> None:
    if not prim.differentiable or prim is INPUT:
        return
    v = _plain(ans)
    if isinstance(v, float | np.ndarray) and not np.all(np.isfinite(v)):
        n_ops = 1 + sum(1 for r in tape._records if r[PRIM] != INPUT.index)
        raise FloatingPointError(
            f"record {slot} ({prim.name}; v{_format.subscript(n_ops)} in print(t)) produced a "
            f"non-finite value {_brief(v)} from inputs "
            + ", ".join(_brief(_plain(x)) for x in inputs)
            + " (Tape(check_finite=True))"
        )


def _brief(v: Any) -> str:
    if isinstance(v, np.ndarray) and v.size > 4:
        bad = int(np.size(v) - np.count_nonzero(np.isfinite(v)))
        return f"{_format.fmt_value(v)} ({bad} non-finite)"
    return _format.fmt_value(v)


# The caller's arrays saved by some tape, made read-only until the last tape holding them
# is freed: id -> (array, number of tapes holding it).
_LOCKS: dict[int, tuple[Array, int]] = {}

_LOCKS_GUARD = threading.Lock()

# Arrays a finaliser could not unlock because the lock was held (see Recorder.__del__); the
# next _lock or _unlock releases them.
_DEFERRED_UNLOCKS: list[list[Array]] = []


def _lock(arr: Array, into: list[Array]) -> None:
    """Make ``arr`` and the arrays it is a view of read-only, noting each in ``into`` (the
    tape's list of what it holds locked)."""
    with _LOCKS_GUARD:
        if _DEFERRED_UNLOCKS:
            _unlock_deferred()
        a: Any = arr
        while isinstance(a, np.ndarray):
            key = id(a)
            held = _LOCKS.get(key)
            if held is not None and held[0] is a:
                _LOCKS[key] = (a, held[1] + 1)
                into.append(a)
            elif a.flags.writeable:
                a.setflags(write=False)  # (setflags: half the cost of flags.writeable = ...)
                _LOCKS[key] = (a, 1)
                into.append(a)
            a = a.base


def _unlock(arrays: list[Array]) -> None:
    with _LOCKS_GUARD:
        if _DEFERRED_UNLOCKS:
            _unlock_deferred()
        _unlock_held(arrays)


def _unlock_deferred() -> None:
    """Release what finalisers left (the caller holds _LOCKS_GUARD)."""
    while _DEFERRED_UNLOCKS:
        _unlock_held(_DEFERRED_UNLOCKS.pop())


def _unlock_held(arrays: list[Array]) -> None:
    """Give back one tape's hold on ``arrays`` (the caller holds _LOCKS_GUARD)."""
    for arr in reversed(arrays):  # bases before their views
        key = id(arr)
        held = _LOCKS.get(key)
        if held is None or held[0] is not arr:
            continue
        if held[1] > 1:
            _LOCKS[key] = (arr, held[1] - 1)
        else:
            del _LOCKS[key]
            try:  # noqa: SIM105 (contextlib.suppress costs more than the flag itself)
                arr.setflags(write=True)
            except ValueError:  # a view of a base locked elsewhere
                pass
