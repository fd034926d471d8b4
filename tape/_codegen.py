"""A compiled tape as plain code: the Wengert list lowered to lines of NumPy and ``math``.

``Program.value_and_grad`` lowers its records ONCE into a plan: a list of lines, one per
record forward and one per input of each record backward, each line a target, an
expression template and its operands. Every decision the generic replay makes at run time
is made here, from the recording: which slots are constants (a record none of whose inputs
varies is folded to its recorded value), which adjoints exist yet, where broadcasting must
be summed back (an unbroadcast becomes a ``.sum(axis=…, keepdims=True)`` with literal axes,
or nothing), and what each row's forward and VJP read as on values of these shapes: the
row's plain code (``Primitive.code``, written next to the row in the table). Rows without
plain code, or records whose values it does not cover (float32, Vars), get a call of the
row's generic implementation and rules, which are always right.

The plan then runs on one of two paths:

- **compiled**: the lines become the source of one Python function (``Program.source()``,
  the Wengert list as NumPy code), compiled once::

      def value_and_grad(x0, x1):
          v0 = x0
          v1 = x1
          v2 = math.log(v0)                      # ln v₋₁
          v3 = v0 * v1
          ...
          a6 = 1.0
          a4 = a6
          a5 = -a6
          ...
          return v6, (a0, a1)

- **interpreted**: the lines become flat lists of op codes and operand slots, run by one
  loop over a list of slots (values, then adjoints, then constants). An op code is the
  line's template compiled once per distinct template (a handful per program: the
  templates name slots, not values) or, where the template is one operator or one call, the
  builtin itself (``operator.mul``, ``math.sin``). Building it is linear in the records and
  never calls ``compile`` on anything long; CPython's compiler costs 10–25 µs per line of
  source and its memory grows past ~10⁵ lines, so long tapes use this path. A loop in the
  user's code makes the same lines again and again: each chunk of lines whose shape repeats
  often is compiled once, for all its repeats, and runs as one op code (``_fuse_repeats``).

Plain code on Python floats uses ``math``, which raises where NumPy gives inf or nan
(``math.exp(1000.0)``, ``1.0 / 0.0``): the program then falls back to the generic replay for
that call, which gives NumPy's values (and its warnings), exactly as a fresh recording does.
Guards become lines that raise ``TapeInvalidated`` when their outcome changes.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from . import _table as P
from ._core import INPUT, Record, _plain, call, canonical
from ._forward import push_tangents
from ._rows import OUT, PRIM, ROWS, Code, Primitive
from ._sweep import unbroadcast

Line = tuple[int, str, tuple[int, ...]]
"""One line of a plan: (target slot, expression template over ``{0}``, ``{1}``..., the
operand slots). Slots index one list: values of records ``[0, n)``, their adjoints
``[n, 2n)``, then constants."""

NAMESPACE: dict[str, Any] = {
    "math": math,
    "np": np,
    "C": canonical,
    "U": unbroadcast,
    "float": float,
}
"""What templates may name besides their operands."""


class Plan(NamedTuple):
    """A lowered program (see the module doc).

    Attributes:
        n: The number of records (slots of values; adjoints follow at ``n + i``).
        consts: The constants' values, at slots ``2n + j``.
        hints: The constants' names in the compiled source (``K3``, ``R55``, a literal).
        fixed: Slots of records whose value is the recorded one (leaves that are not inputs,
            records computed from them alone): slot → value.
        lines: Forward lines then backward lines, in order.
        n_forward: How many of ``lines`` are the forward pass.
        inputs: The slot of each compiled input (-1: not on the tape or after the output).
        output: The slot of the (scalar) output.
        grads: For each input, the slot of its gradient, or -1 for zeros.
        plain: Whether any line is plain code (math may raise: see the module doc).
        jvp: Whether this is a plan of forward mode (``lower_jvp``): slots ``[n, 2n)`` hold
            tangents, and ``grads`` are the outputs' tangents.
    """

    n: int
    consts: list[Any]
    hints: list[str]
    fixed: dict[int, Any]
    lines: Any
    n_forward: int
    inputs: list[int]
    output: int
    grads: list[int]
    plain: bool
    jvp: bool = False


def _shape(v: Any) -> tuple[int, ...]:
    return () if type(v) is float else tuple(np.shape(v))


def _covered(v: Any) -> bool:
    """Whether plain code may handle this value: a float, a bool, a float64 or bool array."""
    t = type(v)
    if t is float or t is bool:
        return True
    return t is np.ndarray and (v.dtype == np.float64 or v.dtype == np.bool_)


_SIMPLE = re.compile(r"-?\{\w+\}|[\w.]+")


def _ph(k: int) -> str:
    """The placeholder of operand k in a line's template."""
    return "{" + str(k) + "}"


def _paren(e: str) -> str:
    """``e`` in parentheses unless it is one name, literal, placeholder or call, or already
    in parentheses."""
    if _SIMPLE.fullmatch(e):
        return e
    m = re.match(r"[\w.]*\(", e)
    if m and e.endswith(")"):
        depth = 0
        for k, ch in enumerate(e):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and k >= m.end() - 1:
                if k == len(e) - 1:
                    return e  # the opening parenthesis closes at the end
                break
    return f"({e})"


def _unbroadcast_code(ct: str, to: tuple[int, ...], frm: tuple[int, ...], to_float: bool) -> str:
    """The cotangent ``ct`` (of shape ``frm``) summed back to shape ``to``, as code (the
    table's ``_sum_to_code``; a float input gets a float)."""
    if to_float:
        return f"float({_paren(ct)}.sum())"
    return P._sum_to_code(_paren(ct), to, frm)


class _Lowering:
    """The state of one lowering pass: constants, their names, the lines."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.consts: list[Any] = []
        self.hints: list[str] = []
        self._by_id: dict[int, int] = {}
        self.lines: Any = []
        self.plain = False

    def const(self, value: Any, hint: str, share: bool = False) -> int:
        """The slot of a constant (shared by identity when ``share``: rows, rules)."""
        if share:
            j = self._by_id.get(id(value))
            if j is not None:
                return j
        j = 2 * self.n + len(self.consts)
        self.consts.append(value)
        self.hints.append(hint)
        if share:
            self._by_id[id(value)] = j
        return j


_RAW: dict[str, str] = {"1": "{g}", "-1": "-{g}"}
"""A partial's cotangent template, ``g · partial``, by partial."""


