"""Builds ``examples/lesson.ipynb``: micrograd's lesson on a tape, written as cells here.

``python examples/lesson_build.py`` writes the notebook from the cells below, executes it
with nbclient (one kernel, cells in order) and stores it with its outputs, so that it reads
on GitHub without running anything. The notebook is the product; this script is how it is
kept reproducible and reviewable as plain Python (a diff of a cell is a diff of a string).

Cells carry tags that ``tests/test_notebook.py`` reads: ``timing`` (prints measured times:
its output differs from run to run) and ``graph`` (shows a Graphviz drawing: it needs the
``dot`` program, and without it prints a note instead).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, cast

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "lesson.ipynb"
TIMEOUT = 300
"""Seconds one cell may take before nbclient gives up (the whole notebook takes ~10 s)."""

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}

# ----- the cells ---------------------------------------------------------------------------------
# Each is (kind, source) or (kind, source, tags); kind is "md" or "code".

Cell = tuple[str, str] | tuple[str, str, list[str]]

CELLS: list[Cell] = [
    (
        "md",
        """# Backpropagation, spelled out on a tape

This notebook retells the lesson of Andrej Karpathy's micrograd (*The spelled-out intro to
neural networks and backpropagation*) with `tape`. The lesson is how a gradient flows
backwards through a computation, one node at a time. micrograd keeps a graph of `Value`
objects and sorts it before going backwards. A tape needs neither: every operation is
appended to a flat list as it runs, the **Wengert list**, and the backward pass reads that
list from the bottom up. Everything micrograd draws as a graph is shown here as that list
too.

