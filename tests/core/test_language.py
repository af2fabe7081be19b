"""Texts in other languages (issue 11, part 7): the model's fit and the keywords' stop words.

References: the tokenizer's own vocabulary (a WordPiece vocabulary holds a word whole exactly
when it has it as an entry) and the stopwordsiso lists.
"""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import stopwordsiso
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from embexplorer.core.analysis.keywords import class_tfidf_keywords
from embexplorer.core.embedding.language import (
    MIN_JUDGED,
    check_language,
    load_plain_tokenizer,
    sample_texts,
    stop_words,
    text_languages,
    tokenizer_coverage,
)
from embexplorer.core.resources import default_tokenizer_path, demo_corpus_path
from tests.core.language_texts import (
    FRENCH,
    FRENCH_FOOD,
    FRENCH_SPORT,
    GERMAN,
    GERMAN_FOOD,
    GERMAN_SPORT,
)


@pytest.fixture(scope="module")
def english_tokenizer():
    return load_plain_tokenizer(default_tokenizer_path())


@pytest.fixture(scope="module")
def demo_texts():
    return pq.read_table(demo_corpus_path(), columns=["text"]).column("text").to_pylist()


def french_tokenizer() -> Tokenizer:
    """A WordPiece tokenizer whose vocabulary is French: common words and the texts' words."""
    words = {w for w in stopwordsiso.stopwords("fr") if w.isalpha()}
    lowered = normalizers.BertNormalizer(lowercase=True, strip_accents=False)
    for text in FRENCH:
        words |= {w for w, _ in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(text)}
    words = {lowered.normalize_str(w) for w in words}
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(sorted(words))}}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = lowered
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tokenizer


def test_the_english_demo_fits_the_bundled_model(english_tokenizer, demo_texts):
    fit = check_language(demo_texts, english_tokenizer)
    assert fit.judged == 200 and fit.shares["en"] >= 0.95
    assert fit.unread == () and fit.warning("all-MiniLM-L6-v2") is None
    assert fit.split_words < 0.1


@pytest.mark.parametrize(
    ("texts", "code", "name"), [(FRENCH, "fr", "French"), (GERMAN, "de", "German")]
)
def test_french_and_german_do_not_fit_the_bundled_model(english_tokenizer, texts, code, name):
    fit = check_language(texts, english_tokenizer)
    assert fit.shares == {code: 1.0} and fit.unread == (code,)
    vocab = english_tokenizer.get_vocab()
    common = [w for w in stopwordsiso.stopwords(code) if w.isalpha()]
    normal = english_tokenizer.normalizer.normalize_str  # lower case, no accents
    in_vocab = np.mean([normal(w) in vocab for w in common])  # WordPiece: whole = an entry
    assert fit.coverage[code] == pytest.approx(in_vocab, abs=0.02) and in_vocab < 0.3
    warning = fit.warning("all-MiniLM-L6-v2")
    assert f"100% are in {name}, which all-MiniLM-L6-v2 does not read well" in warning
    assert f"keeps only {fit.coverage[code]:.0%} of common {name} words whole" in warning
    assert "multilingual" in warning


def test_the_bundled_tokenizer_covers_english(english_tokenizer):
    vocab = english_tokenizer.get_vocab()
    common = [w for w in stopwordsiso.stopwords("en") if w.isalpha()]
    normal = english_tokenizer.normalizer.normalize_str
    coverage = tokenizer_coverage(english_tokenizer, "en")
    assert coverage == pytest.approx(np.mean([normal(w) in vocab for w in common]), abs=0.02)
    assert coverage > 0.8


def test_a_french_tokenizer_reads_french_and_not_english(demo_texts):
    """The verdict comes from the tokenizer, not from "anything but English is wrong"."""
    tokenizer = french_tokenizer()
    assert check_language(FRENCH, tokenizer).unread == ()
    assert check_language(demo_texts, tokenizer).unread == ("en",)


def test_a_mixed_corpus_names_each_language(english_tokenizer, demo_texts):
    fit = check_language(FRENCH + GERMAN + demo_texts[:6], english_tokenizer)
    assert set(fit.unread) == {"fr", "de"} and fit.shares["en"] == pytest.approx(0.2)
    assert "in French and" in fit.warning("m") and "Choose a model made for French or German" in (
        fit.warning("m")
    )


def test_words_and_short_labels_get_no_verdict(english_tokenizer):
    words = ["chat", "chien", "maison", "voiture", "arbre", "fleur", "soleil", "lune"] * 10
    assert sample_texts(words) == []
    fit = check_language(words, english_tokenizer)
    assert fit.judged == 0 < MIN_JUDGED and fit.warning("m") is None


def test_the_sample_is_seeded_and_bounded(demo_texts):
    first = sample_texts(demo_texts)
    assert first == sample_texts(demo_texts) and len(first) == 200
    starts = {t[:1000] for t in demo_texts}  # each text's first 1,000 characters
    assert set(first) <= starts and len(set(first)) == 200


def test_languages_of_the_texts():
    assert text_languages(FRENCH) == ["fr"]
    assert sorted(text_languages(FRENCH + GERMAN)) == ["de", "fr"]
    assert text_languages(["ok"] * 50) == []


@pytest.mark.parametrize(
    ("food", "sport", "code"),
    [(FRENCH_FOOD, FRENCH_SPORT, "fr"), (GERMAN_FOOD, GERMAN_SPORT, "de")],
)
def test_keywords_drop_the_texts_stop_words(food, sport, code):
    texts, labels = food + sport, np.array([0] * len(food) + [1] * len(sport))
    listed = stopwordsiso.stopwords(code)
    english_only = class_tfidf_keywords(texts, labels, languages=["en"])
    assert any(w in listed for words in english_only.values() for w in words)  # the old labels
    keywords = class_tfidf_keywords(texts, labels)
    assert len(keywords[0]) == len(keywords[1]) == 5
    assert not any(w in listed for words in keywords.values() for w in words)
    assert keywords == class_tfidf_keywords(texts, labels, languages=[code])
    food_words = {"fr": {"fromage", "pain", "vin"}, "de": {"brot", "käse", "bäcker"}}[code]
    assert food_words <= set(keywords[0])


def test_stop_words_keep_scikit_learns_english_list():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert stop_words(["en"]) == ENGLISH_STOP_WORDS
    assert stop_words(["fr"]) == ENGLISH_STOP_WORDS | stopwordsiso.stopwords("fr")
