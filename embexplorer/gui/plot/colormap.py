"""Map a metadata column to colours: palette codes per point (numpy only, no Qt).

Every point gets an index into a small RGBA palette, so the scatter uses one brush per colour
and the raster renderer a lookup table: no per-point objects whatever N is.

The rules, so that a map reads the same on any file and in any session:

- **Which column by default** (:func:`default_color_column`): the label column when it is
  *categorical enough* (:func:`categorical_enough`: at least 2 values, its
  ``MAX_CATEGORY_COLORS`` most frequent values cover at least ``CATEGORY_COVERAGE`` of the rows
  that have a value, and at least half the rows have one; integers need at most
  ``MAX_INT_CATEGORIES`` distinct values). Otherwise the clusters: a column of 20,000 distinct
  words coloured by value is a grey map with a legend of "other values".
- **Order**: legend entries are sorted naturally (numbers numerically, "item 2" before
  "item 10", case ignored), not by count: a digits legend reads 0, 1, …, 9.
- **Colour of a category**: chosen from the category alone, so the same category has the same
  colour in every file and session. A whole number n (5, "5") takes palette slot n mod P
  (P = 40); any other text the slot given by the CRC-32 of its UTF-8 bytes mod 20 (the 20 most
  distinct colours). When two categories of one column want the same slot, the later one (in
  natural order) takes the next free slot, so the colours within a legend are always
  distinct. Beyond P categories, the most frequent P get a colour and the rest share a grey
  "other". Clusters are coloured by number (cluster n: slot n), named in the legend.
- **Numbers**: a continuous scale (viridis, colour-blind safe) over the values' range, or over
  their 1st–99th percentile when a few outliers stretch the range past twice that, so one
  outlier does not wash out the rest; values beyond are drawn in the end colours and the
  legend's colour bar says so ("≥ hi").
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from embexplorer.core.categories import category_codes, distinct_values

#: Up to this many categories get their own colour (the palette's size); the rest share "other".
MAX_CATEGORY_COLORS = 40
#: Integer columns with at most this many distinct values are shown as categories.
MAX_INT_CATEGORIES = 40
#: The most frequent MAX_CATEGORY_COLORS values must cover this share of the rows with a value
#: for a column to colour the map by default.
CATEGORY_COVERAGE = 0.9
#: The default colouring looks at a regular sample of this many rows (a 1M-row column: ~20 ms).
RULE_SAMPLE_ROWS = 20_000
#: Numeric scales span these percentiles of the finite values ...
NUMERIC_PERCENTILES = (1.0, 99.0)
#: ... when the whole range is more than this many times wider than theirs.
OUTLIER_STRETCH = 2.0
N_LEVELS = 256
#: Text categories hash into the first this many palette slots (see preferred_slot).
HASHED_SLOTS = 20

# fmt: off
#: 40 colours, distinct to people with normal and with deuteranomalous colour vision, in the
#: order glasbey adds them (each as far as possible from all before it). The first six are
#: Okabe & Ito's colour-blind-safe set ("Color Universal Design", 2008) without its yellow
#: (invisible on the white map) and black (the colour of the density lines); glasbey 0.4.0
#: (Glasbey et al. 2007, as implemented by L. McInnes; pypi.org/project/glasbey) added the
#: rest: ``glasbey.extend_palette(["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9",
#: "#CC79A7"], palette_size=40, colorblind_safe=True, cvd_type="deuteranomaly",
#: cvd_severity=50.0, lightness_bounds=(30, 70), chroma_bounds=(30, 90))``: mid lightness and
#: chroma, so every colour shows on the white map and none is the grey of "other".
CATEGORY_HEX = (
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#56b4e9",
    "#cc79a7", "#516900", "#92ceaa", "#a21086", "#ef35f7",
    "#246d61", "#e7a6db", "#00be00", "#55a29a", "#7ddb00",
    "#ae00d2", "#9e719e", "#7586ff", "#aa5100", "#828a4d",
    "#2ddbd2", "#d29671", "#750cff", "#d7a2ff", "#518eae",
    "#5d598a", "#f724c6", "#00be96", "#dbba69", "#ca14ba",
    "#107141", "#79b2c2", "#965579", "#8a49ff", "#be8ac6",
    "#925d3d", "#00d271", "#009200", "#aa9a3d", "#008a86",
)
# fmt: on
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
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_NUMBER_PARTS = re.compile(r"(\d+)")


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
    #: numeric: whether values lie below / above value_range (drawn in the end colours)
    clipped: tuple[bool, bool] = (False, False)

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


# -- the default column -------------------------------------------------------------------------
def categorical_enough(values: np.ndarray | None) -> bool:
    """Whether colouring by ``values`` draws a readable map (see the module's rules)."""
    if values is None or not len(values) or values.dtype.kind == "f":
        return False
    sample = values[:: max(1, len(values) // RULE_SAMPLE_ROWS)]
    if sample.dtype.kind == "O":
        present = sample[np.array([v is not None for v in sample], dtype=bool)]
        keys = np.array([str(v) for v in present], dtype=object)
    else:
        keys = sample
    if len(keys) < len(sample) / 2:
        return False
    counts = np.sort(distinct_values(keys)[2])[::-1]
    if len(counts) < 2 or (sample.dtype.kind in "iu" and len(counts) > MAX_INT_CATEGORIES):
        return False
    return counts[:MAX_CATEGORY_COLORS].sum() >= CATEGORY_COVERAGE * len(keys)


def default_color_column(
    columns: Mapping[str, np.ndarray], label_column: str | None, fallback: str
) -> str:
    """The column to colour a new map by: the label column when it is categorical enough,
    else ``fallback`` (the clusters)."""
    if label_column is not None and categorical_enough(columns.get(label_column)):
        return label_column
    return fallback


# -- categories ---------------------------------------------------------------------------------
def natural_key(text: str) -> tuple:
    """Sort key: whole numbers by value, other text with its digit runs by value, case ignored
    ("2" < "10", "item 2" < "item 10"); numbers before words."""
    if _WHOLE_NUMBER.fullmatch(text.strip()):
        return (0, int(text), text)
    parts = _NUMBER_PARTS.split(text.casefold())
    return (1, tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts), text)


def preferred_slot(category: str, slots: int = MAX_CATEGORY_COLORS) -> int:
    """The palette slot a category takes unless another of its column has it: a function of
    the category's text alone, so its colour is the same in every file. Text hashes into the
    first HASHED_SLOTS slots, the most distinct colours (glasbey adds them first)."""
    text = category.strip()
    if _WHOLE_NUMBER.fullmatch(text):
        return int(text) % slots
    return zlib.crc32(category.encode("utf-8")) % min(HASHED_SLOTS, slots)


def assign_slots(categories: list[str], slots: int = MAX_CATEGORY_COLORS) -> list[int]:
    """Distinct slots for up to ``slots`` categories: each its preferred slot, or the next
    free one when an earlier category (in the given order) holds it."""
    if len(categories) > slots:
        raise ValueError(f"{len(categories)} categories for {slots} colours")
    taken = np.zeros(slots, dtype=bool)
    out = []
    for category in categories:
        slot = preferred_slot(category, slots)
        while taken[slot]:
            slot = (slot + 1) % slots
        taken[slot] = True
        out.append(slot)
    return out


def cluster_mapping(
    cluster_ids: np.ndarray, label_text: Callable[[int], str], column: str | None
) -> ColorMapping:
    """Colours for clusters: by cluster number (cluster n takes slot n, so up to 40 clusters
    get the palette's most distinct colours), named by ``label_text``; noise (-1) is grey."""
    mapping = _categorical(np.asarray(cluster_ids), column)
    entries, palette = list(mapping.entries), mapping.palette.copy()
    for i, (value, count) in enumerate(entries):
        if _WHOLE_NUMBER.fullmatch(value):
            entries[i] = (label_text(int(value)), count)
            if int(value) < 0:
                palette[i] = OTHER_RGBA
    return dataclasses.replace(mapping, entries=entries, palette=palette)


def _categorical(values: np.ndarray, column: str | None) -> ColorMapping:
    coded = category_codes(values)
    if coded is not None:  # the codes are there already: count them (10M rows: ~50 ms)
        codes, categories = coded
        missing = codes < 0
        counts = np.bincount(codes[~missing], minlength=len(categories))
        present = np.flatnonzero(counts)
        renumber = np.full(len(categories), -1, dtype=np.int64)
        renumber[present] = np.arange(len(present))
        names, inverse = [str(categories[j]) for j in present], renumber[codes[~missing]]
        return _categories(names, inverse, counts[present], missing, column)
    if values.dtype.kind == "O":
        missing = np.array([v is None for v in values], dtype=bool)
        keys = np.array([str(v) for v in values[~missing]], dtype=object)
    else:
        missing, keys = np.zeros(len(values), dtype=bool), values
    uniques, inverse, counts = distinct_values(keys)
    return _categories([str(u) for u in uniques], inverse, counts, missing, column)


def _categories(
    names: list[str],
    inverse: np.ndarray,
    counts: np.ndarray,
    missing: np.ndarray,
    column: str | None,
) -> ColorMapping:
    """The mapping of the present values: their ``names`` (distinct), each present value's
    position in them (``inverse``), their ``counts``; ``missing`` marks the rows without one."""
    uniques = names
    n_colors = min(len(uniques), MAX_CATEGORY_COLORS)
    frequent = np.lexsort((np.arange(len(uniques)), -counts))[:n_colors]
    shown = sorted(frequent.tolist(), key=lambda j: natural_key(names[j]))
    rank = np.full(len(uniques), n_colors, dtype=np.int32)  # beyond the palette: "other"
    rank[shown] = np.arange(n_colors)
    codes = np.zeros(len(missing), dtype=np.int32)
    codes[~missing] = rank[inverse.ravel()]
    slots = assign_slots([names[j] for j in shown])
    palette = [_hex_rgba(CATEGORY_HEX[s]) for s in slots]
    entries = [(names[j], int(counts[j])) for j in shown]
    if len(uniques) > n_colors:
        palette.append(OTHER_RGBA)
        rest = int(counts.sum() - counts[shown].sum())
        entries.append((f"{len(uniques) - n_colors} other values", rest))
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


# -- numbers ------------------------------------------------------------------------------------
def _numeric(values: np.ndarray, column: str | None) -> ColorMapping:
    finite = np.isfinite(values)
    palette = np.vstack([viridis(), np.array([MISSING_RGBA], dtype=np.uint8)])
    codes = np.full(len(values), N_LEVELS, dtype=np.int32)
    present = values[finite]
    lo, hi = _scale_range(present)
    span = hi - lo if hi > lo else 1.0
    codes[finite] = np.clip(((present - lo) / span * (N_LEVELS - 1)).round(), 0, N_LEVELS - 1)
    clipped = (bool(len(present) and present.min() < lo), bool(len(present) and present.max() > hi))
    entries = [("(missing)", int((~finite).sum()))] if not finite.all() else []
    return ColorMapping(
        codes=codes,
        palette=palette,
        kind="numeric",
        column=column,
        entries=entries,
        value_range=(lo, hi),
        clipped=clipped,
    )


def _scale_range(present: np.ndarray) -> tuple[float, float]:
    """The whole range of the values, or their 1st–99th percentile when a few outliers
    stretch the range past twice that (a heavy tail such as N_k's)."""
    if not len(present):
        return 0.0, 0.0
    lo, hi = float(present.min()), float(present.max())
    p_lo, p_hi = (float(v) for v in np.percentile(present, NUMERIC_PERCENTILES))
    if p_hi > p_lo and (hi - lo) > OUTLIER_STRETCH * (p_hi - p_lo):
        return p_lo, p_hi
    return lo, hi