def _times(part: str) -> str:
    """``{g} · part``: a partial's cotangent template (``{g}`` and ``-{g}`` for ±1)."""
    return _RAW.get(part) or _RAW.setdefault(part, "{g} * " + _paren(part))


_BOUND: dict[tuple[Any, ...], tuple[str, tuple[int, ...]]] = {}
"""Templates already bound, by (template, inputs, names, which sources are the same slot):
binding is string work, and a long tape repeats a few templates many times."""


def _template(
    tpl: str, inputs: Sequence[int], named: dict[str, int]
) -> tuple[str, tuple[int, ...]]:
    """A row template with its placeholders bound: ``{0}`` → input 0's slot, ``{g}`` → the
    cotangent's, a const name → its slot. Returns the line template (placeholders renumbered
    in the order of first use, one operand per distinct slot) and its operands."""
    sources = [*inputs, *named.values()]
    same = tuple(sources.index(x) for x in sources)
    key = (tpl, len(inputs), tuple(named), same)
    got = _BOUND.get(key)
    if got is None:
        if len(_BOUND) > 50_000:  # (templates with literal shapes: many programs' worth)
            _BOUND.clear()
        order: list[int] = []
        where: dict[int, int] = {}

        def ph(source: int) -> str:
            source = same[source]
            k = where.get(source)
            if k is None:
                k = where[source] = len(order)
                order.append(source)
            return _ph(k)

        m = len(inputs)
        text = tpl.format(
            *(_Lazy(ph, j) for j in range(m)),
            **{name: _Lazy(ph, m + j) for j, name in enumerate(named)},
        )
        got = _BOUND[key] = (text, tuple(order))
    return got[0], tuple(sources[j] for j in got[1])


class _Lazy:
    """A placeholder that claims its operand number when it is formatted."""

    __slots__ = ("_ph", "_slot")

    def __init__(self, ph: Callable[[int], str], slot: int) -> None:
        self._ph, self._slot = ph, slot

    def __format__(self, spec: str) -> str:
        return self._ph(self._slot)


def lower(
    records: list[Record],
    inputs: list[int],
    output: int,
    alias_copies: bool = False,
    sink: Any = None,
) -> Plan:
    """Lower the records up to ``output`` into a plan (see the module doc). With
    ``alias_copies``, a backward line that would only copy an adjoint (the inputs of ``add``)
    is not emitted: the input's adjoint is read from where the copy came from. With a
    ``sink`` (anything with ``append`` and ``len``), the lines go there as they are made
    instead of into a list (the interpreter turns each into op codes at once)."""
    n = output + 1
    lo = _Lowering(n)
    if sink is not None:
        lo.lines = sink
    feed = {slot for slot in inputs if 0 <= slot < n}
    varies = [False] * n
    fixed: dict[int, Any] = {}
    codes: list[Code | None] = [None] * n
    quick: list[_Quick | None] = [None] * n
    lines = lo.lines
    by_id = lo._by_id
    # the interpreter's op list, filled directly by the scalar records' quick path
    code_list = sink.code if isinstance(sink, _OpLists) else None
    quick_of: dict[int, _Quick | None] = {}  # by row index and arity (8 · index + arity)
    for i in range(n):
        p, slots, params, ins, ans = records[i]
        row = ROWS[p]
        if row is INPUT:
            if i in feed:
                varies[i] = True
            else:
                fixed[i] = ans
            continue
        for s in slots:
            if s >= 0 and varies[s]:
                break
        else:
            fixed[i] = ans  # computed from constants alone: the recorded value
            continue
        varies[i] = True
        if params is None and type(ans) is float and row.code is not None and len(ins) < 8:
            # the scalar records of a long tape: one dictionary look-up each
            for x in ins:
                if type(x) is not float:
                    break
            else:
                key = 8 * p + len(ins)
                q: Any = quick_of.get(key, _MISSING)
                if q is _MISSING:
                    q = quick_of[key] = _quick(row, ins, ans)
                if q is not None:
                    ops = list(slots)
                    if -1 in slots:  # constants: their slots (one per object)
                        for j, c in enumerate(ins):
                            if ops[j] < 0:
                                ops[j] = by_id.get(id(c)) or lo.const(c, "", share=True)
                    quick[i] = q
                    if q.order != q.identity:
                        ops = [ops[j] for j in q.order]
                    if code_list is not None:
                        code_list.append(_op_tuple(q.f_out, i, ops))
                    else:
                        lines.append((i, q.out, tuple(ops)))
                    continue
        ops = _operands(lo, i, slots, ins)
        codes[i] = _forward_line(lo, records, i, row, ops)
    n_forward = len(lo.lines)

    # ----- the reverse sweep, with its bookkeeping done now ----------------------------------
    y = output
    ans_y = records[y][OUT]
    if type(ans_y) is float:
        seed = lo.const(1.0, "1.0")
    else:
        seed = lo.const(np.ones_like(_plain(ans_y)), "ONE")
    loc = [-1] * n  # the slot that holds each adjoint now (-1: not reached)
    if varies[y]:
        lo.lines.append((n + y, "{0}", (seed,)))
        loc[y] = n + y
    for i in range(y, -1, -1):
        g = loc[i]
        if g < 0:
            continue
        p, slots, params, ins, ans = records[i]
        row = ROWS[p]
        if row is INPUT or not row.differentiable:
            continue
        q = quick[i]
        if q is not None:
            # (every constant input was given its slot by the forward pass)
            sources = [*slots, g, i]
            if -1 in slots:
                for j, c in enumerate(ins):
                    if slots[j] < 0:
                        sources[j] = by_id[id(c)]
            for k, bt, order in q.back:
                s = slots[k]
                if s < 0 or not varies[s]:
                    continue
                back_ops = [sources[j] for j in order]
                if loc[s] >= 0:
                    back_ops.append(loc[s])
                    if code_list is not None:
                        code_list.append(_op_tuple(bt.f_acc, n + s, back_ops))
                    else:
                        lines.append((n + s, bt.acc, tuple(back_ops)))
                elif alias_copies and bt.text == "{0}":
                    loc[s] = back_ops[0]
                    continue
                elif code_list is not None:
                    code_list.append(_op_tuple(bt.f_text, n + s, back_ops))
                else:
                    lines.append((n + s, bt.text, tuple(back_ops)))
                loc[s] = n + s
            continue
        code = codes[i]
        if code is not None and code.partials is not None and len(set(slots)) < len(slots):
            code = _merged_partials(code, slots)  # x * x: one line g · (x + x), not two
        bops: list[int] | None = None
        for k, s in enumerate(slots):
            if s < 0 or not varies[s]:
                continue
            if bops is None:
                bops = _operands(lo, i, slots, ins)
            if code is not None:
                line = _plain_cotangent(lo, code, row, k, g, i, bops, ins, ans)
            else:
                line = _generic_cotangent(lo, row, k, g, i, bops, params, ins, ans)
            if line is None:
                continue
            tpl, operands = line
            if loc[s] >= 0:  # accumulate into a new value (never in place: values are shared)
                tpl = f"{_ph(len(operands))} + {_paren(tpl)}"
                lo.lines.append((n + s, tpl, (*operands, loc[s])))
            elif alias_copies and tpl == "{0}":
                loc[s] = operands[0]  # the adjoint IS the record's: read it from there
                continue
            else:
                lo.lines.append((n + s, tpl, operands))
            loc[s] = n + s
    grads = [loc[s] if 0 <= s < n else -1 for s in inputs]
    return Plan(n, lo.consts, lo.hints, fixed, lo.lines, n_forward, inputs, output, grads, lo.plain)


