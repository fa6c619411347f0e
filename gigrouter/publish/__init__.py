"""``gigrouter publish``: render and commit the tree to the GitOps repository (``command``)."""