Notation (Griewank & Walther, *Evaluating Derivatives*): the values of a computation are
v₁, v₂, …; for an output y, **v̄ = ∂y/∂v** is the *adjoint* of v (micrograd's `.grad`), and
for a chosen direction of the inputs, **v̇** is the *tangent* of v (forward mode).

1. A function and its slope
2. An expression and its Wengert list
3. Backpropagation by hand, then with `t.steps`
4. The chain rule
5. A neuron, drawn
6. Forward mode with dual numbers, and why reverse mode wins for a loss
7. A multilayer perceptron on scalars, then on arrays
8. Training on two moons""",
    ),
    (
        "code",
        """import os

# One BLAS thread: the timings below then measure the method, not the machine's cores.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1\"""",
    ),
    (
        "code",
        """import functools
import math
import operator
import shutil
import time

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import SVG
from sklearn.datasets import make_moons

import tape as tp
from tape import nn, optim

plt.rcParams["figure.dpi"] = 72


def draw(t: tp.Tape) -> SVG | None:
    \"\"\"The tape's graph, t.draw(), as a picture (a note instead where Graphviz is missing).\"\"\"
    if shutil.which("dot") is None:
        print("Graphviz's dot is not installed here, so no picture; t.to_dot() has the graph.")
        return None
    return SVG(t.draw())""",
    ),
    # ----- 1 -----------------------------------------------------------------------------------
    (
        "md",
        """## 1. A function and its slope

The derivative of f at x is the slope of f there: how much f moves, per unit, when x is
nudged. By definition f′(x) = lim (f(x + h) − f(x)) / h as h → 0. Take
f(x) = 2x³ − 5x + 1, whose derivative by the power rule is f′(x) = 6x² − 5, so
f′(1.5) = 8.5. A computer cannot take the limit, only try smaller and smaller h:""",
    ),
    (
        "code",
        """def f(x):
    return 2 * x**3 - 5 * x + 1


x0 = 1.5
exact = 6 * x0**2 - 5
print("      h    (f(x+h) − f(x))/h    error   (f(x+h) − f(x−h))/2h    error")
for k in range(1, 14, 2):
    h = 10.0**-k
    forward = (f(x0 + h) - f(x0)) / h
    central = (f(x0 + h) - f(x0 - h)) / (2 * h)
    print(
        f"{h:7.0e} {forward:20.12f} {forward - exact:8.1e} {central:23.12f} {central - exact:8.1e}"
    )""",
    ),
    (
        "md",
        """The error first falls with h: the one-sided difference is off by about h·f″(x)/2, the
central one by h²·f‴(x)/6. Then it grows again: f(x + h) and f(x) agree in more and more
leading digits, and their difference keeps fewer and fewer correct ones. Finite differences
are a good *check*, never better than about 1e-10 here.

Automatic differentiation does not approximate. It applies the derivative rule of each
elementary operation to the values the computation produced, so its answer is exact up to
the rounding of those few multiplications. The same Python function, given a `tp.Var`,
records itself on a tape; `tp.grad` records once and sweeps once:""",
    ),
    (
        "code",
        """slope = tp.grad(f)(x0)
print(f"tape: f′({x0}) = {slope}   (6x² − 5 = {exact}; error {slope - exact})")

xs = np.linspace(-2.2, 2.2, 200)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(xs, f(xs), label="f(x) = 2x³ − 5x + 1")
ax.plot(xs, f(x0) + slope * (xs - x0), "--", label=f"tangent at x = {x0}, slope {slope}")
ax.plot([x0], [f(x0)], "ko")
ax.set(xlabel="x", ylabel="f(x)", ylim=(-12, 14))
ax.legend(loc="upper left")
plt.show()""",
    ),
    # ----- 2 -----------------------------------------------------------------------------------
    (
        "md",
        """## 2. An expression and its Wengert list

Now several inputs: L = (a·b + c)·f, written as three elementary steps, e = a·b,
d = e + c, L = d·f. Inside `with tp.Tape() as t:` every operation on a `tp.Var` appends one
**record** vᵢ = φ(vⱼ, vₖ) to the tape: which primitive φ ran, which earlier slots it read,
and the value it produced. A Var can carry a name (`tp.Var(3.0, name="a")`, or `v.name = "e"`
afterwards), and the tape uses it; unnamed values get textbook names v₁, v₂, ….
`persistent=True` keeps the records after a backward sweep, so that we can look at them
again.""",
    ),
    (
        "code",
        """a = tp.Var(3.0, name="a")
b = tp.Var(-2.0, name="b")
c = tp.Var(8.0, name="c")
f_ = tp.Var(-1.5, name="f")
with tp.Tape(persistent=True) as t:
    e = a * b
    d = e + c
    L = d * f_
e.name, d.name, L.name = "e", "d", "L"
t  # a tape shows itself as its table""",
    ),
    (
        "md",
        """That table is all the tape stores: no graph object, no parent pointers inside the values.
The inputs are listed first; then each line reads only lines above it, so the list is
already in an order in which it can be evaluated, and reversed, in an order in which it can
be differentiated. The graph micrograd draws is implicit in which slots each record reads;
`t.draw()` makes it explicit (with Graphviz):""",
    ),
    ("code", "draw(t)", ["graph"]),
    # ----- 3 -----------------------------------------------------------------------------------
    (
        "md",
        """## 3. Backpropagation by hand, node by node

We want ∂L/∂v for every value v. Start at the end, where L̄ = ∂L/∂L = 1, and go up the
list one record at a time. Each record needs only its *local* derivatives, the partials of
its own operation, times the adjoint of its result:

* L = d·f: ∂L/∂d = f and ∂L/∂f = d, so d̄ = L̄·f and f̄ = L̄·d.
* d = e + c: both partials are 1, so a sum passes its adjoint on unchanged: ē = d̄, c̄ = d̄.
* e = a·b: ā = ē·b and b̄ = ē·a.""",
    ),
    (
        "code",
        """L_bar = 1.0
d_bar = L_bar * f_.value
f_bar = L_bar * d.value
e_bar = d_bar * 1.0
c_bar = d_bar * 1.0
a_bar = e_bar * b.value
b_bar = e_bar * a.value
by_hand = {"a": a_bar, "b": b_bar, "c": c_bar, "f": f_bar, "e": e_bar, "d": d_bar, "L": L_bar}
by_hand""",
    ),
    (
        "md",
        """The tape does the same walk: `t.gradient(L, [a, b, c, f])` sweeps the list backwards
once, from L̄ = 1. On a persistent tape the adjoints stay, so `t.adjoint(v)` gives v̄ for every
recorded Var, inputs and intermediates alike, and the table gets a v̄ column:""",
    ),
    (
        "code",
        """grads = t.gradient(L, [a, b, c, f_])
for v in (a, b, c, f_, e, d, L):
    assert t.adjoint(v) == by_hand[v.name], v.name
print("gradient of L with respect to a, b, c, f:", grads)
t""",
    ),
    (
        "md",
        """What the gradient promises: nudging every input a little *along* its adjoint,
v ← v + 0.01·v̄, raises L by about 0.01·Σv̄² (to first order):""",
    ),
    (
        "code",
        """step = 0.01
na, nb, nc, nf = (v.value + step * g for v, g in zip((a, b, c, f_), grads, strict=True))
L_new = (na * nb + nc) * nf
predicted = L.value + step * sum(g * g for g in grads)
print(f"L = {L.value} → {L_new:.6f}; the first-order prediction is {predicted:.6f}")""",
    ),
    (
        "md",
        """### The same, with `t.steps`

`t.steps(L)` is the sweep's own trace: one `tp.Step` per adjoint update, in the order the
sweep makes them. Each says which record it came from, which input it updated, the
contribution v̄ᵢ·∂vᵢ/∂vⱼ it added, and that input's adjoint so far. `t.show_steps(L)` prints
them as the textbook writes them; line by line, they are the hand computation above.""",
    ),
    ("code", "print(t.show_steps(L))"),
    (
        "code",
        """steps = t.steps(L)
steps[:2]""",
    ),
    # ----- 4 -----------------------------------------------------------------------------------
    (
        "md",
        """## 4. The chain rule

Each of those lines is the chain rule. L depends on a only through e, so
∂L/∂a = ∂L/∂e · ∂e/∂a = ē·b: the adjoint that arrived at e, times e's local derivative.
In general a value vⱼ gets one contribution from every record vᵢ that reads it:

  v̄ⱼ = Σᵢ v̄ᵢ · ∂vᵢ/∂vⱼ

The sum matters as soon as a value is used twice. (micrograd met this as a bug: assigning
`.grad =` instead of adding `+=` gives the wrong gradient when one value feeds two nodes.)
On a tape each use is its own record reading the same slot, and the sweep adds up what
each use sends back. In y = x·x + x, x is read three times:""",
    ),
    (
        "code",
        """x = tp.Var(3.0, name="x")
with tp.Tape(persistent=True) as t2:
    y = x * x + x
y.name = "y"
print(t2.show_steps(y))
print(f"\\ndy/dx = {t2.gradient(y, x)}, and 2x + 1 = {2 * x.value + 1}")""",
    ),
    # ----- 5 -----------------------------------------------------------------------------------
    (
        "md",
        """## 5. A neuron, drawn

A neuron weighs its inputs, adds a bias and squashes the sum:
o = tanh(x1·w1 + x2·w2 + b). With micrograd's numbers, x1 = 2, x2 = 0, w1 = −3, w2 = 1,
and a bias b = 6.8813735870195432 chosen so that the sum is n = artanh(1/√2): then
o = 1/√2 and tanh's local derivative 1 − o² is exactly one half, which keeps the numbers
easy to follow by hand.""",
    ),
    (
        "code",
        """x1, x2 = tp.Var(2.0, name="x1"), tp.Var(0.0, name="x2")
w1, w2 = tp.Var(-3.0, name="w1"), tp.Var(1.0, name="w2")
bias = tp.Var(6.8813735870195432, name="b")
with tp.Tape(persistent=True) as t3:
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    s = x1w1 + x2w2
    n = s + bias
    o = tp.tanh(n)
for var, name in ((x1w1, "x1w1"), (x2w2, "x2w2"), (s, "x1w1+x2w2"), (n, "n"), (o, "o")):
    var.name = name
neuron_inputs = [x1, x2, w1, w2, bias]
neuron_grads = t3.gradient(o, neuron_inputs)
t3""",
    ),
    ("code", "draw(t3)", ["graph"]),
    (
        "md",
        """Read the graph from o upwards: ō = 1; tanh sends back ō·(1 − o²) = 0.5 to n; the two
sums pass 0.5 on to b, to x1w1 and to x2w2; each product sends 0.5 times the *other*
factor: x̄1 = 0.5·w1 = −1.5, w̄1 = 0.5·x1 = 1, x̄2 = 0.5·w2 = 0.5, and w̄2 = 0.5·x2 = 0 —
the weight of an input that is zero cannot change the output. The closed form agrees:""",
    ),
    (
        "code",
        """do_dn = 1 - math.tanh(x1.value * w1.value + x2.value * w2.value + bias.value) ** 2
closed = {
    "x1": w1.value * do_dn,
    "x2": w2.value * do_dn,
    "w1": x1.value * do_dn,
    "w2": x2.value * do_dn,
    "b": do_dn,
}
for v, g in zip(neuron_inputs, neuron_grads, strict=True):
    assert abs(g - closed[v.name]) < 1e-12, (v.name, g, closed[v.name])
    print(f"∂o/∂{v.name} = {g:+.6f}   closed form {closed[v.name]:+.6f}")""",
    ),
    (
        "md",
        """What counts as one record is a choice. micrograd also writes tanh through exp,
o = (e²ⁿ − 1)/(e²ⁿ + 1); then the tape holds more, smaller records, and the sweep walks
through each, but the gradient is the same (to rounding): the chain rule does not care how
finely the computation is cut.""",
    ),
    (
        "code",
        """with tp.Tape() as t4:
    n4 = x1 * w1 + x2 * w2 + bias
    e2n = tp.exp(2 * n4)
    o4 = (e2n - 1) / (e2n + 1)
records4 = len(t4)  # before the sweep, which frees a tape that is not persistent
grads4 = t4.gradient(o4, neuron_inputs)
assert max(abs(g - h) for g, h in zip(grads4, neuron_grads, strict=True)) < 1e-12
print(f"tanh as one record: {len(t3)} records; through exp: {records4} records; same gradient")""",
    ),
    # ----- 6 -----------------------------------------------------------------------------------
    (
        "md",
        """## 6. The same derivatives by forward mode

Reverse mode ran the computation first and then went backwards from the output. Forward mode
goes along with the evaluation: every value travels together with its tangent v̇, the rate
at which it changes as the inputs move in one chosen direction ẋ. A **dual number**
a + ȧε, with the rule ε² = 0, does exactly that:

  (a + ȧε)(b + ḃε) = ab + (ȧb + aḃ)ε,  tanh(a + ȧε) = tanh a + (1 − tanh²a)·ȧ ε.

`tp.Dual(value, tangent)` is such a number, and the same neuron code runs on it. Seeding
x1's tangent with 1 and the others with 0 gives ∂o/∂x1 in one pass:""",
    ),
    (
        "code",
        """def neuron(x1, x2, w1, w2, b):
    return tp.tanh(x1 * w1 + x2 * w2 + b)


values = [v.value for v in neuron_inputs]
out = neuron(*(tp.Dual(val, 1.0 if i == 0 else 0.0) for i, val in enumerate(values)))
print(f"one dual pass: o = {out.primal:.6f}, ∂o/∂x1 = {out.tangent:.12g}")""",
    ),
    (
        "md",
        """The tape can run forward mode over its own records: `t.forward_trace({x1: 1.0})` pushes
the direction ẋ1 = 1 through every line (v̇ᵢ = Σⱼ ∂vᵢ/∂vⱼ · v̇ⱼ, the same local derivatives
as before, now multiplied in the other direction), and the table shows the forward trace
v̇ beside the reverse trace v̄. The v̇ of o is ∂o/∂x1, the v̄ of x1 is the same number:""",
    ),
    (
        "code",
        """t3.forward_trace({x1: 1.0})
t3""",
    ),
    (
        "md",
        """### Why reverse mode wins for a scalar loss

One forward pass gives the derivative of *every* value along *one* input direction: a single
partial derivative of o. One reverse sweep gives the derivative of *one* output with
respect to *every* value: the whole gradient. For a function of n inputs and one output, a
loss, forward mode needs n passes and reverse mode one sweep. The neuron has 5 inputs:""",
    ),
    (
        "code",
        """passes = []
for i in range(len(values)):
    duals = [tp.Dual(val, 1.0 if j == i else 0.0) for j, val in enumerate(values)]
    passes.append(neuron(*duals).tangent)
assert max(abs(p - g) for p, g in zip(passes, neuron_grads, strict=True)) < 1e-12
print(f"forward mode: {len(passes)} passes for the gradient {[round(p, 12) for p in passes]}")
print(f"reverse mode: 1 sweep of {len(t3)} records for the same {len(neuron_grads)} numbers")""",
    ),
    (
        "md",
        """A network's loss has as many inputs as the network has parameters (337 for the one
below, billions in a language model), so forward mode's cost grows with the size of the
model, and reverse mode's does not: the gradient costs a small constant times the loss
itself (the *cheap gradient principle*). Measured on f(x) = Σ tanh(Ax)² with an n × n
matrix A: `tp.jacfwd` pushes all n directions in one vectorised forward pass (n tangents
carried along), `tp.grad` records once and sweeps once. (Times vary from run to run.)""",
    ),
    (
        "code",
        """def best_time(fn, arg, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times)


print("     n   f(x) in ms   reverse (grad) / f   forward (jacfwd) / f")
for size in (10, 100, 400):
    A = np.random.default_rng(size).normal(size=(size, size)) / math.sqrt(size)

    def loss(x, A=A):
        return tp.sum(tp.tanh(A @ x) ** 2)

    point = np.random.default_rng(1).normal(size=size)
    assert np.allclose(tp.grad(loss)(point), tp.jacfwd(loss)(point))
    base = best_time(loss, point)
    rev = best_time(tp.grad(loss), point) / base
    fwd = best_time(tp.jacfwd(loss), point) / base
    print(f"{size:6} {1000 * base:12.3f} {rev:20.1f} {fwd:22.1f}")""",
        ["timing"],
    ),
    # ----- 7 -----------------------------------------------------------------------------------
    (
        "md",
        """## 7. A multilayer perceptron, one scalar at a time

micrograd builds a network from scalars: a `Neuron` holds one `Value` per weight and
computes tanh or relu of w·x + b by Python loops, a `Layer` is a list of neurons, an `MLP`
a list of layers. The same on Vars (relu between layers, a linear last layer, as in
micrograd's two-moons demo):""",
    ),
    (
        "code",
        """def total(vs):
    \"\"\"v₁ + v₂ + …, one add record each (builtin sum would start from 0).\"\"\"
    return functools.reduce(operator.add, vs)


class Neuron:
    def __init__(self, w, b, nonlin):
        self.w = [tp.Var(float(wi)) for wi in w]
        self.b = tp.Var(float(b))
        self.nonlin = nonlin

    def __call__(self, xs):
        act = total([wi * xi for wi, xi in zip(self.w, xs, strict=True)]) + self.b
        return tp.relu(act) if self.nonlin else act

    def parameters(self):
        return [*self.w, self.b]


class Layer:
    def __init__(self, W, b, nonlin):
        self.neurons = [Neuron(W[:, j], b[j], nonlin) for j in range(W.shape[1])]

    def __call__(self, xs):
        return [neuron(xs) for neuron in self.neurons]

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class ScalarMLP:
    \"\"\"The layers of an nn.MLP, weight for weight, as lists of scalar Vars.\"\"\"

    def __init__(self, model):
        last = len(model.layers) - 1
        self.layers = [
            Layer(lin.weight.value, lin.bias.value, k != last) for k, lin in enumerate(model.layers)
        ]

    def __call__(self, xs):
        for layer in self.layers:
            xs = layer(xs)
        return xs[0]

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]""",
    ),
    (
        "md",
        """The data: 100 points on two interleaved half-moons, labelled y = −1 and +1
(scikit-learn's `make_moons`). The loss is micrograd's: the SVM hinge loss, which is zero
for a point scored on its correct side with a margin of at least one, plus a small L2
penalty on the weights,

  loss = mean over i of relu(1 − yᵢ·scoreᵢ) + 10⁻⁴ · Σ p².

The same network written with arrays, `nn.MLP(2, [16, 16, 1])`, computes every layer for
all 100 points at once with one matrix product. Built from the same weights, both give the
same loss, and their tapes differ only in how many records it takes:""",
    ),
    (
        "code",
        """X, labels = make_moons(n_samples=100, noise=0.1, random_state=0)
Y = 2.0 * labels - 1.0  # labels ±1
ALPHA = 1e-4

model = nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(0))
scalar_model = ScalarMLP(model)

with tp.Tape() as t_scalar:
    scores = [scalar_model([float(p) for p in point]) for point in X]
    margins = [tp.relu(1.0 - yi * si) for yi, si in zip(Y, scores, strict=True)]
    params = scalar_model.parameters()
    scalar_loss = total(margins) / len(margins) + ALPHA * total([p * p for p in params])
records_scalar = len(t_scalar)
scalar_grads = t_scalar.gradient(scalar_loss, params)

with tp.Tape() as t_array:
    array_loss = nn.hinge(model(X).reshape(-1), Y) + ALPHA * nn.l2(model.parameters())
records_array = len(t_array)
array_grads = t_array.gradient(array_loss, model.parameters())

assert abs(scalar_loss.value - array_loss.item()) < 1e-12
# nn.MLP lists each layer's gradient as a weight (nin, nout) and a bias (nout,); the scalar
# network lists neuron by neuron: column j of the weight, then bias j.
by_neuron = [
    np.vstack([gW, gb[None]]).T.ravel()
    for gW, gb in zip(array_grads[::2], array_grads[1::2], strict=True)
]
assert np.allclose(scalar_grads, np.concatenate(by_neuron), rtol=0, atol=1e-12)
print(f"{len(params)} parameters; the same loss {array_loss.item():.12f} on both tapes")
print(f"scalar Vars: {records_scalar:,} records   arrays: {records_array} records")
print(f"{records_scalar // records_array:,} times fewer records; gradients agree to 1e-12")""",
    ),
    (
        "md",
        """Each scalar record does one multiplication or addition, and pays Python's overhead for
it; each array record does a whole matrix product in NumPy. The sweeps do the same arithmetic,
grouped differently (times vary from run to run):""",
    ),
    (
        "code",
        """def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def scalar_step():
    with tp.Tape() as tt:
        sc = [scalar_model([float(p) for p in point]) for point in X]
        ms = [tp.relu(1.0 - yi * si) for yi, si in zip(Y, sc, strict=True)]
        lo = total(ms) / len(ms) + ALPHA * total([p * p for p in params])
    tt.gradient(lo, params)


def array_step():
    with tp.Tape() as tt:
        lo = nn.hinge(model(X).reshape(-1), Y) + ALPHA * nn.l2(model.parameters())
    tt.gradient(lo, model.parameters())


ts, ta = timed(scalar_step), min(timed(array_step) for _ in range(5))
print(f"one loss and gradient: scalar Vars {1000 * ts:.0f} ms, arrays {1000 * ta:.2f} ms")""",
        ["timing"],
    ),
    # ----- 8 -----------------------------------------------------------------------------------
    (
        "md",
        """## 8. Training on two moons

Gradient descent moves every parameter a small step against its adjoint, p ← p − lr·p̄:
the nudge of section 3, downhill. `optim.SGD` does that for a list of Vars. One training
step is one recording of the loss and one sweep for all 337 adjoints; as in micrograd's
demo, the learning rate falls from 1.0 to 0.1 over 100 steps.""",
    ),
    (
        "code",
        """model = nn.MLP(2, [16, 16, 1], rng=np.random.default_rng(0))
params = model.parameters()
opt = optim.SGD(params, lr=1.0)
STEPS = 100
history = []
for k in range(STEPS):
    with tp.Tape() as t_train:
        scores = model(X).reshape(-1)
        loss = nn.hinge(scores, Y) + ALPHA * nn.l2(params)
    opt.lr = 1.0 - 0.9 * k / STEPS
    opt.step(t_train.gradient(loss, params))
    accuracy = float(np.mean((scores.value > 0) == (Y > 0)))
    history.append((loss.item(), accuracy))
    if k % 20 == 0 or k == STEPS - 1:
        print(f"step {k + 1:3}: loss {loss.item():.4f}, accuracy {100 * accuracy:5.1f} %")

final = float(np.mean((model(X).value.reshape(-1) > 0) == (Y > 0)))
print(f"after {STEPS} steps: training accuracy {100 * final:.1f} %")""",
    ),
    (
        "md",
        """The decision boundary is where the network's score crosses zero. Evaluating the trained
model on a grid (outside any tape, so nothing is recorded) shows the two regions it
learned:""",
    ),
    (
        "code",
        """(xa, ya), (xb, yb) = X.min(axis=0) - 0.3, X.max(axis=0) + 0.3
gx, gy = np.meshgrid(np.linspace(xa, xb, 250), np.linspace(ya, yb, 200))
grid_scores = model(np.column_stack([gx.ravel(), gy.ravel()])).value.reshape(gx.shape)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), width_ratios=[1, 1.4])
ax1.plot([h[0] for h in history], label="loss")
ax1.plot([1 - h[1] for h in history], label="training error rate")
ax1.set(xlabel="SGD step", ylabel="value", title="training", ylim=(0, None))
ax1.legend()
ax2.contourf(gx, gy, grid_scores > 0, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fdd0a2"])
ax2.contour(gx, gy, grid_scores, levels=[0.0], colors="k", linewidths=1)
ax2.scatter(*X[Y < 0].T, c="#2171b5", marker="o", s=18, label="y = −1")
ax2.scatter(*X[Y > 0].T, c="#d94801", marker="x", s=18, label="y = +1")
ax2.plot([], [], "k-", linewidth=1, label="score = 0")
ax2.set(xlabel="x₁", ylabel="x₂", title="MLP(2, [16, 16, 1]): decision boundary")
ax2.legend(loc="lower left", fontsize="small")
fig.tight_layout()
plt.show()""",
    ),
    (
        "md",
        """## What the tape showed

* The forward pass is a list: one record per elementary operation, each reading earlier
  slots. Nothing has to be sorted; the order of evaluation is the order of the list.
* The backward pass reads the list from the bottom, starting from ȳ = 1, and each record
  adds v̄ᵢ·∂vᵢ/∂vⱼ to the adjoint of every value it read: the chain rule, with the sum for
  values used more than once (`t.steps` lists every one of those updates).
* Forward mode multiplies the same local derivatives in the other direction, one input
  direction per pass; for a loss of many parameters, one reverse sweep is the cheaper way.
* Writing the network on arrays changes how many records there are, not what they compute.

More: `examples/wengert.py` (the textbook function of Griewank & Walther, with the same
tools), `examples/micrograd_style.py` (the scalar network, trained),
`examples/forward_vs_reverse.py` (the two modes measured), and the README.""",
    ),
]

