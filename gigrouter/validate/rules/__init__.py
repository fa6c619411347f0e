"""The checks of `gigrouter validate`, one module per concern.

Each module exports ``RULES`` (rule id -> one-line description, stable ids that waivers and
reports use) and ``check(ctx) -> Iterator[Finding]``.
"""
