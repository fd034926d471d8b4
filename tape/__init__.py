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
from ._arrays import append as append
from ._arrays import array as array
from ._arrays import array_split as array_split
from ._arrays import atleast_1d as atleast_1d
from ._arrays import atleast_2d as atleast_2d
from ._arrays import atleast_3d as atleast_3d
from ._arrays import column_stack as column_stack
from ._arrays import concatenate as concatenate
from ._arrays import diag as diag
from ._arrays import diff as diff
from ._arrays import dsplit as dsplit
from ._arrays import dstack as dstack
from ._arrays import fliplr as fliplr
from ._arrays import flipud as flipud
from ._arrays import gradient as gradient
from ._arrays import hsplit as hsplit
from ._arrays import hstack as hstack
from ._arrays import linspace as linspace
from ._arrays import moveaxis as moveaxis
from ._arrays import pad as pad
from ._arrays import partition as partition
from ._arrays import ravel as ravel
from ._arrays import reshape as reshape
from ._arrays import roll as roll
from ._arrays import rollaxis as rollaxis
from ._arrays import rot90 as rot90
from ._arrays import row_stack as row_stack
from ._arrays import select as select
from ._arrays import sort as sort
from ._arrays import split as split
from ._arrays import stack as stack
from ._arrays import take_along_axis as take_along_axis
from ._arrays import tile as tile
from ._arrays import tril as tril
from ._arrays import triu as triu
from ._arrays import vsplit as vsplit
from ._arrays import vstack as vstack
from ._codegen import TapeInvalidated as TapeInvalidated
from ._core import TapeWarning as TapeWarning
from ._custom import CustomPrimitive as CustomPrimitive
from ._custom import primitive as primitive
from ._dual import Dual as Dual
from ._numpy import SUPPORTED_NUMPY as SUPPORTED_NUMPY
from ._products import cross as cross
from ._products import dot as dot
from ._products import einsum as einsum
from ._products import inner as inner
from ._products import kron as kron
from ._products import tensordot as tensordot
from ._products import vdot as vdot
from ._program import Program as Program
from ._rows import PRIMITIVES as PRIMITIVES
from ._rows import Array as Array
from ._rows import Primitive as Primitive
from ._rows import Value as Value
from ._stats import average as average
from ._stats import cumprod as cumprod
from ._stats import median as median
from ._stats import nanmax as nanmax
from ._stats import nanmean as nanmean
from ._stats import nanmin as nanmin
from ._stats import nanstd as nanstd
from ._stats import nansum as nansum
from ._stats import nanvar as nanvar
from ._stats import percentile as percentile
from ._stats import ptp as ptp
from ._stats import quantile as quantile
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
from ._table import copy as copy
from ._table import cos as cos
from ._table import cosh as cosh
from ._table import cumsum as cumsum
from ._table import deg2rad as deg2rad
from ._table import diagonal as diagonal
from ._table import divide as divide
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
from ._table import rint as rint
from ._table import round as round
from ._table import sigmoid as sigmoid
from ._table import sign as sign
from ._table import sin as sin
from ._table import sinc as sinc
from ._table import sinh as sinh
from ._table import softmax as softmax
from ._table import softplus as softplus
from ._table import sqrt as sqrt
from ._table import square as square
from ._table import squeeze as squeeze
from ._table import std as std
from ._table import stop_gradient as stop_gradient
from ._table import subtract as subtract
from ._table import sum as sum
from ._table import swapaxes as swapaxes
from ._table import take as take
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
    "append",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "array",
    "array_split",
    "astype",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "average",
    "broadcast_to",
    "cbrt",
    "ceil",
    "clip",
    "column_stack",
    "compress",
    "concatenate",
    "copy",
    "cos",
    "cosh",
    "cross",
    "cumprod",
    "cumsum",
    "deg2rad",
    "diag",
    "diagonal",
    "diff",
    "divide",
    "dot",
    "dsplit",
    "dstack",
    "einsum",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "flip",
    "fliplr",
    "flipud",
    "float_power",
    "floor",
    "fmax",
    "fmin",
    "fmod",
    "grad",
    "gradient",
    "heaviside",
    "hessian",
    "hsplit",
    "hstack",
    "hvp",
    "hypot",
    "inner",
    "isfinite",
    "isinf",
    "isnan",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "kron",
    "linalg",
    "linspace",
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
    "median",
    "min",
    "minimum",
    "mod",
    "moveaxis",
    "multiply",
    "nan_to_num",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanstd",
    "nansum",
    "nanvar",
    "negative",
    "outer",
    "pad",
    "partition",
    "percentile",
    "power",
    "primitive",
    "prod",
    "ptp",
    "quantile",
    "rad2deg",
    "ravel",
    "reciprocal",
    "relu",
    "remainder",
    "repeat",
    "reshape",
    "rint",
    "roll",
    "rollaxis",
    "rot90",
    "round",
    "row_stack",
    "select",
    "sigmoid",
    "sign",
    "sin",
    "sinc",
    "sinh",
    "softmax",
    "softplus",
    "sort",
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
    "tensordot",
    "testing",
    "tile",
    "trace",
    "transpose",
    "tril",
    "triu",
    "trunc",
    "value_and_grad",
    "var",
    "vdot",
    "vjp",
    "vsplit",
    "vstack",
    "where",
]
