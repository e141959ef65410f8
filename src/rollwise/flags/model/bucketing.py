"""Sticky percentage bucketing (algorithm v1), specified byte for byte so every SDK can reproduce it.

    input  = UTF-8 bytes of  salt + "." + stickiness value      (salt defaults to the flag key)
    digest = SHA-256(input)
    h      = first 8 bytes of digest as an unsigned big-endian integer      (0 <= h < 2**64)
    bucket = (h * 100_000) >> 64                                            (0 <= bucket < 100_000)

A bucket is a point in units of 0.001 %. A split serves the first variant whose cumulative upper bound
(in the same units) exceeds the bucket, so raising a variant's percentage never moves a user out of it.
Integer maths only: no float rounding differs between languages. Golden vectors live in
``tests/unit/flags/bucketing_vectors.json``; changing anything here re-buckets every user.
"""

from __future__ import annotations

from hashlib import sha256

#: 100 % in bucket units (0.001 % resolution).
BUCKETS = 100_000
ALGORITHM = "v1"


def bucket(salt: str, value: str) -> int:
    """The bucket (0 <= b < 100_000) of ``value`` for a flag salted with ``salt``."""
    digest = sha256(f"{salt}.{value}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") * BUCKETS) >> 64


def stickiness_value(raw: object) -> str | None:
    """The string hashed for a context attribute: strings as-is, integers in decimal; others are unbucketable."""
    if isinstance(raw, str):
        return raw if raw else None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return None


def percent_to_units(percent: float) -> int:
    """A percentage (at most 3 decimals) in bucket units."""
    return round(percent * 1000)


def choose(split: tuple[tuple[str, int], ...], point: int) -> str:
    """The variant whose cumulative upper bound first exceeds ``point``."""
    for name, upper in split:
        if point < upper:
            return name
    return split[-1][0]
