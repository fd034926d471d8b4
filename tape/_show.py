"""The Wengert list as a learner reads it: numbered lines in textbook notation.

Inputs are numbered v₋ₙ₊₁ … v₀ in the order the tape first saw them, operations v₁, v₂, …,
as in Griewank & Walther's *Evaluating Derivatives*. After a persistent tape's sweep, each
line also shows its adjoint v̄ = ∂y/∂v.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from . import _format
from ._core import _plain
from ._format import subscript as subscript
from ._format import textbook_names as textbook_names
from ._rows import PRIM, ROWS, SLOTS


def fmt_value(v: Any) -> str:
    """A short rendering of ``v`` (through any Vars and Duals around it): see ``_format``."""
    return _format.fmt_value(_plain(v))


def _fmt_params(params: dict[str, Any] | None) -> str:
    if not params:
        return ""
    parts = []
    for k, v in params.items():
        if v is None or v is False:
            continue
        parts.append(f"{k}={_fmt_index(v) if k == 'index' else v!r}")
    return ", " + ", ".join(parts) if parts else ""


def _fmt_index(index: Any) -> str:
    items = index if isinstance(index, tuple) else (index,)
    out = []
    for i in items:
        if isinstance(i, slice):
            a = "" if i.start is None else str(i.start)
            b = "" if i.stop is None else str(i.stop)
            c = "" if i.step is None else f":{i.step}"
            out.append(f"{a}:{b}{c}")
        elif isinstance(i, np.ndarray):
            out.append(f"⟨{i.dtype} {'×'.join(map(str, i.shape))}⟩")
        else:
            out.append(repr(i))
    return ", ".join(out)


def bar(name: str) -> str:
    """The adjoint's symbol for a slot's name: v̄₂ for v₂, w̄1 for w1."""
    return name[0] + "\u0304" + name[1:]


def table(
    records: list[Any],
    adjoints: list[Any] | None,
    labels: dict[int, str] | None = None,
    tangents: list[Any] | None = None,
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The Wengert table's header and its rows as text cells, inputs first: each row is
    (slot, [name, operation, value, tangent v̇?, adjoint v̄?]). Shared by print and HTML."""
    names = textbook_names(records, labels)
    leaves = [i for i, r in enumerate(records) if ROWS[r[PRIM]].name == "input" and not r[SLOTS]]
    first = set(leaves)
    out = []
    for i in leaves + [i for i in range(len(records)) if i not in first]:
        p, slots, params, inputs, ans = records[i]
        prim = ROWS[p]
        if i in first:
            expr = "input" if labels and i in labels else f"x{subscript(leaves.index(i) + 1)}"
        else:
            args = [
                names[s] if s >= 0 else fmt_value(x) for s, x in zip(slots, inputs, strict=True)
            ]
            expr = _op_text(prim, args, params, inputs)
        cells = [names[i], expr, fmt_value(ans)]
        for col in (tangents, adjoints):
            if col is not None:
                v = col[i] if i < len(col) else None
                cells.append("·" if v is None else fmt_value(v))
        out.append((i, cells))
    head = ["slot", "operation", "value"] + (["tangent v̇"] if tangents is not None else [])
    head += ["adjoint v̄"] if adjoints is not None else []
    return head, out


def show_tape(
    records: list[Any],
    adjoints: list[Any] | None,
    state: str,
    labels: dict[int, str] | None = None,
    tangents: list[Any] | None = None,
) -> str:
    """Render records as a numbered table, with a column of tangents v̇ (a forward sweep)
    and of adjoints v̄ (a reverse sweep) when they are given; named slots show their names."""
    if not records:
        return f"Wengert list: empty (tape {state})"
    head, rows = table(records, adjoints, labels, tangents)
    n_inputs = sum(1 for r in records if not r[SLOTS] and ROWS[r[PRIM]].name == "input")
    saved = _saved_bytes(records)
    show_bytes = sum(saved) > 0
    if show_bytes:
        head.append("saved")
        for i, cells in rows:
            cells.append(_fmt_bytes(saved[i]))
    lines = [cells for _, cells in rows]
    widths = [max(len(r[c]) for r in [head, *lines]) for c in range(len(head))]
    title = f"Wengert list: {len(records)} records ({n_inputs} inputs), tape {state}"

    def render(r: list[str]) -> str:
        cells = [r[0].rjust(widths[0]), "=", r[1].ljust(widths[1]), r[2].rjust(widths[2])]
        cells += [c.rjust(w) for c, w in zip(r[3:], widths[3:], strict=True)]
        return "  " + "  ".join(cells).rstrip()

    rule = "  " + "─" * (sum(widths) + 2 * len(widths) + 1)
    body = [title, render(head).replace("=", " "), rule, *(render(r) for r in lines)]
    if show_bytes:
        body.append(f"  saved arrays: {_fmt_bytes(sum(saved))} (each array counted once)")
    return "\n".join(body)


