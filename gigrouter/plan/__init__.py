"""``gigrouter plan``: the sync order Argo CD will follow, read from a rendered tree.

``steps`` orders phases, waves and kinds; ``dependencies`` infers what waits for what;
``formats`` writes the plan as text, JSON or Mermaid.
"""
