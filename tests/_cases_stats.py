"""Gradient cases for the rows and functions of ``tape._stats``: see ``_cases``."""

from __future__ import annotations

from typing import Any

import numpy as np
from _cases import case
from _draw import Shape, draw, shape_id

import tape as tp

AxisArg = int | tuple[int, ...] | None

# cumprod: axes as autograd's test_cumprod (None, 0, 1, -1), and zeros in the input.
for csx, cax in [
    ((5,), None),
    ((5,), 0),
    ((3, 4), None),
    ((3, 4), 0),
    ((3, 4), 1),
    ((2, 3, 4), -1),
    ((2, 3, 4), 1),
    ((1, 3), 1),
]:
    cid = f"cumprod-{shape_id(csx)}-{cax}"
    case(
        cid,
        lambda x, a=cax: tp.cumprod(x, a),
        [draw(csx, "prod", cid)],
        ["multiply", "concatenate"],
        funcs=["cumprod"],
    )
# A length of 1 along the axis: the input itself (flattened for axis=None).
case("cumprod-1x3-0", lambda x: tp.cumprod(x, 0) * x, [draw((1, 3), "prod", "cp13")], ["multiply"])
case("cumprod-float", lambda x: tp.cumprod(x), [0.7], ["reshape"], funcs=["cumprod"])
ONE_ZERO = np.array([1.5, 0.0, 2.0, -1.2])
TWO_ZEROS = np.array([0.0, 2.0, 0.0, -1.3, 0.7])
ZEROS_2D = np.array([[0.8, 0.0, 1.1], [-1.4, 0.9, 0.0], [0.0, 0.0, 1.2]])
case(
    "cumprod-one-zero",
    tp.cumprod,
    [ONE_ZERO],
    ["multiply", "concatenate"],
    funcs=["cumprod"],
    order=2,
)
case("cumprod-two-zeros", tp.cumprod, [TWO_ZEROS], ["multiply", "concatenate"], funcs=["cumprod"])
case(
    "cumprod-zeros-axis0",
    lambda x: np.cumprod(x, axis=0),
    [ZEROS_2D],
    ["multiply", "concatenate"],
    funcs=["cumprod"],
    order=2,
)
case(
    "cumprod-zeros-axis1",
    lambda x: np.cumprod(x, 1),
    [ZEROS_2D],
    ["multiply", "concatenate"],
    funcs=["cumprod"],
)


def _with_nans(shape: tuple[int, ...], key: str, where: list[tuple[int, ...]]) -> tp.Array:
    a = np.array(draw(shape, "real", key), dtype=np.float64)
    for i in where:
        a[i] = np.nan
    return a


NAN34 = _with_nans((3, 4), "nan34", [(0, 1), (2, 3), (2, 0)])  # no slice of nan alone
NAN234 = _with_nans((2, 3, 4), "nan234", [(0, 1, 2), (1, 0, 0), (1, 2, 3), (0, 0, 3)])
NAN_AXES: list[tuple[tp.Array, AxisArg, bool]] = [
    (NAN34, None, False),
    (NAN34, 0, False),
    (NAN34, -1, False),
    (NAN34, 1, True),
    (NAN234, (0, 2), False),
    (NAN234, (-1, 0), True),
    (NAN234, 1, False),
]
NAN_FUNCS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("nansum", tp.nansum, ("where", "sum")),
    ("nanmean", tp.nanmean, ("where", "sum", "divide")),
    ("nanmax", tp.nanmax, ("where", "max")),
    ("nanmin", tp.nanmin, ("where", "min")),
    ("nanvar", tp.nanvar, ("where", "sum", "square")),
    ("nanstd", tp.nanstd, ("where", "sqrt")),
]
for name, fn, rows in NAN_FUNCS:
    for k, (arr, ax, kd) in enumerate(NAN_AXES):
        cid = f"{name}-{'x'.join(map(str, arr.shape))}-{ax}-{'keep' if kd else 'drop'}-{k}"
        case(
            cid.replace(" ", ""),
            lambda x, f=fn, a=ax, d=kd: f(x, axis=a, keepdims=d),
            [arr],
            rows,
            funcs=[name],
        )
for name, fn in [("nanvar", tp.nanvar), ("nanstd", tp.nanstd)]:
    for ax, dd in [(0, 1), (None, 2), (1, 1)]:
        cid = f"{name}-ddof{dd}-{ax}"
        case(
            cid,
            lambda x, f=fn, a=ax, d=dd: f(x, axis=a, ddof=d),
            [NAN34],
            ["where", "sqrt"] if name == "nanstd" else ["where"],
            funcs=[name],
        )
