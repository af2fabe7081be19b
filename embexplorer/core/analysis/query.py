"""Search by meaning: a typed text embedded with the encoder that made the corpus's vectors,
and its exact nearest rows (and where it falls on a linear map)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from embexplorer.core.embedding.embedding import config_for_vectors
from embexplorer.core.embedding.encoder import TextEncoder
from embexplorer.core.errors import InputError
from embexplorer.core.tasks import Progress, Task


@dataclasses.dataclass(frozen=True, eq=False)
class QueryResult:
    """A typed query's nearest rows (nearest first) and where it falls on the map, if known."""

    text: str
    rows: np.ndarray
    distances: np.ndarray
    metric: str
    position: np.ndarray | None


def semantic_query_task(
    text: str,
    vectors: np.ndarray,
    provenance: Mapping[str, Any],
    k: int,
    projection: Any = None,
    encoder: TextEncoder | None = None,
    metric: str = "cosine",
    trusted: Collection[str] = (),
) -> Task[tuple[QueryResult, TextEncoder]]:
    """Embed ``text`` with the corpus's own encoder and find its k nearest rows.

    Returns the encoder too, so the caller can pass it back and skip loading it next time.
    """
    from embexplorer.core.analysis.neighbors import query_neighbors

    config = config_for_vectors(provenance, trusted)
    if (
        encoder is None
        or encoder.config.model_path != config.model_path
        or (encoder.config.settings() != config.settings())
    ):
        yield Progress(None, "Loading the encoder")
        encoder = TextEncoder(config)
    yield Progress(0.5, "Embedding the query")
    query = encoder.encode_batch([text])
    if query.shape[1] != vectors.shape[1]:
        raise InputError(
            f"The query has {query.shape[1]} dimensions but the corpus vectors have "
            f"{vectors.shape[1]}."
        )
    found = query_neighbors(vectors, query, k, metric)
    position = None if projection is None else projection.transform(query)
    result = QueryResult(
        text=text,
        rows=found.indices[0],
        distances=found.distances[0],
        metric=metric,
        position=None if position is None else position[0],
    )
    return result, encoder
