"""Gradient cases for the rows and functions of ``tape._products``: see ``_cases``."""

from __future__ import annotations

from _cases import case  # noqa: F401
