"""Money in integer cents: drawing plausible amounts and making a set of them add up exactly."""

from __future__ import annotations

import numpy as np


def fit_total(
    amounts: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: int, step: int = 1
) -> np.ndarray:
    """Amounts (cents) rescaled and nudged to add up to exactly `target`, each within [lo, hi]
    and a multiple of `step` (when the bounds and target are)."""
    a = amounts.astype(np.int64)
    lo = np.asarray(lo, np.int64)
    hi = np.asarray(hi, np.int64)
    if not lo.sum() <= target <= hi.sum():
        raise ValueError(f"{target} cannot be reached within the bounds")
    a = np.clip(np.rint(a * (target / a.sum()) / step).astype(np.int64) * step, lo, hi)
    diff = int(target - a.sum())
    while diff:
        sign = 1 if diff > 0 else -1
        room = (hi - a) if sign > 0 else (a - lo)
        room = room // step * step
        cand = np.flatnonzero(room > 0)
        if cand.size == 0:
            # Only a sub-step remainder can be left: put it on one line with room.
            room = (hi - a) if sign > 0 else (a - lo)
            cand = np.flatnonzero(room >= abs(diff))
            if cand.size == 0:
                raise ValueError("cannot reach the target within the bounds")
            a[cand[0]] += diff
            break
        share = abs(diff) // cand.size // step * step
        if share == 0:
            j = cand[np.argmax(room[cand])]
            d = min(abs(diff) // step * step or abs(diff), int(room[j]))
            a[j] += sign * d
            diff -= sign * d
            continue
        d = np.minimum(room[cand], share)
        a[cand] += sign * d
        diff -= sign * int(d.sum())
    return a


def round_to(values: np.ndarray, step_cents: int) -> np.ndarray:
    return (np.rint(values / step_cents) * step_cents).astype(np.int64)


def tiers(rng: np.random.Generator, n: int, levels: dict[int, float]) -> np.ndarray:
    """Amounts in yuan drawn from fixed tiers (subsidy standards come in steps), as cents."""
    keys = np.array(list(levels), np.int64)
    w = np.array(list(levels.values()), float)
    return keys[rng.choice(keys.size, size=n, p=w / w.sum())] * 100
