"""Keyword labels for groups of texts by class-based TF-IDF (c-TF-IDF, as in BERTopic).

All texts of a cluster form one document; a term's weight in cluster c is its frequency in c
(square-rooted, BERTopic's ``reduce_frequent_words``, and normalised over the cluster) times
log(1 + A / f_t), where A is the average number of words per cluster and f_t the term's
frequency over all clusters. On the demo corpus with its topic labels as clusters this gives
e.g. History → "empire, war, dynasty"; Biology → "species, family, genus".

Stop words are those of the texts' languages, found on a sample of the texts
(``core/embedding/language.py``): French clusters are not named "une, sont, leur".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from embexplorer.core.embedding.language import stop_words, text_languages

TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w\-]{2,}\b"  # words of 3+ characters starting with a letter


def class_tfidf_keywords(
    texts: Sequence[str | None],
    labels: np.ndarray,
    top_n: int = 5,
    languages: Sequence[str] | None = None,
) -> dict[int, list[str]]:
    """The ``top_n`` keywords of every label (noise, -1, gets none).

    ``languages`` (ISO 639-1 codes) name the stop words to drop besides English ones; None
    detects them on a sample of the texts.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    classes = np.unique(labels[labels >= 0])
    docs = ["" if t is None else str(t) for t in texts]
    if not len(classes) or not any(docs):
        return {}
    if languages is None:
        languages = text_languages(docs)
    vectorizer = CountVectorizer(
        stop_words=_token_stop_words(languages),
        token_pattern=TOKEN_PATTERN,
        lowercase=True,
        min_df=2 if len(docs) >= 50 else 1,
        max_features=200_000,
    )
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:  # no words at all (e.g. only stop words)
        return {}
    in_class = labels >= 0
    position = np.searchsorted(classes, labels[in_class])
    membership = sparse.csr_matrix(
        (np.ones(len(position)), (position, np.flatnonzero(in_class))),
        shape=(len(classes), len(docs)),
    )
    tf = np.asarray((membership @ counts).todense(), dtype=np.float64)
    average = tf.sum() / len(classes)
    term_total = tf.sum(axis=0)
    root = np.sqrt(tf)
    weights = (root / np.maximum(root.sum(axis=1, keepdims=True), 1e-12)) * np.log1p(
        average / np.maximum(term_total, 1)
    )
    vocabulary = vectorizer.get_feature_names_out()
    out = {}
    for row, cls in enumerate(classes):
        best = np.argsort(-weights[row], kind="stable")[:top_n]
        out[int(cls)] = [str(vocabulary[j]) for j in best if weights[row, j] > 0]
    return out


def _token_stop_words(languages: Sequence[str]) -> list[str]:
    """The stop words that are whole tokens of TOKEN_PATTERN, lower case.

    scikit-learn warns when a stop word would be cut into other tokens ("aujourd'hui"); such a
    word never reaches the vocabulary whole, so leaving it out changes nothing.
    """
    import re

    pattern = re.compile(TOKEN_PATTERN)
    return sorted(w for w in {w.lower() for w in stop_words(languages)} if pattern.fullmatch(w))
