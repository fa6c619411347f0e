"""Helpers the test modules share: the CLI in-process (cli) and golden files (golden).

Imported as ``support.cli`` and ``support.golden`` (tests/ is on sys.path via its conftest).
"""