# ----- building and running ----------------------------------------------------------------------


# nbformat has no type annotations: these few calls are the typed doors to it.


def read(path: Path) -> NotebookNode:
    """A notebook file, as nbformat version 4."""
    return cast(NotebookNode, nbformat.read(path, as_version=4))  # type: ignore[no-untyped-call]


def write(nb: NotebookNode, path: Path) -> None:
    """Validate ``nb`` and write it to ``path``."""
    nbformat.validate(nb)
    nbformat.write(nb, path)  # type: ignore[no-untyped-call]


def _new(kind: str, source: str = "") -> NotebookNode:
    v4: Any = nbformat.v4
    if kind == "notebook":
        return cast(NotebookNode, v4.new_notebook())
    if kind == "md":
        return cast(NotebookNode, v4.new_markdown_cell(source))
    if kind == "code":
        return cast(NotebookNode, v4.new_code_cell(source))
    raise ValueError(f"unknown cell kind {kind!r}")


def build() -> NotebookNode:
    """The notebook from ``CELLS``, without outputs."""
    nb = _new("notebook")
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in CELLS:
        kind, source = cell[0], cell[1]
        tags = cell[2] if len(cell) == 3 else []
        node = _new(kind, source)
        if tags:
            node.metadata["tags"] = list(tags)
        nb.cells.append(node)
    for i, node in enumerate(nb.cells):  # stable ids: the notebook diffs cleanly when rebuilt
        node["id"] = f"cell-{i:02d}"
    return nb


def execute(nb: NotebookNode, cwd: Path, timeout: int = TIMEOUT) -> NotebookNode:
    """Run every cell of ``nb`` in a fresh kernel with ``cwd`` as its working directory.

    Raises:
        nbclient.exceptions.CellExecutionError: When a cell raises (the error is shown).
    """
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL["name"],
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )
    client.execute()
    return nb


def main() -> None:
    """Build, execute and write ``examples/lesson.ipynb``."""
    nb = build()
    start = time.perf_counter()
    execute(nb, HERE)
    elapsed = time.perf_counter() - start
    write(nb, NOTEBOOK)
    size = NOTEBOOK.stat().st_size
    print(f"wrote {NOTEBOOK.name}: {len(nb.cells)} cells, executed in {elapsed:.1f} s, {size:,} B")


if __name__ == "__main__":
    main()