def _forward_line(
    lo: _Lowering, records: list[Record], i: int, row: Primitive, ops: list[int]
) -> Code | None:
    """Append record i's forward line (its row's plain code, a guard's check, or a call of
    the row's implementation); returns the plain code used, if any."""
    _, _, params, ins, ans = records[i]
    code = None
    if row.code is not None and _covered(ans) and all(_covered(x) for x in ins):
        code = row.code(ins, ans, params or {})
    if row is P.GUARD:
        check = lo.const(_guard_check(records, i), f"G{i}")
        lo.lines.append((i, "{0}({1})", (check, ops[0])))
    elif code is not None:
        named = {k: lo.const(v, _hint(k, v, i)) for k, v in (code.consts or {}).items()}
        tpl, operands = _template(code.out, ops, named)
        lo.lines.append((i, _as_recorded(tpl, ins, ans), operands))
        lo.plain = True
    else:
        lo.lines.append(_generic_forward(lo, i, row, ops, params, ins, ans))
    return code


def _as_recorded(tpl: str, ins: tuple[Any, ...], ans: Any) -> str:
    """``tpl`` made a float where the recording has a float from arrays (a reduction's
    NumPy scalar, as the recording has it)."""
    if type(ans) is float and any(type(x) is not float for x in ins):
        return f"float({tpl})"
    return tpl


# ----- forward mode: a tangent line after each record's line ------------------------------------


def lower_jvp(
    records: list[Record], inputs: list[int], outputs: list[int], sink: Any = None
) -> Plan:
    """Lower the records up to the last output into a plan of forward mode: each record's
    forward line, then (where an input carries a tangent) its tangent line, the sum of its
    inputs' contributions (``_tangent_template``). The tangent of record i lives in slot
    ``n + i`` (where the adjoints of a reverse plan live), a copy of another slot's tangent
    is read from there; every compiled input carries a tangent. The plan's ``grads`` are
    the outputs' tangent slots (-1: none, a zero), its ``output`` the last output."""
    n = max(outputs) + 1
    lo = _Lowering(n)
    if sink is not None:
        lo.lines = sink
    feed = {slot for slot in inputs if 0 <= slot < n}
    varies = [False] * n
    tloc = [-1] * n  # the slot that holds each record's tangent (-1: none)
    fixed: dict[int, Any] = {}
    for i in range(n):
        p, slots, _, ins, ans = records[i]
        row = ROWS[p]
        if row is INPUT:
            if i in feed:
                varies[i] = True
                tloc[i] = n + i
            else:
                fixed[i] = ans
            continue
        if not any(s >= 0 and varies[s] for s in slots):
            fixed[i] = ans  # computed from constants alone: the recorded value
            continue
        varies[i] = True
        ops = _operands(lo, i, slots, ins)
        code = _forward_line(lo, records, i, row, ops)
        carried = [k for k, s in enumerate(slots) if s >= 0 and tloc[s] >= 0]
        if not row.differentiable or not carried:
            continue
        line = None
        if code is not None:
            if code.partials is not None and len(set(slots)) < len(slots):
                code = _merged_partials(code, slots)  # x * x: one term d · (x + x)
            line = _plain_tangent(lo, code, row, carried, i, ops, tloc, ins, ans)
        if line is None:
            line = _generic_tangent(lo, row, i, ops, tloc, records[i])
        if line is _NO_TANGENT:
            continue
        tpl, operands = line
        if tpl == "{0}":
            tloc[i] = operands[0]  # the tangent IS an input's: read it from there
            continue
        lo.lines.append((n + i, tpl, operands))
        tloc[i] = n + i
    grads = [tloc[s] for s in outputs]
    return Plan(
        n,
        lo.consts,
        lo.hints,
        fixed,
        lo.lines,
        len(lo.lines),
        inputs,
        outputs[-1],
        grads,
        lo.plain,
        jvp=True,
    )


_NO_TANGENT: tuple[str, tuple[int, ...]] = ("", ())
"""A tangent line that is not there: no input that carries a tangent has a derivative."""

_UNKNOWN = object()


