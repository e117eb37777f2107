"""How entity names become Python names (default pattern names, keywords, bundle names)."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["snake_case"]

_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")


@lru_cache(maxsize=1024)  # entity names are few; keywords are derived on every write pattern call
def snake_case(name: str) -> str:
    """``OrderLine`` → ``order_line``, ``PRComment`` → ``pr_comment``, ``HTTPServer2`` → ``http_server2``.

    An acronym stays one word: the planner, the runtime and the testing toolkit used three
    spellings of ``PRComment`` before (``prcomment``, ``pr_comment``, ``p_r_comment``).
    """
    return _ACRONYM_WORD.sub(r"\1_\2", _LOWER_UPPER.sub(r"\1_\2", name)).lower()
