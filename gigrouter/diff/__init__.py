"""``gigrouter diff``: what a render would change, object by object (``compare``), written as
text, JSON or Markdown (``formats``)."""