def _tangent_template(code: Code, row: Primitive, k: int, arity: int) -> Any:
    """Input k's contribution to the output's tangent, ``{d}`` its tangent: from the row's
    ``jvp``, from its partial (``d · ∂out/∂xₖ``), from its VJP where the one rule serves
    both modes (a diagonal or symmetric Jacobian is its own transpose), or from its own
    ``out`` for a linear row of one input (of several, ``out`` is linear in them jointly,
    not in each). None for no derivative; ``_UNKNOWN`` where the
    plain code does not say."""
    if code.jvp is not None:
        return code.jvp[k]
    if code.partials is not None:
        part = code.partials[k]
        if part is None:
            return None
        return _times(part).replace("{g}", "{d}")
    if code.vjp is not None and row.vjp is row.jvp:
        v = code.vjp[k]
        return None if v is None else v.replace("{g}", "{d}")
    if arity == 1 and row in _LINEAR_ROWS:
        return code.out.replace("{0}", "{d}")
    return _UNKNOWN


_LINEAR_ROWS = frozenset(P.LINEAR)


_PLACEHOLDER = re.compile(r"\{(\d+)\}")


def _shifted(text: str, by: int) -> str:
    """A bound template's placeholders renumbered from ``by`` (to follow another's)."""
    return _PLACEHOLDER.sub(lambda m: _ph(int(m.group(1)) + by), text)


def _plain_tangent(
    lo: _Lowering,
    code: Code,
    row: Primitive,
    carried: list[int],
    i: int,
    ops: list[int],
    tloc: list[int],
    ins: tuple[Any, ...],
    ans: Any,
) -> tuple[str, tuple[int, ...]] | None:
    """Record i's tangent from its row's plain code: the sum of the contributions of the
    inputs that carry a tangent, broadcast to the output's shape where an input has
    another; None where the plain code does not say."""
    parts: list[str] = []
    operands: list[int] = []
    shapes: list[tuple[int, ...]] = []  # of the inputs that contribute
    named_base = {k: lo.const(v, _hint(k, v, i)) for k, v in (code.consts or {}).items()}
    for k in carried:
        tpl = _tangent_template(code, row, k, len(ins))
        if tpl is _UNKNOWN:
            return None
        if tpl is None:
            continue
        named = dict(named_base)
        named["d"], named["ans"] = tloc[ops[k]], i
        text, used = _template(tpl, ops, named)
        if operands:
            text = _shifted(text, len(operands))
        parts.append(text if len(carried) == 1 else _paren(text))
        operands.extend(used)
        shapes.append(_shape(ins[k]))
    if not parts:
        return _NO_TANGENT
    text = " + ".join(parts)
    if row.elementwise and type(ans) is not float and _shape(ans) not in shapes:
        # (a contribution has its input's shape or the output's: an input of the output's
        # shape makes the sum the output's)
        text = f"np.broadcast_to({text}, {_shape(ans)!r})"
    lo.plain = True
    return _as_recorded(text, ins, ans), tuple(operands)


def _merged_partials(code: Code, slots: tuple[int, ...]) -> Code:
    """``code`` for a record that reads one slot as several inputs: the partials of those
    inputs summed into the first one's (the others None), so its cotangent is one line."""
    assert code.partials is not None
    merged = list(code.partials)
    for k, s in enumerate(slots):
        if s < 0 or merged[k] is None:
            continue
        for k2 in range(k + 1, len(slots)):
            p2 = merged[k2]
            if slots[k2] == s and p2 is not None:
                p1 = merged[k]
                assert p1 is not None
                merged[k] = "2.0" if p1 == p2 == "1" else f"{_signed(p1)} + {_signed(p2)}"
                merged[k2] = None
    return code._replace(partials=tuple(merged))


def _signed(partial: str) -> str:
    """A partial as an expression: ``"1"`` and ``"-1"`` (±the cotangent) as numbers."""
    return {"1": "1.0", "-1": "(-1.0)"}.get(partial, _paren(partial))


class _Text(NamedTuple):
    """A bound cotangent template, and the same accumulated into an adjoint (the adjoint
    being the operand after the others), with the interpreter's op code of each."""

    text: str
    acc: str
    f_text: Callable[..., Any]
    f_acc: Callable[..., Any]


class _Quick(NamedTuple):
    """A scalar record's lines, bound once for all records of its row and input pattern:
    the forward template and the order of its operands among the inputs; per input with a
    derivative, its cotangent template and operand order among (inputs..., g, ans)."""

    out: str
    order: tuple[int, ...]
    back: tuple[tuple[int, _Text, tuple[int, ...]], ...]
    f_out: Callable[..., Any]
    identity: tuple[int, ...]  # the operands in the inputs' order: order needs no mapping


_QUICK: dict[tuple[Any, ...], _Quick | None] = {}
_MISSING = object()
_NO_PARAMS: dict[str, Any] = {}


def _quick(row: Primitive, ins: tuple[Any, ...], ans: Any) -> _Quick | None:
    """The quick form of a record whose inputs and output are all floats (no params), or
    None when its row's plain code has none (constants, no plain code for such values)."""
    assert row.code is not None
    code = row.code(ins, ans, _NO_PARAMS)
    if code is None or code.consts:
        return None
    m = len(ins)
    key = (code, m)
    got = _QUICK.get(key, _MISSING)
    if got is not _MISSING:
        return got  # type: ignore[return-value]
    sym = list(range(m))  # distinct inputs (a record of x·x binds the same template)
    out, order = _template(code.out, sym, {})
    back = []
    for k in range(m):
        if code.partials is not None:
            part = code.partials[k]
            if part is None:
                continue
            raw = _times(part)
        else:
            part = None if code.vjp is None else code.vjp[k]
            if part is None:
                continue
            raw = part
        text, bo = _template(raw, sym, {"g": m, "ans": m + 1})
        acc = f"{_ph(len(bo))} + {_paren(text)}"
        bt = _Text(text, acc, op_code(text, len(bo)), op_code(acc, len(bo) + 1))
        back.append((k, bt, bo))
    q = _QUICK[key] = _Quick(out, order, tuple(back), op_code(out, len(order)), tuple(range(m)))
    return q


def _hint(key: str, value: Any, i: int) -> str:
    """A plain code constant's name in the source: a function's own, else key and record."""
    name = getattr(value, "__name__", None)
    return name if callable(value) and isinstance(name, str) else f"{key}{i}"


