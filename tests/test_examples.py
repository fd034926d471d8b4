"""The teaching examples run, exit 0, and print the numbers they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=EXAMPLES.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_wengert_prints_the_list_the_sweep_and_agreeing_gradients() -> None:
    out = run("wengert.py")
    assert "v₁  =  ln x1" in out and "v₅  =  v₃ − v₄" in out
    assert "x̄1 += v̄₁ · ∂v₁/∂x1 = 1 · 0.5   (log; x̄1 = 5.5)" in out  # the sweep's last step
    assert "v₂  =  x1 × x2           10           5           1" in out  # v̇ beside v̄
    assert "∂f/∂x₁ = 5.5000000000" in out and "∂f/∂x₂ = 1.7163378145" in out
    assert "forward mode, two dual-number passes:     (5.5000000000, 1.7163378145)" in out
    assert "agrees with all three" in out


def test_custom_op_checks_its_primitive() -> None:
    out = run("custom_op.py")
    assert "log1pexp v₀" in out  # one record for the whole function
    assert "check_grads(order=2" in out


def test_forward_vs_reverse_quick_run_prints_both_tables_and_the_ratio() -> None:
    out = run("forward_vs_reverse.py", "--quick")
    assert out.count("Jacobian of f: Rⁿ → Rᵐ") == 3
    assert "Cheap-gradient ratio" in out
    rows = [ln for ln in out.splitlines() if ln.strip().startswith("1 ")]
    assert rows, out  # the n = 1 / m = 1 rows are there
