"""Stage 3b: the tree's README pages, written from the platform and layout's outputs.

Docs read layout; layout never reads docs.
"""

from gigrouter.docs.pages import app_readme, pages, platform_readme, wave_reason

__all__ = ["app_readme", "pages", "platform_readme", "wave_reason"]
