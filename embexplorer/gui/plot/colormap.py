"""Map a metadata column to colours: palette codes per point (numpy only, no Qt).

Every point gets an index into a small RGBA palette, so the scatter uses one brush per colour
and the raster renderer a lookup table: no per-point objects whatever N is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Up to this many categories get their own colour; the rest share "other".
MAX_CATEGORY_COLORS = 20
#: Integer columns with at most this many distinct values are shown as categories.
MAX_INT_CATEGORIES = 20
N_LEVELS = 256

CATEGORY_HEX = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#9edae5",
    "#dbdb8d",
    "#393b79",
)
DEFAULT_RGBA = (31, 119, 180, 200)
MISSING_RGBA = (190, 190, 190, 160)
OTHER_RGBA = (140, 140, 140, 160)
# matplotlib's viridis at 0, 1/8, …, 1 (interpolated linearly to 256 levels)
_VIRIDIS = np.array(
    [
        [68, 1, 84],
        [71, 44, 122],
        [59, 81, 139],
        [44, 113, 142],
        [33, 144, 141],
        [39, 173, 129],
        [92, 200, 99],
        [170, 220, 50],
        [253, 231, 37],
    ],
    dtype=float,
)


def _hex_rgba(code: str, alpha: int = 210) -> tuple[int, int, int, int]:
    return int(code[1:3], 16), int(code[3:5], 16), int(code[5:7], 16), alpha


def viridis(levels: int = N_LEVELS) -> np.ndarray:
    t = np.linspace(0, len(_VIRIDIS) - 1, levels)
    rgb = np.stack([np.interp(t, np.arange(len(_VIRIDIS)), _VIRIDIS[:, c]) for c in range(3)], 1)
    return np.column_stack([rgb.round(), np.full(levels, 210)]).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class ColorMapping:
    """``codes[i]`` indexes ``palette`` for point i. ``entries`` describe the legend."""

    codes: np.ndarray
    palette: np.ndarray
    kind: str  # "single", "categorical" or "numeric"
    column: str | None = None
    entries: list[tuple[str, int]] = field(default_factory=list)  # (label, count) per colour
    value_range: tuple[float, float] | None = None

    def rgba(self) -> np.ndarray:
        """(N, 4) uint8 colours (for tests and exports; rendering uses codes + palette)."""
        return self.palette[self.codes]


def single_color(n: int) -> ColorMapping:
    return ColorMapping(
        codes=np.zeros(n, dtype=np.int32),
        palette=np.array([DEFAULT_RGBA], dtype=np.uint8),
        kind="single",
    )


def color_mapping(values: np.ndarray | None, column: str | None = None) -> ColorMapping:
    """Colours for a column: categories (strings, few distinct integers) or a numeric scale."""
    if values is None:
        return single_color(0)
    if values.dtype.kind == "f" or (
        values.dtype.kind in "iu" and len(np.unique(values)) > MAX_INT_CATEGORIES
    ):
        return _numeric(values.astype(np.float64), column)
    return _categorical(values, column)


def _categorical(values: np.ndarray, column: str | None) -> ColorMapping:
    if values.dtype.kind == "O":
        missing = np.array([v is None for v in values], dtype=bool)
        keys = np.array([str(v) for v in values[~missing]], dtype=object)
    else:
        missing, keys = np.zeros(len(values), dtype=bool), values
    uniques, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.lexsort((np.arange(len(uniques)), -counts))  # most frequent first, then by value
    rank = np.empty(len(uniques), dtype=np.int32)
    rank[order] = np.arange(len(uniques))
    codes = np.zeros(len(values), dtype=np.int32)
    codes[~missing] = rank[inverse]
    n_colors = min(len(uniques), MAX_CATEGORY_COLORS)
    palette = [_hex_rgba(CATEGORY_HEX[i]) for i in range(n_colors)]
    entries = [(str(uniques[j]), int(counts[j])) for j in order[:n_colors]]
    if len(uniques) > n_colors:
        codes = np.minimum(codes, n_colors)
        palette.append(OTHER_RGBA)
        entries.append(
            (f"{len(uniques) - n_colors} other values", int(counts[order[n_colors:]].sum()))
        )
    if missing.any():
        codes[missing] = len(palette)
        palette.append(MISSING_RGBA)
        entries.append(("(missing)", int(missing.sum())))
    return ColorMapping(
        codes=codes,
        palette=np.array(palette, dtype=np.uint8),
        kind="categorical",
        column=column,
        entries=entries,
    )


def _numeric(values: np.ndarray, column: str | None) -> ColorMapping:
    finite = np.isfinite(values)
    palette = np.vstack([viridis(), np.array([MISSING_RGBA], dtype=np.uint8)])
    codes = np.full(len(values), N_LEVELS, dtype=np.int32)
    lo, hi = (float(values[finite].min()), float(values[finite].max())) if finite.any() else (0, 0)
    span = hi - lo if hi > lo else 1.0
    codes[finite] = np.clip(
        ((values[finite] - lo) / span * (N_LEVELS - 1)).round(), 0, N_LEVELS - 1
    ).astype(np.int32)
    entries = [("(missing)", int((~finite).sum()))] if not finite.all() else []
    return ColorMapping(
        codes=codes,
        palette=palette,
        kind="numeric",
        column=column,
        entries=entries,
        value_range=(lo, hi),
    )
