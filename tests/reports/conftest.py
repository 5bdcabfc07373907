"""Fixtures of the monthly-summary tests (the hand-built month lives in october.py)."""

from .october import october  # noqa: F401  (the fixture)
