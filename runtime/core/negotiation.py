"""Content negotiation on the Accept header, as RFC 9110 section 12.5.1 describes it."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, NamedTuple


class MediaRange(NamedTuple):
    type: str
    subtype: str
    quality: float


def parse_accept(accept: str) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed ranges and q-values are skipped."""
    ranges = []
    for item in accept.split(","):
        media, *params = item.split(";")
        type_, slash, subtype = media.strip().lower().partition("/")
        if not slash or not type_ or not subtype or (type_ == "*" and subtype != "*"):
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = -1.0
        if 0.0 <= quality <= 1.0:
            ranges.append(MediaRange(type_, subtype, quality))
    return ranges


def quality_of(media_type: str, ranges: list[MediaRange]) -> float:
    """The q-value the most specific matching range gives `media_type` (0 when none matches)."""
    type_, _, subtype = media_type.partition("/")
    best_specificity, quality = 0, 0.0
    for r in ranges:
        if r.type == type_ and r.subtype == subtype:
            specificity = 3
        elif r.type == type_ and r.subtype == "*":
            specificity = 2
        elif r.type == "*":
            specificity = 1
        else:
            continue
        if specificity > best_specificity:
            best_specificity, quality = specificity, r.quality
    return quality


class Negotiator:
    """Picks the media type an Accept header prefers among `media_types`, in order of preference.

    The first wins ties and answers when Accept is absent, empty or unreadable; None means nothing
    acceptable (406).
    """

    def __init__(self, media_types: Iterable[str]) -> None:
        self.media_types = tuple(media_types)
        self.default = self.media_types[0]
        # Clients send few distinct Accept values: remember the answer for each.
        self.negotiate = lru_cache(maxsize=512)(self._negotiate)

    def _negotiate(self, accept: str | None) -> str | None:
        ranges = parse_accept(accept) if accept else []
        if not ranges:
            return self.default
        best, best_quality = None, 0.0
        for media_type in self.media_types:
            quality = quality_of(media_type, ranges)
            if quality > best_quality:
                best, best_quality = media_type, quality
        return best