def _operands(lo: _Lowering, i: int, slots: tuple[int, ...], ins: tuple[Any, ...]) -> list[int]:
    """The slots of a record's inputs: their records', or a constant's (one per object)."""
    return [
        s if s >= 0 else lo.const(c, f"K{i}_{j}", share=True)
        for j, (s, c) in enumerate(zip(slots, ins, strict=True))
    ]


def _plain_cotangent(
    lo: _Lowering,
    code: Code,
    row: Primitive,
    k: int,
    g: int,
    i: int,
    ops: list[int],
    ins: tuple[Any, ...],
    ans: Any,
) -> tuple[str, tuple[int, ...]] | None:
    """Input k's cotangent from the row's plain code, summed back to its shape."""
    if code.partials is not None:
        part = code.partials[k]
        if part is None:
            return None
        raw = _times(part)
    else:
        part = None if code.vjp is None else code.vjp[k]
        if part is None:
            return None
        raw = part
    if row.elementwise:
        to, frm = _shape(ins[k]), _shape(ans)
        if to != frm:
            raw = _unbroadcast_code(raw, to, frm, type(ins[k]) is float)
    named = {name: lo.const(v, _hint(name, v, i)) for name, v in (code.consts or {}).items()}
    named["g"], named["ans"] = g, i
    lo.plain = True
    return _template(raw, ops, named)


def _generic_cotangent(
    lo: _Lowering,
    row: Primitive,
    k: int,
    g: int,
    i: int,
    ops: list[int],
    params: Any,
    ins: tuple[Any, ...],
    ans: Any,
) -> tuple[str, tuple[int, ...]] | None:
    """Input k's cotangent by the row's VJP rule (summed back by ``unbroadcast``)."""
    rule = row.vjp[0] if row.variadic else row.vjp[k]
    if rule is None:
        return None
    p = row.index
    operands = [lo.const(rule, f"V{p}_{k}", share=True), g, i, *ops]
    args = ", ".join(_ph(j) for j in range(1, len(operands)))
    kwargs = dict(params or {})
    if row.variadic:
        kwargs["argnum"] = k
    if kwargs:
        operands.append(lo.const(kwargs, f"P{i}" + (f"_{k}" if row.variadic else "")))
        args += f", **{_ph(len(operands) - 1)}"
    tpl = "{0}(" + args + ")"
    if row.broadcasts and (np.shape(_plain(ins[k])) != np.shape(_plain(ans)) or row is P.MATMUL):
        operands.append(ops[k])
        tpl = f"U({tpl}, {_ph(len(operands) - 1)})"
    return tpl, tuple(operands)


def _generic_tangent(
    lo: _Lowering, row: Primitive, i: int, ops: list[int], tloc: list[int], record: Record
) -> tuple[str, tuple[int, ...]]:
    """Record i's tangent by the row's JVP rules (``push_tangents``, as forward mode over a
    recording computes it)."""
    _, slots, params, _, _ = record
    none = lo.const(None, "None", share=True)
    ts = [tloc[s] if s >= 0 and tloc[s] >= 0 else none for s in slots]
    operands = [
        lo.const(_push, "T", share=True),
        lo.const(row, f"R{row.index}", share=True),
        lo.const(params or {}, f"P{i}"),
        i,
        *ops,
        *ts,
    ]
    return "{0}(" + ", ".join(_ph(j) for j in range(1, len(operands))) + ")", tuple(operands)


def _push(row: Primitive, params: dict[str, Any], ans: Any, *values: Any) -> Any:
    """``push_tangents`` with the record's inputs, then their tangents, as arguments."""
    m = len(values) // 2
    return push_tangents(row, values[:m], values[m:], ans, params)


def _generic_forward(
    lo: _Lowering, i: int, row: Primitive, ops: list[int], params: Any, ins: Any, ans: Any
) -> Line:
    """``C(row, row.impl(*inputs, **params))``: the row's own implementation."""
    p = row.index
    operands = [lo.const(row.impl, f"F{p}", share=True), *ops]
    args = ", ".join(_ph(k + 1) for k in range(len(ops)))
    if params:
        operands.append(lo.const(params, f"P{i}"))
        args += f", **{_ph(len(operands) - 1)}"
    tpl = "{0}(" + args + ")"
    # rows give floats for float inputs; a NumPy reduction's scalar is made a float
    if type(ans) is not float or any(isinstance(x, np.ndarray) for x in ins):
        operands.append(lo.const(row, f"R{p}", share=True))
        tpl = f"C({_ph(len(operands) - 1)}, {tpl})"
    return (i, tpl, tuple(operands))


def _guard_check(records: list[Record], i: int) -> Callable[[Any], Any]:
    """The guard of record ``i`` as a function of its input: its outcome, or
    ``TapeInvalidated`` when the outcome differs from the recorded one."""
    _, slots, params, _, expected = records[i]
    kind = (params or {}).get("kind", "?")
    made = ROWS[records[slots[0]][PRIM]].name
    kw = params or {}

    def check(x: Any) -> Any:
        v = call(P.GUARD, (x,), kw)
        if not same(_plain(v), expected):
            raise guard_message(i, kind, slots[0], made, expected, _plain(v))
        return v

    return check