def _saved_bytes(records: list[Any]) -> list[int]:
    """Bytes of the arrays each record is the first to hold (its output, its constants)."""
    seen: set[int] = set()
    out = []
    for _, _, _, inputs, ans in records:
        n = 0
        for v in (*inputs, ans):
            p = _plain(v)
            if isinstance(p, np.ndarray) and id(p) not in seen:
                seen.add(id(p))
                n += p.nbytes
        out.append(n)
    return out


def _fmt_bytes(n: int) -> str:
    if n < 10_000:
        return f"{n} B"
    if n < 10_000_000:
        return f"{n / 1e3:.1f} kB"
    return f"{n / 1e6:.1f} MB"


def _op_text(
    prim: Any, args: list[str], params: dict[str, Any] | None, inputs: tuple[Any, ...] = ()
) -> str:
    if prim.name == "guard":
        return f"guard: {(params or {}).get('kind', '?')}({args[0]})"
    if params and "index" in params:
        return f"{args[0]}[{_fmt_index(params['index'])}]"
    note = prim.notation or (prim.name + "({*})")
    rest = {k: v for k, v in (params or {}).items() if k != "index"}
    axis = rest.get("axis")
    if isinstance(axis, tuple) and inputs and len(axis) == np.ndim(_plain(inputs[0])):
        del rest["axis"]  # all axes: print as NumPy's default
    expr: str = note.replace("{*}", ", ".join(args)).replace("{p}", _fmt_params(rest))
    for j, a in enumerate(args):
        expr = expr.replace("{" + str(j) + "}", a)
    return expr


def to_dot(
    records: list[Any], adjoints: list[Any] | None, labels: dict[int, str] | None = None
) -> str:
    """Graphviz DOT text of a Wengert list: one node per record (its name, its operation,
    its value and, after a sweep, its adjoint), edges from its inputs."""
    lines = [
        "digraph wengert {",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica", fontsize=11];',
    ]
    names = textbook_names(records, labels)
    n_in = 0
    for i, (p, slots, params, inputs, ans) in enumerate(records):
        prim = ROWS[p]
        if prim.name == "input" and not slots:
            n_in += 1
            what = "input" if labels and i in labels else f"x{subscript(n_in)}"
            label = f"{names[i]} = {what}\\n= {fmt_value(ans)}"
            shape = ", shape=ellipse"
        else:
            args = [
                names[s] if s >= 0 else fmt_value(x) for s, x in zip(slots, inputs, strict=True)
            ]
            label = f"{names[i]} = {_op_text(prim, args, params, inputs)}\\n= {fmt_value(ans)}"
            shape = ", style=dashed" if not prim.differentiable else ""
        if adjoints is not None and i < len(adjoints) and adjoints[i] is not None:
            label += f"\\n{bar(names[i])} = {fmt_value(adjoints[i])}"
        label = label.replace('"', '\\"')
        lines.append(f'  n{i} [label="{label}"{shape}];')
        lines.extend(f"  n{s} -> n{i};" for s in slots if s >= 0)
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_html(title: str, head: list[str], rows: list[tuple[int, list[str]]]) -> str:
    """The Wengert table (``table``'s header and rows) as HTML: how Jupyter shows a tape."""
    out = [
        '<table class="tape-wengert">',
        f'<caption style="white-space: nowrap">{html.escape(title)}</caption>',
        "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead>",
        "<tbody>",
    ]
    for i, cells in rows:
        tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        out.append(f'<tr data-slot="{i}">{tds}</tr>')
    out += ["</tbody>", "</table>"]
    return "\n".join(out)
