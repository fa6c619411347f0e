"""Checks that run on a rendered (or hand-written) GitOps tree."""