def same(a: Any, b: Any) -> bool:
    """Whether a guard's outcome at replay is the recorded one."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))
    return bool(a == b)


class TapeInvalidated(RuntimeError):
    """A replay reached inputs where a guard (a value that left the tape for Python control
    flow while recording) comes out differently: the recorded list is not the program f
    runs there. Record f again at these inputs."""


def guard_message(
    i: int, kind: str, slot: int, made_by: str, expected: Any, actual: Any
) -> TapeInvalidated:
    """The error for a guard that comes out differently at replay."""
    return TapeInvalidated(
        f"guard at record {i}: {P.guard_call(kind)} of record {slot} ({made_by}) gave "
        f"{expected!r} while recording and {actual!r} at these inputs; the Python code "
        "took another path here. Record again."
    )


# ----- the compiled path: the plan as the source of one function --------------------------------


def _literal(v: Any) -> str | None:
    """``v`` as a Python literal, if it is a small plain one (a finite float, an axis tuple)."""
    t = type(v)
    if t is float:
        if not math.isfinite(v):
            return None
        return f"({v!r})" if v < 0 or (v == 0 and math.copysign(1.0, v) < 0) else repr(v)
    if t is int or t is bool or v is None:
        return f"({v!r})" if t is int and v < 0 else repr(v)
    if t is tuple and all(type(e) is int for e in v):
        return repr(v)
    return None


def source(plan: Plan) -> tuple[str, dict[str, Any]]:
    """The plan as the source of ``value_and_grad(x0, x1, ...)``, and its namespace."""
    ns: dict[str, Any] = dict(NAMESPACE)
    n = plan.n
    const_names: dict[int, str] = {}

    def const_name(j: int, value: Any, hint: str) -> str:
        got = const_names.get(j)
        if got is not None:
            return got
        lit = _literal(value)
        if lit is not None:
            const_names[j] = lit
            return lit
        base = hint or f"c{j - 2 * n}"
        name, k = base, 1
        while name in ns and ns[name] is not value:
            name, k = f"{base}_{k}", k + 1
        ns[name] = value
        const_names[j] = name
        return name

    def name(j: int) -> str:
        if j < n:
            if j in plan.fixed:
                return const_name(j, plan.fixed[j], f"K{j}")
            return f"v{j}"
        if j < 2 * n:
            return f"{'t' if plan.jvp else 'a'}{j - n}"
        c = j - 2 * n
        return const_name(j, plan.consts[c], plan.hints[c])

    body = [f"v{s} = x{k}" for k, s in enumerate(plan.inputs) if 0 <= s < n]
    if plan.jvp:
        body += [f"t{s} = d{k}" for k, s in enumerate(plan.inputs) if 0 <= s < n]
    for t, tpl, ops in plan.lines:
        expr = tpl.format(*(name(j) for j in ops))
        body.append(f"{name(t)} = " + (_decided(expr) if " if " in expr else expr))
    grads = [name(j) if j >= 0 else "None" for j in plan.grads]
    listed = f"({', '.join(grads)}{',' if len(grads) == 1 else ''})"
    params = ", ".join(f"x{k}" for k in range(len(plan.inputs)))
    if plan.jvp:
        body.append(f"return {listed}")
        params += ", " + ", ".join(f"d{k}" for k in range(len(plan.inputs)))
        src = f"def jvp({params}):\n"
    else:
        body.append(f"return {name(plan.output)}, {listed}")
        src = f"def value_and_grad({params}):\n"
    src += "".join(f"    {line}\n" for line in body)
    return src, ns


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
}


class _Decide(ast.NodeTransformer):
    """Decides what a line's literals decide: a conditional on two numbers takes its branch,
    and arithmetic on two numbers is done."""

    changed = False

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)  # (a negative literal is written (-1.0): a negation)
        if isinstance(node.op, ast.USub) and _number(node.operand):
            return ast.copy_location(ast.Constant(-node.operand.value), node)  # type: ignore[attr-defined]
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            a, b = node.left, node.comparators[0]
            if _number(a) and _number(b):
                value = _COMPARE[type(node.ops[0])](a.value, b.value)  # type: ignore[attr-defined]
                self.changed = True
                return ast.copy_location(ast.Constant(value), node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if type(node.op) in _ARITHMETIC and _number(node.left) and _number(node.right):
            value = _ARITHMETIC[type(node.op)](node.left.value, node.right.value)  # type: ignore[attr-defined]
            if math.isfinite(value):
                self.changed = True
                return ast.copy_location(ast.Constant(value), node)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        test = node.test
        if isinstance(test, ast.Constant) and type(test.value) is bool:
            self.changed = True
            return node.body if test.value else node.orelse
        return node


def _number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _decided(expr: str) -> str:
    """``expr`` with the conditionals its literals decide taken (a template's edge case for a
    constant, ``2.0 * np.power(v2, 2.0 - 1.0) if 2.0 != 0.0 else …`` → ``2.0 * np.power(v2,
    1.0)``): the program reads as the recorded function, and skips the test on every call."""
    decide = _Decide()
    tree = decide.visit(ast.parse(expr, mode="eval"))
    return ast.unparse(tree) if decide.changed else expr


def compile_plan(plan: Plan) -> tuple[str, Callable[..., Any]]:
    """The plan compiled: its source and the function."""
    src, ns = source(plan)
    exec(compile(src, "<tape program>", "exec"), ns)
    fn: Callable[..., Any] = ns["jvp" if plan.jvp else "value_and_grad"]
    return src, fn


# ----- the interpreted path: flat op codes and slots ---------------------------------------------

_BUILTINS: dict[str, Callable[..., Any]] = {
    "{0} + {1}": operator.add,
    "{0} - {1}": operator.sub,
    "{0} * {1}": operator.mul,
    "{0} / {1}": operator.truediv,
    "{0} @ {1}": operator.matmul,
    "-{0}": operator.neg,
    "{0} > {1}": operator.gt,
    "{0} < {1}": operator.lt,
    "{0} >= {1}": operator.ge,
    "{0} <= {1}": operator.le,
}
_CALL = re.compile(r"([A-Za-z_][\w.]*)\((\{0\}(?:, \{1\})?(?:, \{2\})?)\)")
_BUILTIN_TYPES = (type(math.sin), np.ufunc)
_OPS: dict[tuple[str, int], Callable[..., Any]] = {}
"""Op codes by (template, operand count), shared by every program: one compile each."""
_TEXT_OF: dict[int, str] = {}
"""Each op code's template, by ``id`` (``_OPS`` keeps them alive): what a fused chunk of
lines is written from."""


def op_code(tpl: str, arity: int) -> Callable[..., Any]:
    """The function a line's template stands for: the builtin itself where the template is
    one operator or one call of a builtin on the operands in order, else the template
    compiled once into a lambda."""
    key = (tpl, arity)
    f = _OPS.get(key)
    if f is not None:
        return f
    f = _BUILTINS.get(tpl) if arity == tpl.count("{") else None
    m = _CALL.fullmatch(tpl)
    if f is None and m is not None and m.group(2).count("{") == arity:
        obj: Any = NAMESPACE
        for part in m.group(1).split("."):
            obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
        if isinstance(obj, _BUILTIN_TYPES):
            f = obj
    if f is None:
        names = [f"_{k}" for k in range(arity)]
        f = eval(f"lambda {', '.join(names)}: " + tpl.format(*names), NAMESPACE)
    _OPS[key] = f
    _TEXT_OF.setdefault(id(f), tpl)
    return f


class _OpLists:
    """Where the interpreter's lowering puts its lines: per line one tuple (op code, target
    slot, operand slots), made as the line is (no line is kept). A list of tuples runs about
    a fifth faster than five parallel lists zipped, for 40 bytes more a line."""

    __slots__ = ("code",)

    def __init__(self) -> None:
        self.code: list[tuple[Callable[..., Any], int, Any, int, int]] = []

    def __len__(self) -> int:
        return len(self.code)

    def append(self, line: Line) -> None:
        t, tpl, ops = line
        k = len(ops)
        self.code.append(_op_tuple(_OPS.get((tpl, k)) or op_code(tpl, k), t, ops))


def _op_tuple(
    f: Callable[..., Any], t: int, ops: Sequence[int]
) -> tuple[Callable[..., Any], int, Any, int, int]:
    """One interpreter line: (op code, target, operand slots a, b, c), with b = -1 for one
    operand and b = -2 for more than three (then a is the tuple of all of them)."""
    k = len(ops)
    if k == 2:
        a, b = ops
        return (f, t, a, b, -1)
    if k == 1:
        return (f, t, ops[0], -1, -1)
    if k == 3:
        a, b, c = ops
        return (f, t, a, b, c)
    return (f, t, tuple(ops), -2, -1)


CHUNK = 120
"""Lines per chunk of an interpreted program that ``_fuse_repeats`` may compile (divisible by
2, 3, 4, 5, 6 and 8, so a loop whose body records that many lines repeats in one shape)."""

FUSE_MIN_REPEATS = 16
"""A chunk's shape is compiled when it occurs at least this often: compiling one costs about
as much as 40 calls of the program save on it."""

FUSE_MAX_LINES = 6_000
"""At most this many lines are compiled for one program (about 0.1 s of ``compile``)."""


_Op = tuple[Callable[..., Any], int, Any, int, int]


def _fuse_repeats(code: list[_Op], n: int, consts: list[Any]) -> list[_Op]:
    """The interpreter's lines with the chunks that repeat compiled, a function each.

    A loop in the user's code records the same operations again and again, so its lines
    repeat with the slots they work on moved along. The lines are cut into chunks of
    ``CHUNK``; a chunk's *shape* is its op codes, with each slot it reads or writes written
    relative to its first target where that is near (fewer than ``_NEAR`` slots away: the
    values the loop's body just made), and as a hole otherwise: a constant (a loop over
    data has new ones every time round), or a far slot (a parameter every round reads, the
    gradient every round adds to, the values the backward lines read). A shape that occurs
    ``FUSE_MIN_REPEATS`` times or more is compiled once into ``chunk(S, o, K, H)``: its
    lines as Python source (operators and calls inline, no dispatch per line), the near
    slots in local variables (read once, written back at the end), the holes read from
    the chunk's own constants ``K`` and far slots ``S[H[i]]`` as each line needs them. Near
    and far slots never meet, so the locals cannot go stale. Each such chunk then runs as
    one line of the interpreter; everything else stays as it was. (The shapes are computed
    with NumPy over columns of the lines: a Python loop per line cost as much as lowering.)
    """
    k = len(code) // CHUNK
    if k < FUSE_MIN_REPEATS:
        return code
    limit = 2 * n
    shape_of: dict[bytes, int] = {}  # a shape -> its number
    first: list[int] = []  # a shape's first chunk
    counts: list[int] = []
    rows: list[Any] = []  # a shape's rows (op code id, operands a, b, c, target)
    ids: list[int] = []  # each chunk's shape number, -1 for none
    holes: list[tuple[Any, Any]] = []  # each chunk's constant slots and far slots, in order
    for j0 in range(0, k, _FUSE_BLOCK):  # a block of chunks at a time: bounded temporaries
        j1 = min(k, j0 + _FUSE_BLOCK)
        cols, bad, chunk_holes = _shapes(code[j0 * CHUNK : j1 * CHUNK], j1 - j0, limit)
        holes.extend(chunk_holes)
        for j in range(j1 - j0):
            if bad[j]:
                ids.append(-1)
                continue
            sid = shape_of.setdefault(cols[j].tobytes(), len(first))
            if sid == len(first):
                first.append(j0 + j)
                counts.append(0)
                rows.append(cols[j].tolist())
            counts[sid] += 1
            ids.append(sid)
    del shape_of
    compiled: dict[int, Callable[..., Any]] = {}
    budget = FUSE_MAX_LINES
    for sid in sorted(range(len(first)), key=lambda sid: -counts[sid]):
        if counts[sid] < FUSE_MIN_REPEATS or budget < CHUNK:
            break
        j = first[sid]
        compiled[sid] = _compile_chunk(rows[sid], code[j * CHUNK : (j + 1) * CHUNK])
        budget -= CHUNK
    if not compiled:
        return code
    out: list[_Op] = []
    done = 0
    for j, sid in enumerate(ids):
        fn = compiled.get(sid)
        if fn is None:
            continue
        start = j * CHUNK
        out.extend(code[done:start])
        ks, hs = holes[j]
        K = tuple([consts[c - limit] for c in ks.tolist()])
        out.append((fn, code[start][1], (K, tuple(hs.tolist())), -3, -1))
        done = start + CHUNK
    out.extend(code[done:])
    return out


_FUSE_BLOCK = 256  # chunks whose shapes are computed together
_NEAR = 4 * CHUNK  # slots this close to a chunk's first target are its locals
_CONST = 1 << 60  # in a shape: a constant (relative slots are far smaller)
_FAR = (1 << 60) + 1  # in a shape: a far slot
_NONE = -(1 << 60)  # in a shape: no operand there


def _shapes(
    code: list[_Op], k: int, limit: int
) -> tuple[npt.NDArray[np.int64], list[bool], list[tuple[Any, Any]]]:
    """The shapes of ``k`` chunks of lines (see ``_fuse_repeats``), as rows of int64: op
    code id, then operands a, b, c and the target, each a slot relative to the chunk's
    first target, ``_CONST``, ``_FAR`` or ``_NONE``; whether each chunk cannot be fused (a
    line of more than three operands, or a chunk already); and each chunk's holes: its
    constants' slots and its far slots, in the order its lines read and write them."""
    fs, ts, as_, bs, cs = zip(*code, strict=True)
    b = np.array(bs, dtype=np.int64)
    several = b < -1
    if several.any():
        as_ = tuple(-1 if x else a for a, x in zip(as_, several.tolist(), strict=True))
    t = np.array(ts, dtype=np.int64)
    slots = np.stack([np.array(as_, dtype=np.int64), b, np.array(cs, dtype=np.int64), t], -1)
    slots = slots.reshape(k, CHUNK, 4)
    rel = slots - t.reshape(k, CHUNK)[:, :1, None]
    none = slots < 0
    const = slots >= limit
    far = ~none & ~const & (np.abs(rel) >= _NEAR)
    enc = np.where(none, _NONE, np.where(const, _CONST, np.where(far, _FAR, rel)))
    ids = np.fromiter(map(id, fs), np.int64, len(fs)).reshape(k, CHUNK, 1)
    cols: npt.NDArray[np.int64] = np.concatenate([ids, enc], axis=-1)
    bad: list[bool] = np.asarray(several.reshape(k, CHUNK).any(axis=1)).tolist()
    cuts_k = np.cumsum(const.reshape(k, -1).sum(axis=1))[:-1]
    cuts_h = np.cumsum(far.reshape(k, -1).sum(axis=1))[:-1]
    ks = np.split(slots[const], cuts_k)
    hs = np.split(slots[far], cuts_h)
    return cols, bad, list(zip(ks, hs, strict=True))


