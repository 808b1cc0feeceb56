"""Seeded random streams: one independent, named stream per purpose.

Every draw of the generator comes from a stream named for what it generates, so the output is
byte-for-byte reproducible and changing one feed's generation leaves the other feeds unchanged.
"""

from __future__ import annotations

import hashlib

import numpy as np

ROOT_SEED = "cixi-retention-sample/1"


def stream(*parts: object) -> np.random.Generator:
    """A generator seeded from the root seed and the given name parts."""
    text = "/".join([ROOT_SEED, *(str(p) for p in parts)])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def pick(rng: np.random.Generator, n: int, weights: dict[str, float] | list[float]) -> np.ndarray:
    """n indices drawn with the given (unnormalised) weights."""
    w = np.asarray(list(weights.values()) if isinstance(weights, dict) else weights, float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def pick_values(rng: np.random.Generator, n: int, weights: dict[str, float]) -> np.ndarray:
    """n values drawn from the keys of `weights`, as a numpy string array."""
    keys = np.array(list(weights))
    return keys[pick(rng, n, weights)]


def exact_counts(total: int, shares: list[float]) -> list[int]:
    """Split `total` into parts proportional to `shares` that add up exactly (largest remainder)."""
    s = np.asarray(shares, float)
    raw = total * s / s.sum()
    parts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - parts), kind="stable")[: total - parts.sum()]:
        parts[i] += 1
    return parts.tolist()
