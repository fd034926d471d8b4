"""Gradient cases for the rows and functions of ``tape._arrays``: see ``_cases``."""

from __future__ import annotations

from _cases import case  # noqa: F401
