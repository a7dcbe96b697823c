"""IMAP sequence sets and UID sets: parsing ("1:5,7,9:*") and compression of UID collections.

Imports: the standard library and mailapp.core only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mailapp.core.errors import InvalidCommandError, ParseError

__all__ = ["MAX_UID", "SequenceSet", "compress_uids", "split_uid_sets"]

# UIDs and sequence numbers are 32-bit unsigned, never 0 (RFC 3501 "nz-number").
MAX_UID = 4_294_967_295
_MAX_DIGITS = 10


def _number(text: str, star: int | None, whole: str) -> int:
    if text == "*":
        if star is None:
            raise ParseError(f"Sequence set uses '*' where a number is needed: {whole!r}")
        return star
    if not text or len(text) > _MAX_DIGITS or not text.isascii() or not text.isdigit():
        raise ParseError(f"Invalid number in sequence set: {whole!r}")
    if text[0] == "0":
        raise ParseError(f"Sequence set number is zero or has a leading zero: {whole!r}")
    value = int(text)
    if value > MAX_UID:
        raise ParseError(f"Sequence set number is larger than 32 bits: {whole!r}")
    return value


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """Inclusive ranges (low, high) in the order the peer listed them (COPYUID pairs by order)."""

    ranges: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, text: str | bytes, *, star: int | None = None) -> SequenceSet:
        """Parse "1:5,7,9:12"; "*" is accepted only when `star` (its value) is given."""
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        if not text:
            raise ParseError("Empty sequence set")
        ranges: list[tuple[int, int]] = []
        for item in text.split(","):
            colon = item.find(":")
            if colon < 0:
                n = _number(item, star, text)
                ranges.append((n, n))
            else:
                a = _number(item[:colon], star, text)
                b = _number(item[colon + 1 :], star, text)
                ranges.append((a, b) if a <= b else (b, a))
        return cls(tuple(ranges))

    @classmethod
    def from_uids(cls, uids: Iterable[int]) -> SequenceSet:
        """The smallest ascending set of ranges holding exactly these numbers."""
        return cls(tuple(_runs(uids)))

    def __iter__(self) -> Iterator[int]:
        for low, high in self.ranges:
            yield from range(low, high + 1)

    def __len__(self) -> int:
        return sum(high - low + 1 for low, high in self.ranges)

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, int):
            return False
        return any(low <= item <= high for low, high in self.ranges)

    def __str__(self) -> str:
        return ",".join(str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in self.ranges)


def _runs(uids: Iterable[int]) -> list[tuple[int, int]]:
    ordered = sorted(set(uids))
    if ordered and (ordered[0] < 1 or ordered[-1] > MAX_UID):
        raise InvalidCommandError("UIDs must be between 1 and 4294967295")
    runs: list[tuple[int, int]] = []
    if not ordered:
        return runs
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid != prev + 1:
            runs.append((start, prev))
            start = uid
        prev = uid
    runs.append((start, prev))
    return runs


def compress_uids(uids: Iterable[int]) -> str:
    """The shortest sequence-set text for these UIDs ("1:5,7,9:12"); an empty input is an error.

    Runs of consecutive numbers are the optimum: every run needs both its ends, and "a:b"
    is never longer than listing two or more numbers.
    """
    runs = _runs(uids)
    if not runs:
        raise InvalidCommandError("An empty UID set cannot be sent")
    return ",".join(str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in runs)


def _items_within(uids: Iterable[int], max_length: int) -> Iterator[str]:
    """Set items ("7" or "3:9"), a range being given as single numbers when its text would be
    longer than `max_length` (possible only for tiny limits and huge UIDs)."""
    for lo, hi in _runs(uids):
        item = str(lo) if lo == hi else f"{lo}:{hi}"
        if len(item) <= max_length or lo == hi:
            yield item
        else:
            yield from (str(uid) for uid in range(lo, hi + 1))


def split_uid_sets(uids: Iterable[int], *, max_length: int = 1000) -> list[str]:
    """Compressed UID sets, each at most `max_length` characters, covering all `uids`.

    Servers cap command lines (Dovecot at 64 KiB, others far lower), so a long selection is
    sent as several commands.
    """
    out: list[str] = []
    current: list[str] = []
    size = 0
    for item in _items_within(uids, max_length):
        extra = len(item) + (1 if current else 0)
        if current and size + extra > max_length:
            out.append(",".join(current))
            current = []
            size = 0
            extra = len(item)
        current.append(item)
        size += extra
    if current:
        out.append(",".join(current))
    return out
