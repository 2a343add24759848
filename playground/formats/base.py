"""What every decoder returns, and how it refuses.

A decoder never changes anything: it turns bytes into text for a person to
read and says in `note` how it read them (which encoding, which framing). Bytes
it cannot read raise `FormatError` with one plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass


class FormatError(ValueError):
    """Bytes, a schema or typed input a decoder cannot read; `str(error)` is the sentence to show."""


@dataclass(frozen=True)
class Decoded:
    text: str                # what to show
    note: str = ""           # how it was read: "UTF-8 text, 12 bytes", "Confluent wire format, schema id 7", ...


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")
