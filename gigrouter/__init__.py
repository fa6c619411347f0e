"""gigrouter: one typed platform config rendered into an Argo CD GitOps repo."""

__version__ = "0.1.0"
