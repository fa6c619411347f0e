"""``gigrouter set-image``: change one component's image in the config, one line (``command``)."""
