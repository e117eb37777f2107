"""The visual design review: one self-contained HTML page per app (``dynamodel report``)."""
