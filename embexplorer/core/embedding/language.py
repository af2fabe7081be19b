"""Which languages the texts are in, and whether the model's tokenizer reads them.

A model trained on English (the bundled all-MiniLM-L6-v2) still turns French text into
vectors, without a word, but their neighbours then follow spelling more than meaning. This
module says so before the user reads the map, from a sample of the texts (cheap: a few
milliseconds once the detector is loaded, about 1 s the first time):

- each sampled text's language, by py3langid (langid.py's naive Bayes over byte n-grams; its
  model ships inside the package and loads without pickle);
- whether the tokenizer *covers* each language found: the share of that language's common
  words (its stop-word list, from stopwordsiso) that the tokenizer keeps as one known token.
  A vocabulary built for a language holds its common words whole; measured on the bundled
  tokenizer: English 84 %, French 25 %, German 17 %, Spanish 19 %, Russian 3 %, Chinese 5 %.
  The test does not need to know which languages a model was trained on, so it holds for a
  user's own ONNX model too;
- the share of the texts' words that the tokenizer splits into pieces or cannot read, said to
  the user as the visible symptom (bundled tokenizer: 6 % on the English demo, 32 % on French,
  53 % on German texts).

The same detector picks the stop words that cluster keywords drop (``stop_words``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embexplorer.core.tasks import Progress, Task

#: texts looked at (a random sample, always the same for the same texts)
SAMPLE_SIZE = 200
#: a text needs this many letters for its language to be judged (one or two words are not)
MIN_LETTERS = 20
#: no verdict from fewer judged texts than this
MIN_JUDGED = 5
#: a language counts when at least this share of the judged texts is in it
MIN_SHARE = 0.2
#: the tokenizer covers a language when it keeps at least this share of its common words whole
MIN_COVERAGE = 0.5
#: for a language without a stop-word list: covered while at most this share of its words split
MAX_SPLIT = 0.25

LANGUAGE_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "br": "Breton",
    "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French", "ga": "Irish",
    "gl": "Galician", "gu": "Gujarati", "ha": "Hausa", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
    "ko": "Korean", "ku": "Kurdish", "la": "Latin", "lb": "Luxembourgish", "lt": "Lithuanian",
    "lv": "Latvian", "mk": "Macedonian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
    "so": "Somali", "sq": "Albanian", "sr": "Serbian", "st": "Sotho", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "th": "Thai", "tl": "Tagalog", "tr": "Turkish",
    "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese", "yo": "Yoruba", "zh": "Chinese",
    "zu": "Zulu",
}  # fmt: skip


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, f"language '{code}'")


@dataclass(frozen=True, slots=True)
class LanguageFit:
    """How well a tokenizer reads a sample of texts (see the module docstring)."""

    #: sampled texts long enough to judge
    judged: int
    #: language code → share of the judged texts, largest first
    shares: dict[str, float] = field(default_factory=dict)
    #: language code → share of its common words the tokenizer keeps whole (None: no list)
    coverage: dict[str, float | None] = field(default_factory=dict)
    #: share of the judged texts' words the tokenizer splits into pieces or cannot read
    split_words: float = 0.0
    #: languages (each ≥ MIN_SHARE of the texts) that the tokenizer does not cover
    unread: tuple[str, ...] = ()

    def warning(self, model: str) -> str | None:
        """What to tell the user, or None when the model reads the texts' languages."""
        if not self.unread:
            return None
        found = " and ".join(
            f"{self.shares[c]:.0%} {'are ' if i == 0 else ''}in {language_name(c)}"
            for i, c in enumerate(self.unread)
        )
        known = [c for c in self.unread if self.coverage.get(c) is not None]
        kept = " and ".join(
            f"{self.coverage[c]:.0%} of common {language_name(c)} words" for c in known
        )
        kept = f"keeps only {kept} whole and " if known else ""
        names = " or ".join(language_name(c) for c in self.unread)
        return (
            f"Of {self.judged:,} sampled texts, {found}, which {model} does not read well: its "
            f"tokenizer {kept}splits {self.split_words:.0%} of the texts' words into pieces. "
            "Neighbours and clusters may follow spelling more than meaning. Choose a model made "
            f"for {names}, or a multilingual one (e.g. multilingual-e5-small or "
            "paraphrase-multilingual-MiniLM-L12-v2, exported to ONNX)."
        )


def sample_texts(texts: Sequence[str | None], size: int = SAMPLE_SIZE) -> list[str]:
    """Up to ``size`` texts long enough to judge, drawn at random (seeded), in corpus order.

    Looks at no more than ``20 × size`` texts, so a corpus of millions costs the same.
    """
    picked = []
    for i in np.random.default_rng(0).permutation(len(texts))[: 20 * size]:
        text = texts[i]
        if text and sum(c.isalpha() for c in str(text)[:400]) >= MIN_LETTERS:
            picked.append(int(i))
            if len(picked) == size:
                break
    return [str(texts[i])[:1000] for i in sorted(picked)]


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def detect_languages(texts: Iterable[str]) -> list[str]:
    """The ISO 639-1 code of each text's language (py3langid)."""
    identifier = _identifier()
    return [identifier.classify(t)[0] for t in texts]


