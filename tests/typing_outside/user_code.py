"""A user's file, type-checked OUTSIDE the repository (see tests/test_typing.py).

``test_mypy_outside_the_repository_sees_tape`` copies this file to a temporary folder, runs
``mypy --strict`` on it there with the project's environment, and reads the revealed types:
``tape`` must be found (not ``import-not-found``, after which every type would be ``Any``)
and each line below must reveal the type named in its comment.
"""

from typing import reveal_type

import numpy as np

import tape as tp


def loss(x: tp.Var) -> tp.Var:
    return tp.sum(tp.sin(x) * x)


def pair(x: tp.Var, y: tp.Var) -> tp.Var:
    return tp.sum(x * y)


xs = np.array([0.5, 1.0, 2.0])
reveal_type(tp.Var(1.0))  # tape._var.Var
reveal_type(tp.sin(tp.Var(1.0)))  # tape._var.Var
reveal_type(tp.grad(tp.sin)(1.0))  # float | numpy.ndarray
reveal_type(tp.grad(loss)(xs))  # float | numpy.ndarray
reveal_type(tp.grad(pair, (0, 1))(xs, 2.0))  # tuple[float | numpy.ndarray
reveal_type(tp.value_and_grad(loss)(xs))  # tuple[float | numpy.ndarray
reveal_type(tp.jacfwd(loss)(xs))  # numpy.ndarray
reveal_type(tp.jacrev(loss)(xs))  # numpy.ndarray
reveal_type(tp.hessian(loss)(xs))  # numpy.ndarray
reveal_type(tp.hvp(loss, xs, xs))  # float | numpy.ndarray
reveal_type(tp.hvp(pair, (xs, xs), (xs, xs)))  # tuple[float | numpy.ndarray
reveal_type(tp.grad(loss))  # tape.transforms.Transformed[[x: tape._var.Var], float
reveal_type(tp.linalg.inv(tp.Var(np.eye(2))))  # tape._var.Var
reveal_type(tp.linalg.eigh(tp.Var(np.eye(2))).eigenvalues)  # tape._var.Var
reveal_type(tp.linalg.slogdet(tp.Var(np.eye(2))).logabsdet)  # tape._var.Var
reveal_type(tp.sort(tp.Var(np.ones(3))))  # tape._var.Var
reveal_type(tp.einsum("ij,j->i", tp.Var(np.eye(2)), np.ones(2)))  # tape._var.Var
reveal_type(tp.median(tp.Var(np.ones(3))))  # tape._var.Var
reveal_type(tp.remainder(tp.Var(np.ones(3)), 2.0))  # tape._var.Var
reveal_type(tp.array([tp.Var(1.0), tp.Var(2.0)]))  # tape._var.Var
reveal_type(tp.concatenate([tp.Var(np.ones(2)), tp.Var(np.ones(2))]))  # tape._var.Var
reveal_type(tp.hstack([tp.Var(np.ones(2)), tp.Var(np.ones(2))]))  # tape._var.Var
reveal_type(tp.take_along_axis(tp.Var(np.ones(2)), np.zeros(2, int), 0))  # tape._var.Var