case(
    "nanmean-order2",
    lambda x: tp.sin(np.nanmean(x, axis=1)),  # sin(nan) upstream would give 0·nan = nan
    [NAN34],
    ["where", "sum"],
    funcs=["nanmean"],
    order=2,
)
case(
    "nanstd-order2",
    lambda x: np.nanstd(x, axis=0, ddof=1),
    [NAN34],
    ["where", "sqrt"],
    funcs=["nanstd"],
    order=2,
)
case(
    "nanmax-np-order2",
    lambda x: tp.square(np.nanmax(x, axis=-1)),
    [NAN34],
    ["where", "max"],
    funcs=["nanmax"],
    order=2,
)
case(
    "nansum-np",
    lambda x: np.nansum(x, axis=(0, 1), keepdims=True),
    [NAN234],
    ["where", "sum"],
    funcs=["nansum"],
    order=2,
)
case(
    "nanmin-np-order2",
    lambda x: tp.sin(np.nanmin(x, 0)),
    [NAN34],
    ["where", "min"],
    funcs=["nanmin"],
    order=2,
)
case(
    "nanvar-np-order2",
    lambda x: np.nanvar(x, 1, ddof=1),
    [NAN34],
    ["where"],
    funcs=["nanvar"],
    order=2,
)
case("nansum-no-nan", tp.nansum, [draw((3, 4), "real", "nsnn")], ["where"], funcs=["nansum"])
case("nanmean-float", tp.nanmean, [0.7], ["where"], funcs=["nanmean"])

# average: autograd-style axes, weights of a's shape or along the axis, returned, keepdims.
A234 = draw((2, 3, 4), "real", "avg/a")
W234 = draw((2, 3, 4), "pos", "avg/w")
W3 = draw((3,), "pos", "avg/w3")
W42 = draw((4, 2), "pos", "avg/w42")
AVERAGES: list[tuple[str, Any, list[tp.Value], tuple[str, ...]]] = [
    ("plain", lambda a: tp.average(a), [A234], ("mean",)),
    ("axis1", lambda a: tp.average(a, axis=1), [A234], ("mean",)),
    ("axis-tuple-keep", lambda a: tp.average(a, (0, 2), keepdims=True), [A234], ("mean",)),
    ("weights", lambda a, w: tp.average(a, weights=w), [A234, W234], ("multiply", "divide")),
    ("weights-axis", lambda a, w: tp.average(a, -1, w), [A234, W234], ("multiply", "divide")),
    ("weights-1d", lambda a, w: tp.average(a, 1, w), [A234, W3], ("multiply", "reshape")),
    (
        "weights-axis-tuple",
        lambda a, w: tp.average(a, (2, 0), w),
        [A234, W42],
        ("multiply", "transpose"),
    ),
    (
        "weights-keepdims",
        lambda a, w: tp.average(a, 1, w, keepdims=True),
        [A234, W3],
        ("multiply", "divide"),
    ),
    (
        "returned",
        lambda a, w: tp.sum(tp.stack(list(tp.average(a, 1, w, returned=True)))),
        [A234, W3],
        ("multiply", "broadcast_to"),
    ),
    (
        "np-weights",
        lambda a, w: np.average(a, axis=0, weights=w),
        [draw((3, 4), "real", "avg/np"), draw((3,), "pos", "avg/npw")],
        ("multiply", "divide"),
    ),
    (
        "weights-only",  # differentiable in the weights alone
        lambda w: tp.average(np.arange(4.0), weights=w),
        [draw((4,), "pos", "avg/wo")],
        ("multiply", "divide"),
    ),
]
for cid, fn, args, rows in AVERAGES:
    case(f"average-{cid}", fn, args, rows, funcs=["average"])
case(
    "average-order2",
    lambda a, w: tp.average(a, 1, w),
    [A234, W3],
    ["multiply", "divide"],
    funcs=["average"],
    order=2,
)

# ptp and amax/amin (np.amax and np.amin reach tp.max and tp.min).
D234 = draw((2, 3, 4), "distinct", "ptp")
for ax, kd in [(None, False), (0, False), (-1, True), ((0, 2), False), ((1, 2), True)]:
    cid = f"ptp-{ax}-{kd}".replace(" ", "")
    case(cid, lambda x, a=ax, d=kd: tp.ptp(x, a, d), [D234], ["max", "min"], funcs=["ptp"])
    case(
        f"np.amax-{ax}-{kd}".replace(" ", ""),
        lambda x, a=ax, d=kd: np.amax(x, axis=a, keepdims=d),
        [D234],
        ["max"],
    )
    case(
        f"np.amin-{ax}-{kd}".replace(" ", ""),
        lambda x, a=ax, d=kd: np.amin(x, axis=a, keepdims=d),
        [D234],
        ["min"],
    )
