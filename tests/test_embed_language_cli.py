"""``embexplorer embed`` warns on stderr, before embedding, when the model does not read the
texts' language, and goes on (exit 0): issue 11, part 7."""

from __future__ import annotations

import csv

import numpy as np
import pyarrow.parquet as pq
import pytest

from embexplorer.cli import main
from embexplorer.core.resources import demo_corpus_path
from tests.core.language_texts import FRENCH, GERMAN


def write_texts(path, texts):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text"])
        writer.writerows([t] for t in texts)
    return path


@pytest.mark.parametrize(("texts", "name"), [(FRENCH, "French"), (GERMAN, "German")])
def test_embed_warns_of_a_language_the_model_does_not_read(tmp_path, capsys, texts, name):
    out = tmp_path / "v.npy"
    args = ["embed", str(write_texts(tmp_path / "t.csv", texts)), "--no-cache", "-o", str(out)]
    assert main([*args, "--text-column", "text"]) == 0
    err = capsys.readouterr().err
    warning = f"embexplorer: warning: Of 12 sampled texts, 100% are in {name}, which "
    assert warning + "all-MiniLM-L6-v2 does not read well" in err
    assert "Give it with --model and --tokenizer." in err
    assert err.index(warning) < err.index("texts/s")  # said before the first batch
    assert np.load(out).shape == (12, 384)  # and the vectors are made all the same


def test_embed_of_english_texts_says_nothing_of_language(tmp_path, capsys):
    texts = pq.read_table(demo_corpus_path(), columns=["text"]).column("text").to_pylist()[:12]
    out = tmp_path / "v.npy"
    args = ["embed", str(write_texts(tmp_path / "t.csv", texts)), "--no-cache", "-o", str(out)]
    assert main([*args, "--text-column", "text", "--max-length", "32"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_analyze_of_texts_without_vectors_warns_of_the_language_too(tmp_path, capsys):
    """``analyze`` embeds a corpus that has no vectors with the bundled model: the same
    warning, before the embedding, saying how to embed with another model first."""
    out = tmp_path / "a.parquet"
    path = write_texts(tmp_path / "t.csv", FRENCH)
    assert main(["analyze", str(path), "--text-column", "text", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "embexplorer: warning: Of 12 sampled texts, 100% are in French" in err
    assert "Embed the texts with that model first (embexplorer embed PATH --model" in err
    assert pq.read_table(out).num_rows == 12
