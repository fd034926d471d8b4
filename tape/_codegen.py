"""A compiled tape as Python source: the Wengert list written out as straight-line code.

``Program.value_and_grad`` turns its records into one Python function, a line per record
for the forward pass and a line per input of each record for the reverse sweep:

    def value_and_grad(x0):
        v0 = x0
        v1 = F_log(v0)                        # ln v₋₁
        ...
        a6 = 1.0
        a4 = a6                               # subtract, input 1
        a5 = V_subtract_1(a6, v6, v4, v5)     # subtract, input 2
        ...
        return v6, (a0,)

Everything the generic replay decides at run time — which slots are constants, which
adjoints exist yet, where broadcasting must be summed back — is known from the recording,
so it is decided once, here. What remains is what the derivative costs: one call of the
row's forward rule per record and of its VJP rule per input. ``Program.source()`` shows the
code. (Guards become ``if`` lines that raise ``TapeInvalidated``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _table as P
from ._core import INPUT, Record, _plain, canonical
from ._rows import OUT, PRIM, ROWS
from ._sweep import unbroadcast


def _shape(v: Any) -> tuple[int, ...]:
    return tuple(np.shape(_plain(v)))


def generate(records: list[Record], inputs: list[int], output: int) -> tuple[str, dict[str, Any]]:
    """Source of ``value_and_grad(x0, x1, ...)`` for these records, and its namespace."""
    ns: dict[str, Any] = {"U": unbroadcast, "C": canonical, "np": np}
    fwd: list[str] = []
    feed = {slot: k for k, slot in enumerate(inputs) if slot >= 0}
    for i, (p, slots, params, ins, ans) in enumerate(records[: output + 1]):
        row = ROWS[p]
        if row is INPUT:
            if i in feed:
                fwd.append(f"v{i} = x{feed[i]}")
            else:
                ns[f"K{i}"] = ans
                fwd.append(f"v{i} = K{i}")
            continue
        args = []
        for j, (s, c) in enumerate(zip(slots, ins, strict=True)):
            if s >= 0:
                args.append(f"v{s}")
            else:
                ns[f"K{i}_{j}"] = c
                args.append(f"K{i}_{j}")
        ns[f"F{p}"] = row.impl
        ns[f"R{p}"] = row
        call = f"F{p}({', '.join(args)}"
        if params:
            ns[f"P{i}"] = params
            call += f", **P{i}"
        call += ")"
        # rows give floats for float inputs; a NumPy reduction's scalar is made a float
        needs_canon = type(ans) is not float or any(isinstance(x, np.ndarray) for x in ins)
        expr = f"C(R{p}, {call})" if needs_canon else call
        if row is P.GUARD:
            ns[f"E{i}"] = ans
            kind = (params or {}).get("kind", "?")
            made = ROWS[records[slots[0]][PRIM]].name
            ns[f"G{i}"] = _guard_failed(i, kind, slots[0], made, ans)
            fwd.append(f"g{i} = {expr}")
            fwd.append(f"if not _same(g{i}, E{i}): G{i}(g{i})")
            continue
        fwd.append(f"v{i} = {expr}")
    ns["_same"] = _same

    # The reverse sweep, with the bookkeeping done now: which adjoints exist at each line.
    y = output
    ans_y = records[y][OUT]
    ns["ONE"] = 1.0 if type(ans_y) is float else np.ones_like(_plain(ans_y))
    bwd = [f"a{y} = ONE"]
    have = {y}
    stop = min([s for s in inputs if 0 <= s <= y], default=y + 1)
    for i in range(y, stop - 1, -1):
        if i not in have:
            continue
        p, slots, params, ins, ans = records[i]
        row = ROWS[p]
        for k, s in enumerate(slots):
            if s < 0:
                continue
            rule = row.vjp[0] if row.variadic else row.vjp[k]
            if rule is None:
                continue
            name = f"V{p}_{k}"
            ns[name] = rule
            arglist = ", ".join(f"v{t}" if t >= 0 else f"K{i}_{j}" for j, t in enumerate(slots))
            extra = f", argnum={k}" if row.variadic else ""
            if params:
                extra += f", **P{i}"
            ct = f"{name}(a{i}, v{i}, {arglist}{extra})"
            if row.broadcasts and (_shape(ins[k]) != _shape(ans) or row.name == "matmul"):
                ct = f"U({ct}, v{s})"
            if s in have:
                bwd.append(f"a{s} = a{s} + {ct}")
            else:
                bwd.append(f"a{s} = {ct}")
                have.add(s)
    outs = []
    for k, s in enumerate(inputs):
        if s in have:
            outs.append(f"a{s}")
        else:
            ns[f"Z{k}"] = _zero_like(records[s][OUT] if 0 <= s < len(records) else 0.0)
            outs.append(f"Z{k}")
    params_list = ", ".join(f"x{k}" for k in range(len(inputs)))
    body = fwd + bwd + [f"return v{y}, ({', '.join(outs)}{',' if len(outs) == 1 else ''})"]
    src = f"def value_and_grad({params_list}):\n" + "".join(f"    {line}\n" for line in body)
    return src, ns


def build(records: list[Record], inputs: list[int], output: int) -> tuple[str, Callable[..., Any]]:
    """Compile the generated source; returns it and the function."""
    src, ns = generate(records, inputs, output)
    code = compile(src, "<tape program>", "exec")
    exec(code, ns)
    fn: Callable[..., Any] = ns["value_and_grad"]
    return src, fn


def _zero_like(v: Any) -> Any:
    p = _plain(v)
    return 0.0 if np.ndim(p) == 0 and not isinstance(p, np.ndarray) else np.zeros_like(p)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))
    return bool(a == b)


def _guard_failed(
    i: int, kind: str, slot: int, made_by: str, expected: Any
) -> Callable[[Any], None]:
    def fail(actual: Any) -> None:
        raise guard_message(i, kind, slot, made_by, expected, actual)

    return fail


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
