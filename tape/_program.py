"""Replay: a recorded tape as a program that runs again at new inputs.

``t.compile(inputs=[x], outputs=[y])`` freezes the records. Calling the program recomputes
every record's value in order from the new inputs (each row's forward rule on plain values:
no Var objects, no dispatch, and the user's Python code is not run again), after which any
sweep can run over the refreshed records: the reverse sweep (``value_and_grad``), a forward
sweep with tangents (``jvp``, vector mode for ``jacobian``), or both at once with dual
numbers (``hvp``). This is what ADOL-C and CppAD call taping.

``value_and_grad`` does not replay record by record: the records are lowered once to lines
of plain NumPy and ``math`` (``_codegen``), run as one compiled function up to
``COMPILE_LIMIT`` records and by an interpreter over flat op codes past it; ``using`` forces
a path, ``objective`` and ``hvp`` plug into ``scipy.optimize.minimize``.

Where a value left the tape for Python while recording (``bool(v > 0)`` in an ``if``,
``float(v)``, a mask used as an index), the tape kept a guard record. A replay at inputs where
a guard comes out differently raises ``TapeInvalidated`` naming the guard, instead of
returning a derivative of the branch that was not taken. Elementwise selections that stay on
the tape (``where`` with a recorded comparison, ``maximum``, ``relu``, ``abs``, ``clip``,
``max``) need no guard: their masks are recomputed from the new inputs.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import _table as P
from ._codegen import Interpreter, TapeInvalidated, compile_plan, guard_message, lower, lower_jvp
from ._codegen import source as plan_source
from ._core import _LEVELS, INPUT, Record, _plain, bind, call, collector_paused, owner_of
from ._dual import Dual, make_dual
from ._rows import INPUTS, OUT, PRIM, ROWS, Array, Primitive, Value
from ._sweep import batched_vjp, forward_sweep, jacobian_from_tangent, sweep
from ._var import Var, as_value

if TYPE_CHECKING:
    from ._tape import Tape

PATHS = ("auto", "compiled", "interpreted", "generic")
"""The ways ``Program.value_and_grad`` can run (see ``Program.path``)."""

COMPILE_LIMIT = 2_000
"""Up to this many records ``path="auto"`` compiles the program; past it, the interpreter
runs it. CPython's ``compile`` costs 10–25 µs per line of source (two to three lines per
record), about 40× what recording the record cost, and its memory grows faster than linearly
past ~10⁵ lines; benchmarks/RESULTS.md has the measurement behind the number."""


class Program:
    """A compiled tape: its records, the slots of its inputs and the slots of its outputs.

    Made by ``Tape.compile``. Inputs are given positionally, one value per compiled input,
    of the recorded shapes; every other leaf keeps its recorded value. ``value_and_grad``
    runs the records lowered to plain NumPy and ``math``, compiled (short tapes) or
    interpreted (long ones); ``prog.using("compiled" | "interpreted" | "generic")`` is the
    same program on a forced path (``Program(..., path=...)`` makes one directly), and
    ``prog.path`` says which it is. Input arrays are not copied; results are never views of
    the program's values, of its inputs or of each other.
    """

    def __init__(
        self,
        tape: Tape,
        records: list[Record],
        inputs: list[int],
        outputs: list[int],
        path: str = "auto",
        shapes: Sequence[tuple[int, ...] | None] | None = None,
    ):
        """``shapes``: each input's shape (that of the Var given to ``Tape.compile``), for
        inputs the tape never saw (slot -1: the outputs do not depend on them); the others'
        shapes are the recorded ones."""
        kinds = {type(r[OUT]) for r in records}
        kinds.update(type(v) for r in records for v in r[INPUTS])
        if Var in kinds or Dual in kinds:
            raise ValueError(
                "compile: this tape recorded values of an outer tape or dual numbers "
                "(nested differentiation); compile a tape recorded at one level"
            )
        self._tape = tape  # keeps the saved constant arrays locked while we use them
        end = max(outputs) + 1
        self._records = records[:end]
        self._inputs = inputs
        self._outputs = outputs
        self._shapes = [
            np.shape(records[s][OUT]) if s >= 0 else (None if shapes is None else shapes[k])
            for k, s in enumerate(inputs)
        ]
        if path not in PATHS:
            raise ValueError(f"path must be one of {', '.join(map(repr, PATHS))}; got {path!r}")
        self._path = path
        self._runners: dict[str, Callable[..., Any]] = {}
        self._source: str | None = None
        self._jvp_source: str | None = None
        self._constants: set[int] | None = None
        self._views: dict[str, Program] = {}
        self._second: dict[str, Any] = {}  # the second-order program (hvp), shared by views

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return (
            f"<Program {len(self._records)} records, {len(self._inputs)} inputs, "
            f"{len(self._outputs)} outputs>"
        )

    # ----- replay ------------------------------------------------------------------------------

    def _feed(self, xs: Sequence[Any]) -> dict[int, Any]:
        if len(xs) != len(self._inputs):
            raise TypeError(f"this program takes {len(self._inputs)} inputs, got {len(xs)}")
        feed = {}
        for k, (slot, x, shape) in enumerate(zip(self._inputs, xs, self._shapes, strict=True)):
            v = x if isinstance(x, Dual | Var) else _plain_input(x)
            if np.shape(_plain(v)) != shape:
                raise ValueError(
                    f"input {k} has shape {np.shape(_plain(v))}; the tape was recorded with {shape}"
                )
            if slot >= 0:
                feed[slot] = v
        return feed

    def replay(self, *xs: Any) -> list[Record]:
        """Recompute every record at new input values; returns the refreshed records.

        Raises:
            TapeInvalidated: When a guard comes out differently than while recording.
        """
        feed = self._feed(xs)
        dual = any(isinstance(v, Dual | Var) for v in feed.values())  # (then bind: recorded)
        values: list[Any] = [None] * len(self._records)
        out: list[Record] = []
        for i, (p, slots, params, ins, ans) in enumerate(self._records):
            prim = ROWS[p]
            if prim is INPUT:
                v = feed.get(i, ans)
                values[i] = v
                out.append((p, slots, params, ins, v))
                continue
            args = tuple(values[s] if s >= 0 else c for s, c in zip(slots, ins, strict=True))
            if dual:
                v = bind(prim, *args, **(params or {}))
            else:
                v = call(prim, args, params or {})
            if prim is P.GUARD and not _same(_plain(v), ans):
                made = ROWS[self._records[slots[0]][PRIM]].name
                kind = params["kind"] if params else "?"
                raise guard_message(i, kind, slots[0], made, ans, _plain(v))
            values[i] = v
            out.append((p, slots, params, args, v))
        return out

    def __call__(self, *xs: Value) -> Any:
        """The outputs at new inputs (one value, or a list for several outputs)."""
        recs = self.replay(*xs)
        keep = self._kept([x for x in xs if type(x) is np.ndarray])
        outs = [self._hand_out(_plain(recs[s][OUT]), keep) for s in self._outputs]
        return outs[0] if len(outs) == 1 else outs

    @property
    def path(self) -> str:
        """How ``value_and_grad`` runs: ``"compiled"`` (the records as the source of one
        Python function), ``"interpreted"`` (the same lines as flat op codes and slots, run
        by one loop), ``"generic"`` (record by record through the rows' own implementations
        and rules, as a fresh sweep does), or ``"auto"``: compiled up to ``COMPILE_LIMIT``
        records, interpreted past it."""
        return self._path

    def using(self, path: str) -> Program:
        """This program (the same records, inputs and outputs) running ``value_and_grad`` on
        ``path`` (see ``path``), e.g. ``prog.using("interpreted")`` to force a long tape's
        path on a short one. Plans built on one are kept on the other."""
        if path == self._path:
            return self
        other = self._views.get(path)
        if other is None:
            if path not in PATHS:
                raise ValueError(f"path must be one of {', '.join(map(repr, PATHS))}; got {path!r}")
            other = copy.copy(self)  # the same records, plans, views and constants
            other._path = path
            self._views[path] = other
        return other

    def _chosen(self) -> str:
        if self._path != "auto":
            return self._path
        return "compiled" if len(self._records) <= COMPILE_LIMIT else "interpreted"

    def _runner(self, path: str) -> Callable[..., Any]:
        run = self._runners.get(path)
        if run is None:
            self._check_scalar_output()
            y = self._outputs[0]
            with collector_paused():
                if path == "compiled":
                    self._source, run = compile_plan(lower(self._records, self._inputs, y))
                else:
                    run = Interpreter(self._records, self._inputs, y)
            self._runners[path] = run
        return run

    def value_and_grad(self, *xs: Value) -> tuple[Value, tuple[Value, ...]]:
        """Replay forward, then one reverse sweep: the first output (a scalar) and its
        gradient with respect to every input, as a tuple.

        The records are lowered once (on the first call) to plain NumPy and ``math``: a line
        per record forward and a line per input backward (``source()`` shows them), then
        compiled to one function or, for long tapes, run by an interpreter over flat op
        codes (see ``path``). Input arrays are not copied; the gradients are new arrays.

        Raises:
            TapeInvalidated: When a guard comes out differently than while recording.
        """
        path = self._chosen()
        if path == "generic":
            return self._value_and_grad_generic(xs)
        shapes = self._shapes
        args: Any = xs
        if len(xs) != len(shapes):
            args = None
        else:
            x: Any
            for x, shape in zip(xs, shapes, strict=True):  # plain values of the right shapes
                t = type(x)
                if t is np.ndarray:
                    if x.shape != shape or x.dtype.kind != "f" or not x.ndim:
                        args = None
                        break
                elif t is not float or shape != ():
                    args = None
                    break
        if args is None:
            args = self._arguments(xs)  # converts, or explains what is wrong
            if args is None:  # dual numbers (forward over reverse): the generic replay
                return self._value_and_grad_generic(xs)
        run = self._runners.get(path) or self._runner(path)
        try:
            y, grads = run(*args)
        except (ArithmeticError, ValueError):
            # math raises where NumPy gives inf or nan (exp(1000.0), 1 / 0.0): the generic
            # replay gives NumPy's values, as a fresh recording does
            return self._value_and_grad_generic(xs)
        kept = [id(a if a.base is None else owner_of(a)) for a in args if type(a) is np.ndarray]
        out = []
        for k, g in enumerate(grads):
            t = type(g)
            if t is float and shapes[k] == ():
                out.append(g)
            elif t is np.ndarray and g.shape == shapes[k] and g.base is None:
                # a new array: only the same one twice, or a recorded one, needs a copy
                if id(g) in kept or id(g) in self._constant_ids() or not g.flags.writeable:
                    g = g.copy()
                kept.append(id(g))
                out.append(g)
            else:
                out.append(self._hand_out(self._as_gradient(g, k), kept))
        return _plain(y), tuple(out)

    def objective(self, x: Array) -> tuple[float, Array]:
        """The (scalar) first output and its gradient at ``x``, for a program of ONE array
        input: what ``scipy.optimize.minimize(prog.objective, x0, jac=True)`` takes (with
        ``hessp=prog.hvp`` for the Newton methods). ``value_and_grad`` gives a tuple of
        gradients, one per input, which only L-BFGS-B accepts as ``jac``."""
        if len(self._inputs) != 1:
            raise TypeError(
                f"objective() is for a program of one input; this one has {len(self._inputs)}"
                " (use value_and_grad, or compile the parameters as one array)"
            )
        value, (g,) = self.value_and_grad(x)
        return float(value), np.asarray(g)

    def source(self, of: Literal["value_and_grad", "jvp"] = "value_and_grad") -> str:
        """The Python source of the compiled path: the Wengert list as straight-line NumPy and
        ``math`` code (for any length: it is not compiled here). Of ``value_and_grad``: the
        records forward, then the reverse sweep; of ``"jvp"``: each record's line followed
        by its tangent's (``t5`` is the tangent of ``v5``), returning the outputs' tangents.
        """
        if of == "jvp":
            if self._jvp_source is None:
                plan = lower_jvp(self._records, self._inputs, self._outputs)
                self._jvp_source = plan_source(plan)[0]
            return self._jvp_source
        if of != "value_and_grad":
            raise ValueError(f"source is of 'value_and_grad' or 'jvp'; got {of!r}")
        if self._source is None:
            self._check_scalar_output()
            self._source = plan_source(lower(self._records, self._inputs, self._outputs[0]))[0]
        return self._source

    def _check_scalar_output(self) -> None:
        shape = np.shape(_plain(self._records[self._outputs[0]][OUT]))
        if shape != ():
            raise ValueError(f"value_and_grad needs a scalar output; it has shape {shape}")

    def _arguments(self, xs: Sequence[Any]) -> list[Any] | None:
        """The inputs as plain values, checked against the recorded shapes; not copied
        (replay never writes them). None when some input is a dual number."""
        if len(xs) != len(self._inputs):
            raise TypeError(f"this program takes {len(self._inputs)} inputs, got {len(xs)}")
        out = []
        for k, (x, shape) in enumerate(zip(xs, self._shapes, strict=True)):
            t = type(x)
            if t is float:
                v: Any = x
            elif isinstance(x, Dual):
                return None
            else:
                v = _plain_input(x)
            if (() if type(v) is float else v.shape) != shape:
                raise ValueError(
                    f"input {k} has shape {np.shape(v)}; the tape was recorded with {shape}"
                )
            out.append(v)
        return out

    def _kept(self, args: Sequence[Any]) -> list[int]:
        """The arrays of this call a result must not share memory with (by the id of the
        array that owns the memory): the caller's inputs, then the results handed out."""
        return [id(owner_of(a)) for a in args if type(a) is np.ndarray]

    def _constant_ids(self) -> set[int]:
        """The owners of the recorded values' arrays (found once, when a first array result
        is handed out)."""
        keep = self._constants
        if keep is None:
            keep = set()
            for rec in self._records:
                for v in (*rec[INPUTS], rec[OUT]):
                    if type(v) is np.ndarray:
                        keep.add(id(owner_of(v)))
            self._constants = keep
        return keep

    def _hand_out(self, g: Any, kept: list[int]) -> Any:
        """``g``, or a copy where it shares memory with a recorded value, an input or a
        result already handed out (or is a read-only view, as a broadcast is)."""
        if type(g) is not np.ndarray:
            return g
        owner = id(owner_of(g))
        if owner in kept or not g.flags.writeable or owner in self._constant_ids():
            return g.copy()
        kept.append(owner)
        return g

    def _as_gradient(self, g: Any, k: int) -> Any:
        shape = self._shapes[k]
        if g is None:
            return 0.0 if shape == () else np.zeros(shape)
        if shape == () and (not isinstance(g, np.ndarray) or g.dtype == np.float64):
            return float(g)
        if type(g) is np.ndarray and g.shape == shape:
            return g
        return np.broadcast_to(np.asarray(g), shape or ()).copy() if np.shape(g) != shape else g

    def value_and_grad_interpreted(self, *xs: Value) -> tuple[Value, tuple[Value, ...]]:
        """``value_and_grad`` on the interpreted path (``using("interpreted")``), whatever
        the tape's length: what long tapes run, kept callable on short ones for tests."""
        return self.using("interpreted").value_and_grad(*xs)

    def _value_and_grad_generic(self, xs: Sequence[Any]) -> tuple[Value, tuple[Value, ...]]:
        """The reference: the generic replay and sweep, record by record."""
        recs = self.replay(*xs)
        y = self._outputs[0]
        ans = recs[y][OUT]
        if np.shape(_plain(ans)) != ():
            raise ValueError(f"value_and_grad needs a scalar output; it has shape {np.shape(ans)}")
        adj = sweep(recs, y, _one(ans), self._inputs)
        keep = self._kept([x for x in xs if type(x) is np.ndarray])
        grads = tuple(self._hand_out(self._grad_of(adj, k), keep) for k in range(len(self._inputs)))
        return _plain(ans), grads

    def _grad_of(self, adj: list[Any], k: int) -> Any:
        slot = self._inputs[k]  # (adj is indexed by slot, up to the output)
        g = adj[slot] if 0 <= slot < len(adj) else None
        shape = self._shapes[k]
        if g is None:
            return 0.0 if shape == () else np.zeros(shape)
        if isinstance(g, Dual):
            return g
        return float(g) if shape == () and not isinstance(g, np.ndarray) else np.asarray(g)

    def _tangents(self, vs: Sequence[Any]) -> dict[int, Any]:
        if len(vs) != len(self._inputs):
            raise TypeError(f"this program takes {len(self._inputs)} tangents, got {len(vs)}")
        return {s: as_value(v) for s, v in zip(self._inputs, vs, strict=True) if s >= 0}

    def jvp(self, primals: Value | Sequence[Value], tangents: Value | Sequence[Value]) -> Any:
        """J·v at new inputs: forward mode, one pass carrying a tangent beside every value.

        With one input, ``prog.jvp(x, v)``; with several, ``prog.jvp([x1, x2], [v1, v2])``.
        Returns the output tangent (a list for several outputs). Like ``value_and_grad``,
        the records are lowered once to plain NumPy and ``math`` (each record's line, then
        its tangent's: ``source("jvp")`` shows them) on the program's path; tangents with a
        leading batch axis, dual numbers and other values take the generic replay.
        """
        xs, vs = self._pack(primals), self._pack(tangents)
        path = self._chosen()
        if path != "generic":
            args = self._arguments(xs)
            ds = None if args is None else self._plain_tangents(vs, args)
            if args is not None and ds is not None:
                run = self._runners.get("jvp " + path) or self._jvp_runner(path)
                try:
                    ts = run(*args, *ds)
                except (ArithmeticError, ValueError):
                    pass  # math raised where NumPy gives inf or nan: the generic replay
                else:
                    keep = self._kept([*args, *ds])
                    outs = [
                        self._hand_out(self._as_output(t, s), keep)
                        for t, s in zip(ts, self._outputs, strict=True)
                    ]
                    return outs[0] if len(outs) == 1 else outs
        recs = self.replay(*xs)
        tan = forward_sweep(recs, self._tangents(vs))
        keep = self._kept([*xs, *vs])
        outs = [
            self._hand_out(self._zero_if_none(tan[s], recs[s][OUT]), keep) for s in self._outputs
        ]
        return outs[0] if len(outs) == 1 else outs

    def _plain_tangents(self, vs: Sequence[Any], args: Sequence[Any]) -> list[Any] | None:
        """The tangents as plain values of their inputs' types and shapes (a float for a
        float, a float64 array for a float64 array), or None for anything else."""
        if len(vs) != len(args):
            raise TypeError(f"this program takes {len(self._inputs)} tangents, got {len(vs)}")
        out: list[Any] = []
        for v, x in zip(vs, args, strict=True):
            if type(x) is float:
                if isinstance(v, bool) or not isinstance(v, int | float):
                    return None
                out.append(float(v))
            elif type(v) is np.ndarray and v.dtype == x.dtype == np.float64:
                if v.shape != x.shape:
                    return None
                out.append(v)
            else:
                return None
        return out

    def _jvp_runner(self, path: str) -> Callable[..., Any]:
        """The forward-mode program on ``path``, made on its first call (as ``_runner``)."""
        with collector_paused():
            if path == "compiled":
                plan = lower_jvp(self._records, self._inputs, self._outputs)
                self._jvp_source, run = compile_plan(plan)
            else:
                run = Interpreter(self._records, self._inputs, -1, jvp=self._outputs)
        self._runners["jvp " + path] = run
        return run

    def _as_output(self, t: Any, slot: int) -> Any:
        """An output's tangent as forward mode over a recording gives it: zeros for none,
        a float for a float output."""
        like = self._records[slot][OUT]
        if t is None:
            return self._zero_if_none(None, like)
        if type(like) is float and type(t) is not float:
            return float(t)
        return t

    def jacobian(self, *xs: Value) -> Array:
        """∂output/∂input (first output, first input), of shape ``out.shape + in.shape``:
        vector-mode forward (one sweep, all input directions) when the input is smaller,
        else one reverse sweep carrying all output seeds — over one replay either way."""
        recs = self.replay(*xs)
        y, x = self._outputs[0], self._inputs[0]
        out_shape, in_shape = np.shape(_plain(recs[y][OUT])), self._shapes[0] or ()
        n, m = math.prod(in_shape), math.prod(out_shape)
        if x < 0 or x > y:  # the output does not depend on this input
            return np.zeros(out_shape + in_shape)
        if n <= m:
            basis = np.eye(n).reshape((n, *in_shape))
            return jacobian_from_tangent(forward_sweep(recs, {x: basis})[y], out_shape, in_shape)
        return batched_vjp(recs, y, x, out_shape, in_shape)

    def hvp(self, primals: Value | Sequence[Value], tangents: Value | Sequence[Value]) -> Any:
        """H·v of the (scalar) first output at new inputs. Never forms H.

        On its first call the program records, once, its own second-order program: the
        function s(x, v) = ⟨∇f(x), v⟩ (the records replayed on a tape, their reverse sweep
        recorded by an outer one), whose gradient with respect to x is H·v; every call then
        runs that program's ``value_and_grad``, lowered to plain NumPy like this one's. On
        the generic path, for dual numbers and other values, and where a guard of the
        second-order program's own comes out differently, it is forward over reverse: the
        replay carries dual numbers and the reverse sweep runs on them.
        """
        xs, vs = self._pack(primals), self._pack(tangents)
        if self._chosen() != "generic":
            out = self._hvp_lowered(xs, vs)
            if out is not _GENERIC:
                return out
        level = next(_LEVELS)
        duals = [make_dual(as_value(x), as_value(v), level) for x, v in zip(xs, vs, strict=True)]
        recs = self.replay(*duals)
        y = self._outputs[0]
        adj = sweep(recs, y, 1.0, self._inputs)
        out = []
        for k in range(len(self._inputs)):
            g = self._grad_of(adj, k)
            t = g._tangent if isinstance(g, Dual) and g._level == level else None
            out.append(self._zero_if_none(t, xs[k]))
        return out[0] if len(out) == 1 else out

    def _hvp_lowered(self, xs: list[Any], vs: list[Any]) -> Any:
        """H·v by the second-order program (see ``hvp``), or ``_GENERIC`` where it does not
        apply (a non-scalar output, values that are not plain, a branch of its own changed)."""
        if np.shape(_plain(self._records[self._outputs[0]][OUT])) != ():
            return _GENERIC
        args = self._arguments(xs)
        ds = None if args is None else self._plain_tangents(vs, args)
        if args is None or ds is None:
            return _GENERIC
        second = self._second.get("hvp", _MISSING)
        if second is _MISSING:
            if not all(_library_row(ROWS[r[PRIM]]) for r in self._records):
                second = _GENERIC  # a user's rows: their rules are not known to record
            else:
                second = self._second_order(args, ds)
            self._second["hvp"] = second
        if second is None:  # the gradient does not depend on the inputs: H = 0
            out = [self._zero_if_none(None, x) for x in args]
        elif second is _GENERIC:
            return _GENERIC
        else:
            run = second if self._path == "auto" else second.using(self._path)
            try:
                _, grads = run.value_and_grad(*args, *ds)
            except TapeInvalidated:
                return _GENERIC  # (a branch of the sweep's own changed: forward over reverse)
            keep = self._kept([*args, *ds])
            out = [self._hand_out(g, keep) for g in grads[: len(args)]]
        return out[0] if len(out) == 1 else out

    def _second_order(self, xs: Sequence[Any], vs: Sequence[Any]) -> Program | None:
        """The program of s(x, v) = ⟨∇f(x), v⟩, recorded at ``xs`` and ``vs``: the records
        replayed on an inner tape and its reverse sweep recorded by an outer one (the rules
        are written with tape's own operations, their masks ``held``), compiled with inputs
        x and v. None when s does not depend on x (f is linear in it: H = 0)."""
        tape_kind = type(self._tape)  # the class that recorded this program (no import up)
        with tape_kind(persistent=True) as outer:
            X = [Var(x.copy() if type(x) is np.ndarray else x) for x in xs]
            V = [Var(v.copy() if type(v) is np.ndarray else v) for v in vs]
            with tape_kind() as inner:
                y = self.replay(*X)[self._outputs[0]][OUT]
            s: Any = None
            if isinstance(y, Var):
                for g, v in zip(inner.gradient(y, X), V, strict=True):
                    if isinstance(g, Var):  # (a plain gradient does not depend on x)
                        term = P.sum(g * v)
                        s = term if s is None else s + term
        if s is None:
            return None
        return outer.compile(inputs=[*X, *V], outputs=[s])

    def _pack(self, v: Value | Sequence[Value]) -> list[Any]:
        if len(self._inputs) == 1:
            return [v]
        if not isinstance(v, list | tuple):
            raise TypeError(f"this program has {len(self._inputs)} inputs: pass a list of them")
        return list(v)

    @staticmethod
    def _zero_if_none(t: Any, like: Any) -> Any:
        if t is None:
            shape = np.shape(_plain(like))
            return 0.0 if shape == () else np.zeros(shape)
        return _plain(t) if not isinstance(t, float | np.ndarray) else t


_MISSING: Any = object()
_GENERIC: Any = object()  # no second-order program: forward over reverse instead


def _library_row(row: Primitive) -> bool:
    """Whether a row is one of tape's own (whose rules record every value they compute
    from their inputs, ``held`` masks included), not one made by ``tp.primitive``."""
    return getattr(row.impl, "__module__", "").split(".")[0] == "tape"


def _plain_input(x: Any) -> Any:
    """A caller's input as a plain value without a copy where it already is one (a float, a
    float array: replay never writes its inputs); numbers, lists and integer arrays are
    converted as ``Var`` converts them."""
    if type(x) is float:
        return x
    if type(x) is np.ndarray and x.dtype.kind == "f" and x.ndim:
        return x
    return as_value(x)


def _one(ans: Any) -> Any:
    p = _plain(ans)
    return 1.0 if isinstance(p, float) else np.ones_like(p)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))
    return bool(a == b)


__all__ = ["Program", "TapeInvalidated"]
