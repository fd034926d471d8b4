"""tape.nn: Linear and MLP (values, shapes, parameter order, repr), state dicts and files,
and each loss against its closed form, with gradients checked by finite differences."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tape as tp
from tape import nn
from tape.testing import check_grads


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def value(v: tp.Var) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.asarray(v.value, dtype=np.float64)


# ----- Linear ------------------------------------------------------------------------------------


def test_linear_initialises_uniformly_in_one_over_sqrt_nin_from_rng() -> None:
    layer = nn.Linear(4, 3, rng=rng(7))
    expected = rng(7)
    np.testing.assert_array_equal(layer.weight.value, expected.uniform(-0.5, 0.5, size=(4, 3)))
    assert layer.bias is not None
    np.testing.assert_array_equal(layer.bias.value, expected.uniform(-0.5, 0.5, size=(3,)))
    big = nn.Linear(100, 50, rng=rng(1))
    w = value(big.weight)
    assert w.shape == (100, 50)
    assert np.abs(w).max() <= 0.1
    assert np.abs(w).max() > 0.099  # the whole interval is used
    assert abs(float(w.mean())) < 0.005


def test_linear_on_one_sample_and_on_a_batch() -> None:
    layer = nn.Linear(3, 2, rng=rng())
    W, b = value(layer.weight), value(layer.bias)  # type: ignore[arg-type]
    x = np.array([1.0, -2.0, 0.5])
    one = layer(x)
    assert one.shape == (2,)
    np.testing.assert_array_equal(one.value, x @ W + b)
    X = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0], [2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    batch = layer(X)
    assert batch.shape == (4, 2)
    np.testing.assert_array_equal(batch.value, X @ W + b)
    np.testing.assert_array_equal(value(batch)[3], b)  # a zero input gives the bias


def test_linear_known_numbers_and_gradients() -> None:
    layer = nn.Linear(2, 1, rng=rng())
    layer.weight.value = np.array([[2.0], [-1.0]])
    assert layer.bias is not None
    layer.bias.value = np.array([0.5])
    X = np.array([[1.0, 1.0], [3.0, 2.0]])
    with tp.Tape() as t:
        out = layer(X)  # [[2 − 1 + 0.5], [6 − 2 + 0.5]] = [[1.5], [4.5]]
        loss = out.sum()
    np.testing.assert_array_equal(out.value, [[1.5], [4.5]])
    gw, gb = t.gradient(loss, [layer.weight, layer.bias])
    np.testing.assert_array_equal(gw, [[4.0], [3.0]])  # column sums of X
    np.testing.assert_array_equal(gb, [2.0])  # two samples


def test_linear_without_bias() -> None:
    layer = nn.Linear(3, 2, bias=False, rng=rng())
    assert layer.bias is None
    assert layer.parameters() == [layer.weight]
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(layer(x).value, x @ value(layer.weight))
    assert repr(layer) == "Linear(3 → 2, bias=False, 6 parameters)"


def test_linear_accepts_integer_data_and_vars() -> None:
    layer = nn.Linear(2, 2, rng=rng())
    a = layer([1, 2]).value
    b = layer(tp.Var(np.array([1.0, 2.0]))).value
    np.testing.assert_array_equal(a, b)


def test_linear_rejects_the_wrong_number_of_features() -> None:
    layer = nn.Linear(3, 2, rng=rng())
    with pytest.raises(
        ValueError, match=r"needs inputs of shape \(3,\) or \(N, 3\); got shape \(4, 2\)"
    ):
        layer(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        layer(1.0)
    with pytest.raises(ValueError, match="positive sizes"):
        nn.Linear(0, 2)


def test_default_rng_gives_different_weights() -> None:
    a, b = nn.Linear(5, 5), nn.Linear(5, 5)
    assert not np.array_equal(value(a.weight), value(b.weight))


# ----- MLP ---------------------------------------------------------------------------------------


def test_mlp_layers_and_parameter_order() -> None:
    model = nn.MLP(2, [16, 16, 1], rng=rng())
    assert [(layer.nin, layer.nout) for layer in model.layers] == [(2, 16), (16, 16), (16, 1)]
    expected: list[tp.Var] = []
    for layer in model.layers:
        assert layer.bias is not None
        expected += [layer.weight, layer.bias]
    params = model.parameters()
    assert len(params) == 6
    assert all(p is q for p, q in zip(params, expected, strict=True))
    assert [name for name, _ in model.named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "layers.2.weight",
        "layers.2.bias",
    ]
    assert model.num_parameters() == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337


def test_mlp_matches_numpy_and_has_no_activation_after_the_last_layer() -> None:
    model = nn.MLP(3, [5, 4], rng=rng(3))
    (W0, b0), (W1, b1) = [(value(layer.weight), value(layer.bias)) for layer in model.layers]  # type: ignore[arg-type]
    X = rng(4).normal(size=(50, 3))
    out = value(model(X))
    np.testing.assert_allclose(out, np.maximum(X @ W0 + b0, 0.0) @ W1 + b1, rtol=1e-14)
    assert out.min() < -0.1  # a relu after the last layer would clip these to 0


def test_mlp_calls_the_activation_between_layers_only() -> None:
    calls: list[tuple[int, ...]] = []

    def act(v: tp.Var) -> tp.Var:
        calls.append(v.shape)
        return tp.tanh(v)

    model = nn.MLP(2, [3, 4, 5], activation=act, rng=rng())
    assert model(np.ones((7, 2))).shape == (7, 5)
    assert calls == [(7, 3), (7, 4)]
    assert model(np.ones(2)).shape == (5,)  # one sample


def test_mlp_single_layer_is_linear() -> None:
    model = nn.MLP(2, [3], rng=rng())
    x = np.array([-5.0, -5.0])
    np.testing.assert_array_equal(model(x).value, model.layers[0](x).value)
    with pytest.raises(ValueError, match="nouts is empty"):
        nn.MLP(2, [])


def test_repr_lists_sizes_and_parameter_counts() -> None:
    model = nn.MLP(2, [16, 16, 1], rng=rng())
    assert repr(model) == (
        "MLP(2 → 16 → 16 → 1, relu, 337 parameters)\n"
        "  layers.0: Linear(2 → 16, 48 parameters)\n"
        "  layers.1: Linear(16 → 16, 272 parameters)\n"
        "  layers.2: Linear(16 → 1, 17 parameters)"
    )
    assert repr(nn.MLP(64, [64, 10], activation=tp.tanh, rng=rng())).splitlines()[0] == (
        "MLP(64 → 64 → 10, tanh, 4,810 parameters)"
    )


def test_mlp_gradients_match_finite_differences_in_both_modes() -> None:
    model = nn.MLP(3, [4, 2], activation=tp.tanh, rng=rng(5))
    X = rng(6).normal(size=(6, 3))

    def f(*params: Any) -> Any:
        for k, layer in enumerate(model.layers):
            # Vars in reverse mode, Duals in forward mode
            layer.weight, layer.bias = params[2 * k], params[2 * k + 1]
        return nn.mse(model(X), np.ones((6, 2)))

    check_grads(f, [value(p) for p in model.parameters()])


# ----- modules in general ------------------------------------------------------------------------


class Pair(nn.Module):
    """A module with a shared parameter, a private Var and nested modules."""

    def __init__(self) -> None:
        self.scale = tp.Var(2.0)
        self.first = nn.Linear(2, 2, rng=rng(1))
        self.blocks = (nn.Linear(2, 2, bias=False, rng=rng(2)), self.scale)
        self._cache = tp.Var(np.zeros(3))  # private: not a parameter

    def forward(self, x: nn.Input) -> tp.Var:
        return self.blocks[0](self.first(x)) * self.scale


def test_module_walks_attributes_in_order_and_lists_a_shared_var_once() -> None:
    m = Pair()
    assert [n for n, _ in m.named_parameters()] == [
        "scale",
        "first.weight",
        "first.bias",
        "blocks.0.weight",
    ]
    assert m.num_parameters() == 1 + 4 + 2 + 4
    assert repr(m) == (
        "Pair(11 parameters)\n"
        "  first: Linear(2 → 2, 6 parameters)\n"
        "  blocks.0: Linear(2 → 2, bias=False, 4 parameters)"
    )
    assert m(np.ones(2)).shape == (2,)


def test_base_module_forward_is_abstract() -> None:
    with pytest.raises(NotImplementedError, match="Module must implement forward"):
        nn.Module()(np.zeros(2))


# ----- state dicts and files ---------------------------------------------------------------------


def trained_model() -> nn.MLP:
    """A model whose values are not fresh draws: one SGD step on random data."""
    model = nn.MLP(3, [8, 2], rng=rng(11))
    X = rng(12).normal(size=(10, 3))
    with tp.Tape() as t:
        loss = nn.mse(model(X), np.zeros((10, 2)))
    for p, g in zip(model.parameters(), t.gradient(loss, model.parameters()), strict=True):
        p.value = p.value - 0.1 * g
    return model


def assert_same_bits(a: nn.Module, b: nn.Module) -> None:
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert na == nb
        va, vb = np.asarray(pa.value), np.asarray(pb.value)
        assert va.dtype == vb.dtype and va.shape == vb.shape
        assert va.tobytes() == vb.tobytes(), na


def test_state_dict_names_shapes_and_copies() -> None:
    model = trained_model()
    state = model.state_dict()
    assert list(state) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert [a.shape for a in state.values()] == [(3, 8), (8,), (8, 2), (2,)]
    before = state["layers.0.bias"].copy()
    model.layers[0].bias.value = np.zeros(8)  # type: ignore[union-attr]
    np.testing.assert_array_equal(state["layers.0.bias"], before)  # a copy, not a view


def test_state_dict_round_trip_is_bit_exact() -> None:
    src = trained_model()
    dst = nn.MLP(3, [8, 2], rng=rng(99))
    assert not np.array_equal(value(src.layers[0].weight), value(dst.layers[0].weight))
    dst.load_state_dict(src.state_dict())
    assert_same_bits(src, dst)
    X = rng(13).normal(size=(4, 3))
    assert value(src(X)).tobytes() == value(dst(X)).tobytes()


def test_float_parameters_round_trip_as_floats() -> None:
    a, b = Pair(), Pair()
    a.scale.value = math.pi
    b.load_state_dict(a.state_dict())
    assert type(b.scale.value) is float
    assert b.scale.value == math.pi
    assert a.state_dict()["scale"].shape == ()


@pytest.mark.parametrize("name", ["model.npz", "model"])
def test_save_and_load_round_trip_is_bit_exact(tmp_path: Path, name: str) -> None:
    src = trained_model()
    src.save(tmp_path / name)
    assert (tmp_path / "model.npz").exists()
    dst = nn.MLP(3, [8, 2], rng=rng(99))
    dst.load(tmp_path / name)
    assert_same_bits(src, dst)
    with np.load(tmp_path / "model.npz") as f:
        assert sorted(f.files) == sorted(src.state_dict())


def test_load_state_dict_names_missing_and_unexpected_entries() -> None:
    model = nn.MLP(3, [8, 2], rng=rng())
    before = model.state_dict()
    state: dict[str, Any] = dict(trained_model().state_dict())
    del state["layers.1.bias"]
    state["layers.2.weight"] = np.zeros((2, 2))
    with pytest.raises(
        ValueError, match=r"missing: layers\.1\.bias; unexpected: layers\.2\.weight"
    ):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])  # nothing was loaded


def test_load_state_dict_rejects_a_wrong_shape_and_changes_nothing() -> None:
    model = nn.MLP(3, [8, 2], rng=rng())
    before = model.state_dict()
    state: dict[str, Any] = dict(trained_model().state_dict())
    state["layers.1.weight"] = np.zeros((2, 8))
    with pytest.raises(
        ValueError,
        match=r"'layers\.1\.weight' has shape \(2, 8\), but the parameter has shape \(8, 2\)",
    ):
        model.load_state_dict(state)
    np.testing.assert_array_equal(model.state_dict()["layers.0.weight"], before["layers.0.weight"])
    state["layers.1.weight"] = np.full((8, 2), "a")
    with pytest.raises(ValueError, match="dtype <U1"):
        model.load_state_dict(state)


# ----- losses ------------------------------------------------------------------------------------

LossFn = Callable[[Any], Any]


def test_mse_value_and_gradient() -> None:
    pred = np.array([[1.0, 2.0], [3.0, -1.0]])
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    p = tp.Var(pred)
    with tp.Tape() as t:
        loss = nn.mse(p, target)
    assert loss.item() == (1.0 + 0.0 + 4.0 + 4.0) / 4  # 2.25
    np.testing.assert_array_equal(t.gradient(loss, p), 2 * (pred - target) / 4)
    check_grads(lambda z: nn.mse(z, target), [pred])
    check_grads(lambda z, y: nn.mse(z, y), [pred, target])  # a Var target gets gradients too


def test_mse_refuses_to_broadcast_different_shapes() -> None:
    with pytest.raises(ValueError, match=r"mse: shapes \(3, 1\) and \(3,\) differ"):
        nn.mse(tp.Var(np.zeros((3, 1))), np.zeros(3))


def test_hinge_value_against_the_closed_form() -> None:
    scores = np.array([2.0, 0.5, -1.0, 0.2])
    y = np.array([1.0, 1.0, 1.0, -1.0])
    # relu(1 − y·s) = relu([1 − 2, 1 − 0.5, 1 + 1, 1 + 0.2]) = [0, 0.5, 2, 1.2]: mean 0.925
    s = tp.Var(scores)
    with tp.Tape() as t:
        loss = nn.hinge(s, y)
    assert loss.item() == pytest.approx(0.925, rel=1e-15)
    # d/ds = −y/N where the margin is violated, 0 where it is met
    np.testing.assert_array_equal(t.gradient(loss, s), [0.0, -0.25, -0.25, 0.25])
    check_grads(lambda z: nn.hinge(z, y), [scores])  # no score sits at a kink (y·s = 1)


def test_hinge_checks_shapes_and_labels() -> None:
    with pytest.raises(ValueError, match=r"reshape\(-1\)"):
        nn.hinge(tp.Var(np.zeros((4, 1))), np.ones(4))
    with pytest.raises(ValueError, match="−1 or \\+1"):
        nn.hinge(tp.Var(np.zeros(3)), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(TypeError, match="labels must be data"):
        nn.hinge(tp.Var(np.zeros(3)), tp.Var(np.ones(3)))


def bce_reference(z: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    s = 1.0 / (1.0 + np.exp(-z))
    return float(np.mean(-(y * np.log(s) + (1.0 - y) * np.log(1.0 - s))))


def test_binary_cross_entropy_against_the_textbook_formula() -> None:
    z = np.array([-3.0, -0.5, 0.0, 0.7, 4.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    zv = tp.Var(z)
    with tp.Tape() as t:
        loss = nn.binary_cross_entropy(zv, y)
    assert loss.item() == pytest.approx(bce_reference(z, y), rel=1e-14)
    sigma = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(t.gradient(loss, zv), (sigma - y) / 5, rtol=1e-14)
    check_grads(lambda a: nn.binary_cross_entropy(a, y), [z])
    assert nn.binary_cross_entropy(tp.Var(np.zeros(2)), np.ones(2)).item() == pytest.approx(
        math.log(2.0), rel=1e-15
    )


def test_binary_cross_entropy_is_finite_for_huge_logits() -> None:
    z = tp.Var(np.array([1000.0, -1000.0, 1000.0, -1000.0]))
    y = np.array([1.0, 0.0, 0.0, 1.0])
    with tp.Tape() as t:
        loss = nn.binary_cross_entropy(z, y)
    # right with certainty costs 0; wrong with certainty costs |z| = 1000
    assert loss.item() == 500.0
    np.testing.assert_array_equal(t.gradient(loss, z), [0.0, 0.0, 0.25, -0.25])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.binary_cross_entropy(z, np.array([1.0, -1.0, 1.0, 1.0]))


def cross_entropy_reference(z: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> float:
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(z)), labels].mean())


def test_cross_entropy_against_a_numpy_reference() -> None:
    z = rng(21).normal(size=(6, 4))
    labels = np.array([0, 3, 1, 1, 2, 3])
    zv = tp.Var(z)
    with tp.Tape() as t:
        loss = nn.cross_entropy(zv, labels)
    assert loss.item() == pytest.approx(cross_entropy_reference(z, labels), rel=1e-14)
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(t.gradient(loss, zv), (softmax - onehot) / 6, rtol=1e-13)
    check_grads(lambda a: nn.cross_entropy(a, labels), [z])


def test_cross_entropy_of_uniform_logits_is_log_c() -> None:
    loss = nn.cross_entropy(tp.Var(np.zeros((3, 5))), np.array([0, 4, 2]))
    assert loss.item() == pytest.approx(math.log(5.0), rel=1e-15)


def test_cross_entropy_is_finite_at_logits_of_plus_minus_1000() -> None:
    z = tp.Var(np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]]))
    labels = np.array([0, 1])
    with tp.Tape() as t:
        loss = nn.cross_entropy(z, labels)
    # sample 0 is certain and right (−log 1 = 0); sample 1 splits between two classes (log 2)
    # (to about 1e-13: near 1000, float64's spacing is 1.1e-13)
    assert loss.item() == pytest.approx(math.log(2.0) / 2, rel=1e-12, abs=0)
    g = t.gradient(loss, z)
    assert np.all(np.isfinite(g))
    # (softmax − onehot) / N = ([1, 0, 0] − [1, 0, 0], [0, ½, ½] − [0, 1, 0]) / 2
    np.testing.assert_allclose(g, [[0.0, 0.0, 0.0], [0.0, -0.25, 0.25]], rtol=0, atol=1e-12)
    check_grads(lambda a: nn.cross_entropy(a, labels), [z.value], eps=1e-3)


def test_cross_entropy_checks_its_labels() -> None:
    z = tp.Var(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="labels must be integers"):
        nn.cross_entropy(z, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got 0\.\.3"):
        nn.cross_entropy(z, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\); got \(3,\)"):
        nn.cross_entropy(z, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\); got \(3,\)"):
        nn.cross_entropy(tp.Var(np.zeros(3)), np.array([0]))


def test_l2_is_the_sum_of_squares_and_its_gradient_is_2p() -> None:
    a, b = tp.Var(np.array([[1.0, -2.0], [0.5, 3.0]])), tp.Var(-1.5)
    with tp.Tape() as t:
        loss = nn.l2([a, b])
    assert loss.item() == 1.0 + 4.0 + 0.25 + 9.0 + 2.25
    ga, gb = t.gradient(loss, [a, b])
    np.testing.assert_array_equal(ga, 2 * value(a))
    assert gb == -3.0
    check_grads(lambda x, w: nn.l2([x, w]), [value(a), -1.5])
    assert nn.l2([]).item() == 0.0


def test_nn_public_names_have_docstrings() -> None:
    documented = 0
    for name in nn.__all__:
        obj = getattr(nn, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__doc__, name
            documented += 1
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) and not attr.startswith("_"):
                    assert member.__doc__, f"{name}.{attr}"
    assert documented == 8  # Module, Linear, MLP and the five losses
