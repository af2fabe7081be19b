"""Hubness of a kNN graph: who crowds everyone's neighbour lists.

Definitions (DESIGN.md): the k-occurrence N_k(x) is how many points have x among their k nearest
neighbours (the in-degree of the kNN graph). Hubness is the skewness of the N_k distribution,
the population skewness E[(N_k − k)³] / σ³ (scipy's ``skew`` with ``bias=True``; Radovanović et
al., 2010). Hubs: N_k > 2k; antihubs: N_k = 0. The Robin Hood index (Feldbauer et al., 2018) is
the share of all occurrences that would have to move for every point to occur equally often:
Σ|N_k(x) − k| / (2 Σ N_k(x)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Rows counted at a time (a 1M × 10 graph would otherwise need ~0.2 GB of temporaries).
_CHUNK = 65536


@dataclass(frozen=True, eq=False)
class Hubness:
    k_occurrence: np.ndarray
    k: int
    skewness: float
    robin_hood: float

    @property
    def hubs(self) -> np.ndarray:
        """Mask of the points with N_k > 2k."""
        return self.k_occurrence > 2 * self.k

    @property
    def antihubs(self) -> np.ndarray:
        """Mask of the points that are in nobody's list (N_k = 0)."""
        return self.k_occurrence == 0

    def summary(self) -> dict[str, float | int]:
        return {
            "k": self.k,
            "skewness": self.skewness,
            "robin_hood": self.robin_hood,
            "n_hubs": int(self.hubs.sum()),
            "n_antihubs": int(self.antihubs.sum()),
            "max_k_occurrence": int(self.k_occurrence.max(initial=0)),
        }


def k_occurrence(indices: np.ndarray, n: int) -> np.ndarray:
    """N_k for every one of ``n`` points, from (n_queries, k) neighbour indices."""
    counts = np.zeros(n, dtype=np.int64)
    for lo in range(0, len(indices), _CHUNK):  # bounded temporaries whatever N is
        flat = indices[lo : lo + _CHUNK].ravel()
        counts += np.bincount(flat[flat >= 0], minlength=n)
    return counts


def skewness(values: np.ndarray) -> float:
    """Population skewness m3 / m2^1.5 (scipy.stats.skew, bias=True); 0.0 for constant data."""
    x = np.asarray(values, dtype=np.float64)
    centred = x - x.mean()
    m2 = np.mean(centred**2)
    if m2 <= 0:
        return 0.0  # every point occurs equally often: no hubness (scipy returns nan here)
    return float(np.mean(centred**3) / m2**1.5)


def robin_hood(occurrences: np.ndarray) -> float:
    """Σ|N_k − mean| / (2 Σ N_k): 0 when all occur equally, → 1 when one point takes all."""
    n_k = np.asarray(occurrences, dtype=np.float64)
    total = n_k.sum()
    return 0.0 if total == 0 else float(np.abs(n_k - n_k.mean()).sum() / (2 * total))


def hubness(indices: np.ndarray, n: int | None = None) -> Hubness:
    """Hubness of a kNN graph given as (n, k) neighbour indices."""
    n = len(indices) if n is None else n
    n_k = k_occurrence(indices, n)
    return Hubness(
        k_occurrence=n_k,
        k=int(indices.shape[1]),
        skewness=skewness(n_k),
        robin_hood=robin_hood(n_k),
    )


def hubness_from_occurrence(n_k: np.ndarray, k: int) -> Hubness:
    """The hubness summary of known k-occurrences (a saved session)."""
    return Hubness(k_occurrence=n_k, k=k, skewness=skewness(n_k), robin_hood=robin_hood(n_k))