case("ptp-np-order2", lambda x: np.ptp(x * x, axis=1), [D234], ["max", "min"], order=2)

# median, quantile, percentile on distinct values (no ties, so no kinks near the point).
MEDIANS: list[tuple[Shape, AxisArg, bool]] = [
    ((5,), None, False),
    ((4,), None, False),
    ((1,), None, False),
    ((3, 4), 0, False),
    ((3, 4), 1, False),
    ((3, 4), -1, True),
    ((2, 3, 4), (0, 2), False),
    ((2, 3, 4), (2, 0), True),
    ((2, 3, 4), None, True),
    ((3, 1), 1, False),
]
for sx, ax, kd in MEDIANS:
    cid = f"median-{shape_id(sx)}-{ax}-{kd}".replace(" ", "")
    case(
        cid,
        lambda x, a=ax, d=kd: tp.median(x, a, d),
        [draw(sx, "distinct", cid)],
        ["getitem", "mean"],
        funcs=["median"],
    )
case(
    "median-np-order2",
    lambda x: np.median(x * x, axis=1),
    [draw((3, 4), "distinct", "med2") + 3.0],
    ["getitem", "mean"],
    funcs=["median"],
    order=2,
)
QUANTILES: list[tuple[Shape, Any, AxisArg, bool]] = [
    ((5,), 0.3, None, False),
    ((5,), 0.0, None, False),
    ((5,), 1.0, None, False),
    ((6,), [0.1, 0.5, 0.95], None, False),
    ((3, 4), 0.25, 0, False),
    ((3, 4), [[0.2], [0.7]], 1, False),
    ((3, 4), 0.6, -1, True),
    ((2, 3, 4), [0.4, 0.9], (0, 2), True),
]
for sx, q, ax, kd in QUANTILES:
    cid = f"quantile-{shape_id(sx)}-{q}-{ax}-{kd}".replace(" ", "")
    case(
        cid,
        lambda x, qq=q, a=ax, d=kd: tp.quantile(x, qq, a, d),
        [draw(sx, "distinct", cid)],
        ["getitem", "where"],
        funcs=["quantile"],
    )
    pid = f"percentile-{shape_id(sx)}-{q}-{ax}-{kd}".replace(" ", "")
    case(
        pid,
        lambda x, qq=q, a=ax, d=kd: tp.percentile(x, np.multiply(qq, 100.0), a, d),
        [draw(sx, "distinct", pid)],
        ["getitem", "where"],
        funcs=["percentile"],
    )
case(
    "quantile-np-order2",
    lambda x: np.quantile(tp.sin(x), [0.3, 0.8], axis=0),
    [draw((4, 3), "distinct", "q2") * 0.2],
    ["getitem", "where"],
    funcs=["quantile"],
    order=2,
)
case(
    "percentile-np",
    lambda x: tp.square(np.percentile(x, 40, axis=1, keepdims=True)),
    [draw((3, 5), "distinct", "pnp")],
    ["getitem", "where"],
    funcs=["percentile"],
    order=2,
)

# Size-1 axes.
N31 = NAN34[:, :1]  # a nan in the last row: nansum over the size-1 axis gives 0 there
case("nansum-3x1-axis1", lambda x: tp.nansum(x, 1), [N31], ["where", "sum"], funcs=["nansum"])
case(
    "nanmean-3x1-axis0",
    lambda x: tp.nanmean(x, 0, keepdims=True),
    [N31],
    ["where", "sum"],
    funcs=["nanmean"],
)
case(
    "average-size1-axis",
    lambda a, w: tp.average(a, 1, w),
    [draw((3, 1), "real", "avs1/a"), draw((1,), "pos", "avs1/w")],
    ["multiply"],
    funcs=["average"],
)
case("ptp-size1-axis", lambda x: tp.ptp(x, -1), [draw((3, 1), "real", "ptps1")], ["max", "min"])
case(
    "quantile-size1-axis",
    lambda x: tp.quantile(x, [0.2, 0.8], axis=0),
    [draw((1, 4), "real", "qs1")],
    ["getitem"],
    funcs=["quantile"],
)