def _compile_chunk(shape: list[list[int]], lines: list[_Op]) -> Callable[..., Any]:
    """One chunk's shape (rows of op code id, operands, target; see ``_fuse_repeats``) as
    ``chunk(S, o, KH)``; ``lines`` are one chunk of that shape."""
    body: list[str] = []
    names: dict[int, str] = {}
    written: dict[int, str] = {}
    count = {"K": 0, "H": 0}

    def hole(kind: str) -> str:
        count[kind] += 1
        return f"{kind}[{count[kind] - 1}]"

    def read(j: int) -> str:
        if j == _CONST:
            return hole("K")
        if j == _FAR:
            return f"S[{hole('H')}]"
        got = names.get(j)
        if got is None:
            got = names[j] = f"l{len(names)}"
            body.append(f"{got} = S[o + {j}]")
        return got

    for (_, a, b, c, t), line in zip(shape, lines, strict=True):
        expr = _TEXT_OF[id(line[0])].format(*[read(j) for j in (a, b, c) if j != _NONE])
        if t == _FAR:
            body.append(f"S[{hole('H')}] = {expr}")
            continue
        target = names.get(t)
        if target is None:
            target = names[t] = f"l{len(names)}"
        body.append(f"{target} = {expr}")
        written[t] = target
    body.extend(f"S[o + {t}] = {name}" for t, name in written.items())
    src = "def chunk(S, o, KH):\n    K, H = KH\n" + "".join(f"    {line}\n" for line in body)
    ns: dict[str, Any] = dict(NAMESPACE)
    exec(compile(src, "<tape chunk>", "exec"), ns)
    fn: Callable[..., Any] = ns["chunk"]
    return fn


