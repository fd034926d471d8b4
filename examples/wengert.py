"""The textbook lesson: record f(x₁, x₂) = ln(x₁) + x₁·x₂ − sin(x₂), then sweep it backwards.

Run it with ``python examples/wengert.py``. It prints the Wengert list the tape recorded
(the inputs named x1 and x2), walks the reverse sweep one adjoint update at a time
(``t.steps``), shows the forward trace of tangents beside the adjoints, and checks the
gradient against the closed form, central finite differences and forward mode (dual
numbers).
"""

from __future__ import annotations

import math

import tape as tp


def f(x1: tp.Var, x2: tp.Var) -> tp.Var:
    """The example function of Griewank & Walther's *Evaluating Derivatives*."""
    return tp.log(x1) + x1 * x2 - tp.sin(x2)


def f_dual(x1: tp.Dual, x2: tp.Dual) -> tp.Dual:
    """The same function on dual numbers: forward mode, one direction per pass."""
    return tp.log(x1) + x1 * x2 - tp.sin(x2)


def main() -> None:
    x1, x2 = tp.Var(2.0, name="x1"), tp.Var(5.0, name="x2")
    print("f(x₁, x₂) = ln(x₁) + x₁·x₂ − sin(x₂)  at (x₁, x₂) = (2, 5)\n")

    with tp.Tape(persistent=True) as t:
        y = f(x1, x2)
    print("1. The forward pass appended one record per elementary operation:\n")
    print(t)

    print("\n2. The reverse sweep runs the list backwards once, starting from ȳ = 1.")
    print("   A record v = φ(a, b) adds v̄·∂φ/∂a to ā and v̄·∂φ/∂b to b̄ (t.steps lists them):\n")
    for line in t.show_steps(y).splitlines():
        print("   " + line)
    steps = t.steps(y)
    total: dict[int, float] = {}
    for st in steps:  # summing each input's contributions gives the gradient, exactly
        total[st.input] = total.get(st.input, 0.0) + float(st.contribution)
    grads = t.gradient(y, [x1, x2])
    g1, g2 = float(grads[0]), float(grads[1])
    leaves = [e.slot for e in t if e.primitive == "input"]
    assert [total[s] for s in leaves] == [g1, g2]
    print("\n3. Forward mode over the same records: one direction ẋ = (1, 0) pushed through")
    print("   every line (v̇ = Σ ∂φ/∂a · ȧ), the v̇ column, beside the reverse sweep's v̄:\n")
    t.forward_trace({x1: 1.0})
    print(t)

    exact = (1 / 2.0 + 5.0, 2.0 - math.cos(5.0))
    print(f"\n4. ∂f/∂x₁ = {g1:.10f}   closed form 1/x₁ + x₂     = {exact[0]:.10f}")
    print(f"   ∂f/∂x₂ = {g2:.10f}   closed form x₁ − cos(x₂) = {exact[1]:.10f}")

    def plain(a: float, b: float) -> float:
        return math.log(a) + a * b - math.sin(b)

    h = 1e-6
    fd = (
        (plain(2.0 + h, 5.0) - plain(2.0 - h, 5.0)) / (2 * h),
        (plain(2.0, 5.0 + h) - plain(2.0, 5.0 - h)) / (2 * h),
    )
    print(f"   central differences (h = 1e-6):           ({fd[0]:.10f}, {fd[1]:.10f})")
    # Forward mode: one pass of dual numbers a + bε per input direction (two passes here)
    d1 = f_dual(tp.Dual(2.0, 1.0), tp.Dual(5.0, 0.0)).tangent
    d2 = f_dual(tp.Dual(2.0, 0.0), tp.Dual(5.0, 1.0)).tangent
    print(f"   forward mode, two dual-number passes:     ({float(d1):.10f}, {float(d2):.10f})")
    ok = max(abs(g1 - exact[0]), abs(g2 - exact[1])) < 1e-12
    ok = ok and max(abs(g1 - fd[0]), abs(g2 - fd[1])) < 1e-6
    ok = ok and max(abs(g1 - float(d1)), abs(g2 - float(d2))) < 1e-12
    print("\nThe tape's gradient agrees with all three." if ok else "\nMISMATCH")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
