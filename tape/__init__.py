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

# _tape first: it defines bind, which the modules it then loads (table, Var) call.
from . import _tape  # noqa: F401  # isort: skip
from . import testing as testing
from ._custom import CustomPrimitive as CustomPrimitive
from ._custom import primitive as primitive
from ._dual import Dual as Dual
from ._primitive import PRIMITIVES as PRIMITIVES
from ._primitive import Array as Array
from ._primitive import Primitive as Primitive
from ._primitive import Value as Value
from ._primitives import SUPPORTED_NUMPY as SUPPORTED_NUMPY
from ._primitives import abs as abs
from ._primitives import add as add
from ._primitives import astype as astype
from ._primitives import broadcast_to as broadcast_to
from ._primitives import clip as clip
from ._primitives import compress as compress
from ._primitives import concatenate as concatenate
from ._primitives import copy as copy
from ._primitives import cos as cos
from ._primitives import cumsum as cumsum
from ._primitives import diagonal as diagonal
from ._primitives import divide as divide
from ._primitives import dot as dot
from ._primitives import einsum as einsum
from ._primitives import exp as exp
from ._primitives import expand_dims as expand_dims
from ._primitives import expm1 as expm1
from ._primitives import flip as flip
from ._primitives import log as log
from ._primitives import log1p as log1p
from ._primitives import log_softmax as log_softmax
from ._primitives import logsumexp as logsumexp
from ._primitives import matmul as matmul
from ._primitives import max as max
from ._primitives import maximum as maximum
from ._primitives import mean as mean
from ._primitives import min as min
from ._primitives import minimum as minimum
from ._primitives import multiply as multiply
from ._primitives import negative as negative
from ._primitives import outer as outer
from ._primitives import power as power
from ._primitives import prod as prod
from ._primitives import relu as relu
from ._primitives import repeat as repeat
from ._primitives import reshape as reshape
from ._primitives import round as round
from ._primitives import sigmoid as sigmoid
from ._primitives import sign as sign
from ._primitives import sin as sin
from ._primitives import softmax as softmax
from ._primitives import softplus as softplus
from ._primitives import split as split
from ._primitives import sqrt as sqrt
from ._primitives import square as square
from ._primitives import squeeze as squeeze
from ._primitives import stack as stack
from ._primitives import std as std
from ._primitives import stop_gradient as stop_gradient
from ._primitives import subtract as subtract
from ._primitives import sum as sum
from ._primitives import swapaxes as swapaxes
from ._primitives import take as take
from ._primitives import take_along_axis as take_along_axis
from ._primitives import tan as tan
from ._primitives import tanh as tanh
from ._primitives import trace as trace
from ._primitives import transpose as transpose
from ._primitives import var as var
from ._primitives import where as where
from ._program import Program as Program
from ._program import TapeInvalidated as TapeInvalidated
from ._tape import Drawing as Drawing
from ._tape import Entry as Entry
from ._tape import Step as Step
from ._tape import Tape as Tape
from ._tape import TapeWarning as TapeWarning
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
    "astype",
    "broadcast_to",
    "clip",
    "compress",
    "concatenate",
    "copy",
    "cos",
    "cumsum",
    "diagonal",
    "divide",
    "dot",
    "einsum",
    "exp",
    "expand_dims",
    "expm1",
    "flip",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "log",
    "log1p",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "negative",
    "outer",
    "power",
    "primitive",
    "prod",
    "relu",
    "repeat",
    "reshape",
    "round",
    "sigmoid",
    "sign",
    "sin",
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
    "value_and_grad",
    "var",
    "vjp",
    "where",
]