class Interpreter:
    """The records as one flat list: per line an op code, its target slot and its operand
    slots, run by one loop over one list of slots (values, adjoints, constants). Building
    it is one pass over the records; no long source is compiled (only each distinct
    template, once, shared by every program, and each chunk shape that repeats, once per
    program: see ``_fuse_repeats``)."""

    __slots__ = ("_grads", "_inputs", "_jvp", "_ops", "_output", "_slots")

    def __init__(
        self, records: list[Record], inputs: list[int], output: int, jvp: list[int] | None = None
    ) -> None:
        """The program of ``value_and_grad`` at ``output``, or with ``jvp`` (the outputs)
        the program of forward mode, called with the inputs and then their tangents."""
        ops = _OpLists()
        if jvp is None:
            plan = lower(records, inputs, output, alias_copies=True, sink=ops)
        else:
            plan = lower_jvp(records, inputs, jvp, sink=ops)
        n = plan.n
        slots: list[Any] = [None] * (2 * n)
        for s, v in plan.fixed.items():
            slots[s] = v
        slots.extend(plan.consts)
        self._slots = slots
        ops.code = _fuse_repeats(ops.code, n, plan.consts)
        self._ops = ops
        self._inputs = [(k, s) for k, s in enumerate(plan.inputs) if 0 <= s < n]
        if plan.jvp:  # then the tangents, in the tangent slots
            m = len(plan.inputs)
            self._inputs += [(m + k, n + s) for k, s in self._inputs]
        self._output = plan.output
        self._grads = plan.grads
        self._jvp = plan.jvp

    def __len__(self) -> int:
        return len(self._ops)

    def __call__(self, *xs: Any) -> Any:
        S = self._slots.copy()
        for k, s in self._inputs:
            S[s] = xs[k]
        for f, t, a, b, c in self._ops.code:
            if b >= 0:
                if c < 0:
                    S[t] = f(S[a], S[b])
                else:
                    S[t] = f(S[a], S[b], S[c])
            elif b == -1:
                S[t] = f(S[a])
            elif b == -2:
                S[t] = f(*[S[j] for j in a])
            else:  # a compiled chunk of lines (see _fuse_repeats)
                f(S, t, a)
        grads = tuple(S[j] if j >= 0 else None for j in self._grads)
        return grads if self._jvp else (S[self._output], grads)
