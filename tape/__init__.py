"""tape: automatic differentiation on a Wengert list, for Python floats and NumPy arrays.

    >>> import tape as tp
    >>> x = tp.Var(2.0)
    >>> with tp.Tape() as t:
    ...     y = tp.log(x) + x * x
    >>> t.gradient(y, x)
    4.5

Inside ``with tp.Tape() as t:`` every operation on a ``Var`` is appended to ``t``, a flat
list of records; ``t.gradient`` runs that list backwards once. See the README for a tour.
"""

from . import linalg as linalg
from . import testing as testing
from ._codegen import TapeInvalidated as TapeInvalidated
from ._core import TapeWarning as TapeWarning
from ._custom import CustomPrimitive as CustomPrimitive
from ._custom import primitive as primitive
from ._dual import Dual as Dual
from ._numpy import SUPPORTED_NUMPY as SUPPORTED_NUMPY
from ._program import Program as Program
from ._rows import PRIMITIVES as PRIMITIVES
from ._rows import Array as Array
from ._rows import Primitive as Primitive
from ._rows import Value as Value
from ._sweep import Step as Step
from ._table import abs as abs
from ._table import add as add
from ._table import arccos as arccos
from ._table import arccosh as arccosh
from ._table import arcsin as arcsin
from ._table import arcsinh as arcsinh
from ._table import arctan as arctan
from ._table import arctan2 as arctan2
from ._table import arctanh as arctanh
from ._table import astype as astype
from ._table import broadcast_to as broadcast_to
from ._table import cbrt as cbrt
from ._table import ceil as ceil
from ._table import clip as clip
from ._table import compress as compress
from ._table import concatenate as concatenate
from ._table import copy as copy
from ._table import cos as cos
from ._table import cosh as cosh
from ._table import cumsum as cumsum
from ._table import deg2rad as deg2rad
from ._table import diagonal as diagonal
from ._table import divide as divide
from ._table import dot as dot
from ._table import einsum as einsum
from ._table import exp as exp
from ._table import exp2 as exp2
from ._table import expand_dims as expand_dims
from ._table import expm1 as expm1
from ._table import flip as flip
from ._table import float_power as float_power
from ._table import floor as floor
from ._table import fmax as fmax
from ._table import fmin as fmin
from ._table import fmod as fmod
from ._table import heaviside as heaviside
from ._table import hypot as hypot
from ._table import isfinite as isfinite
from ._table import isinf as isinf
from ._table import isnan as isnan
from ._table import log as log
from ._table import log1p as log1p
from ._table import log2 as log2
from ._table import log10 as log10
from ._table import log_softmax as log_softmax
from ._table import logaddexp as logaddexp
from ._table import logaddexp2 as logaddexp2
from ._table import logsumexp as logsumexp
from ._table import matmul as matmul
from ._table import max as max
from ._table import maximum as maximum
from ._table import mean as mean
from ._table import min as min
from ._table import minimum as minimum
from ._table import mod as mod
from ._table import multiply as multiply
from ._table import nan_to_num as nan_to_num
from ._table import negative as negative
from ._table import outer as outer
from ._table import power as power
from ._table import prod as prod
from ._table import rad2deg as rad2deg
from ._table import reciprocal as reciprocal
from ._table import relu as relu
from ._table import remainder as remainder
from ._table import repeat as repeat
from ._table import reshape as reshape
from ._table import rint as rint
from ._table import round as round
from ._table import sigmoid as sigmoid
from ._table import sign as sign
from ._table import sin as sin
from ._table import sinc as sinc
from ._table import sinh as sinh
from ._table import softmax as softmax
from ._table import softplus as softplus
from ._table import split as split
from ._table import sqrt as sqrt
from ._table import square as square
from ._table import squeeze as squeeze
from ._table import stack as stack
from ._table import std as std
from ._table import stop_gradient as stop_gradient
from ._table import subtract as subtract
from ._table import sum as sum
from ._table import swapaxes as swapaxes
from ._table import take as take
from ._table import take_along_axis as take_along_axis
from ._table import tan as tan
from ._table import tanh as tanh
from ._table import trace as trace
from ._table import transpose as transpose
from ._table import trunc as trunc
from ._table import var as var
from ._table import where as where
from ._tape import Drawing as Drawing
from ._tape import Entry as Entry
from ._tape import Tape as Tape
from ._var import Var as Var
from .transforms import grad as grad
from .transforms import hessian as hessian
from .transforms import hvp as hvp
from .transforms import jacfwd as jacfwd
from .transforms import jacobian as jacobian
from .transforms import jacrev as jacrev
from .transforms import jvp as jvp
from .transforms import value_and_grad as value_and_grad
from .transforms import vjp as vjp

__all__ = [
    "PRIMITIVES",
    "SUPPORTED_NUMPY",
    "Array",
    "CustomPrimitive",
    "Drawing",
    "Dual",
    "Entry",
    "Primitive",
    "Program",
    "Step",
    "Tape",
    "TapeInvalidated",
    "TapeWarning",
    "Value",
    "Var",
    "abs",
    "add",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "astype",
    "broadcast_to",
    "cbrt",
    "ceil",
    "clip",
    "compress",
    "concatenate",
    "copy",
    "cos",
    "cosh",
    "cumsum",
    "deg2rad",
    "diagonal",
    "divide",
    "dot",
    "einsum",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "flip",
    "float_power",
    "floor",
    "fmax",
    "fmin",
    "fmod",
    "grad",
    "heaviside",
    "hessian",
    "hvp",
    "hypot",
    "isfinite",
    "isinf",
    "isnan",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "linalg",
    "log",
    "log1p",
    "log2",
    "log10",
    "log_softmax",
    "logaddexp",
    "logaddexp2",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mod",
    "multiply",
    "nan_to_num",
    "negative",
    "outer",
    "power",
    "primitive",
    "prod",
    "rad2deg",
    "reciprocal",
    "relu",
    "remainder",
    "repeat",
    "reshape",
    "rint",
    "round",
    "sigmoid",
    "sign",
    "sin",
    "sinc",
    "sinh",
    "softmax",
    "softplus",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "stop_gradient",
    "subtract",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tan",
    "tanh",
    "testing",
    "trace",
    "transpose",
    "trunc",
    "value_and_grad",
    "var",
    "vjp",
    "where",
]
