"""Masking names on public lists (JF-DUE-4): the first character is kept, the rest starred."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """``武建国`` → ``武**``, ``张三`` → ``张*``, ``Alice`` → ``A****``; a one-character name → ``*``."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)