def language_shares(texts: Sequence[str]) -> dict[str, float]:
    """Language code → share of ``texts``, largest first."""
    counts = Counter(detect_languages(texts))
    return {code: n / len(texts) for code, n in counts.most_common()}


def text_languages(texts: Sequence[str | None], min_share: float = 0.1) -> list[str]:
    """The languages of at least ``min_share`` of a sample of ``texts`` (none if too few)."""
    sample = sample_texts(texts)
    if len(sample) < MIN_JUDGED:
        return []
    return [c for c, share in language_shares(sample).items() if share >= min_share]


def language_stop_words(code: str) -> frozenset[str]:
    """The language's stop words (stopwordsiso; empty when it has no list)."""
    import stopwordsiso

    return frozenset(stopwordsiso.stopwords(code))


def _whole(encodings: Iterable[Any], unknown: int | None) -> bool:
    return any(len(e.ids) == 1 and e.ids[0] != unknown for e in encodings)


def tokenizer_coverage(tokenizer: Any, code: str) -> float | None:
    """Share of the language's common words that ``tokenizer`` keeps as one known token.

    Each word is tried alone and after a space (byte-level BPE and SentencePiece vocabularies
    hold a word's in-sentence form, with its leading space marker). None without a list.
    """
    words = sorted(w for w in language_stop_words(code) if w.isalpha())
    if not words:
        return None
    unknown = _unknown_id(tokenizer)
    alone = tokenizer.encode_batch(words, add_special_tokens=False)
    spaced = tokenizer.encode_batch([f" {w}" for w in words], add_special_tokens=False)
    whole = sum(_whole(pair, unknown) for pair in zip(alone, spaced, strict=True))
    return whole / len(words)


def split_word_share(tokenizer: Any, texts: Sequence[str]) -> float:
    """Share of the words (as the tokenizer's pre-tokenizer cuts them) split or unknown."""
    unknown = _unknown_id(tokenizer)
    words = split = 0
    for encoding in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        pieces = Counter(w for w in encoding.word_ids if w is not None)
        unreadable = {
            w for w, i in zip(encoding.word_ids, encoding.ids, strict=True) if i == unknown
        }
        words += len(pieces)
        split += sum(n > 1 or w in unreadable for w, n in pieces.items())
    return split / max(words, 1)


def _unknown_id(tokenizer: Any) -> int | None:
    for token in ("[UNK]", "<unk>", "<UNK>"):
        if (found := tokenizer.token_to_id(token)) is not None:
            return found
    return None


def load_plain_tokenizer(path: Path) -> Any:
    """The tokenizer without truncation or padding (to count and inspect tokens)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def check_language(texts: Sequence[str | None], tokenizer: Any) -> LanguageFit:
    """How well ``tokenizer`` reads the languages of a sample of ``texts``."""
    sample = sample_texts(texts)
    if len(sample) < MIN_JUDGED:
        return LanguageFit(judged=len(sample))
    languages = detect_languages(sample)
    shares = {c: n / len(sample) for c, n in Counter(languages).most_common()}
    main = [c for c, share in shares.items() if share >= MIN_SHARE]
    coverage = {c: tokenizer_coverage(tokenizer, c) for c in main}
    unread = []
    for code in main:
        own = [t for t, c in zip(sample, languages, strict=True) if c == code]
        fits = (
            split_word_share(tokenizer, own) <= MAX_SPLIT
            if coverage[code] is None
            else coverage[code] >= MIN_COVERAGE
        )
        if not fits:
            unread.append(code)
    return LanguageFit(
        judged=len(sample),
        shares=shares,
        coverage=coverage,
        split_words=split_word_share(tokenizer, sample),
        unread=tuple(unread),
    )


def language_warning(texts: Sequence[str | None], tokenizer_path: Path, model: str) -> str | None:
    """What to tell the user before ``model`` embeds ``texts``, or None (see LanguageFit).

    None too when the tokenizer file cannot be read: embedding then refuses it in its own words.
    """
    try:
        tokenizer = load_plain_tokenizer(tokenizer_path)
    except Exception:  # tokenizers raises a bare Exception for any unreadable file
        return None
    return check_language(texts, tokenizer).warning(model)


def language_warning_task(
    texts: Sequence[str | None], tokenizer_path: Path, model: str
) -> Task[str | None]:
    """:func:`language_warning` as a task (the detector's first load takes about 1 s)."""
    yield Progress(None, "Checking the texts' language")
    _identifier()
    yield Progress(None, "Checking the texts' language")
    return language_warning(texts, tokenizer_path, model)


def stop_words(languages: Iterable[str]) -> frozenset[str]:
    """English stop words (scikit-learn's list) plus those of ``languages`` (stopwordsiso).

    English keeps scikit-learn's shorter list, which cluster keywords always used:
    stopwordsiso's English list (1,298 words) also drops words such as "best", "case", "date".
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS)
    for code in languages:
        if code != "en":
            words |= language_stop_words(code)
    return frozenset(words)
