"""``embexplorer compare`` and ``embexplorer stability``: the contract a script relies on."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.neighbors import NearestNeighbors

from embexplorer.cli import main


@pytest.fixture
def corpus(tmp_path):
    rng = np.random.default_rng(11)
    a = rng.normal(size=(80, 12)).astype(np.float32)
    b = (a + rng.normal(scale=0.8, size=a.shape)).astype(np.float32)
    path = tmp_path / "c.parquet"
    pq.write_table(
        pa.table(
            {
                "id": [f"r{i}" for i in range(80)],
                "vector": pa.array(list(a), type=pa.list_(pa.float32())),
                "other": pa.array(list(b), type=pa.list_(pa.float32())),
            }
        ),
        path,
    )
    return path, a, b


def _knn(x, k, metric="cosine"):
    nn = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm="brute").fit(x)
    return nn.kneighbors(x)[1][:, 1:]


def test_compare_two_columns_writes_the_documented_columns_and_summary(corpus, tmp_path):
    path, a, b = corpus
    out = tmp_path / "cmp.parquet"
    assert main(["compare", str(path), "--b", "other", "-k", "5", "-o", str(out)]) == 0
    table = pq.read_table(out)
    for name in ("neighbors_a", "neighbors_b", "overlap", "k_occurrence_a", "k_occurrence_b"):
        assert name in table.column_names
    ref_a, ref_b = _knn(a, 5), _knn(b, 5)
    assert table.column("neighbors_a").to_pylist() == ref_a.tolist()
    expected = [len(set(r) & set(s)) / 5 for r, s in zip(ref_a, ref_b, strict=True)]
    np.testing.assert_allclose(table.column("overlap").to_numpy(), expected)
    summary = json.loads(out.with_suffix(".json").read_text())
    for key in (
        "mean_overlap",
        "median_overlap",
        "skewness_a",
        "skewness_b",
        "n_hubs_a",
        "n_hubs_b",
        "k",
        "metric_a",
        "metric_b",
        "timings",
    ):
        assert key in summary
    assert summary["mean_overlap"] == pytest.approx(np.mean(expected))
    assert (summary["k"], summary["metric_a"], summary["metric_b"]) == (5, "cosine", "cosine")


def test_compare_with_a_second_file_by_id_and_with_binary_codes(corpus, tmp_path):
    path, _a, b = corpus
    order = np.random.default_rng(0).permutation(80)
    other = tmp_path / "o.parquet"
    pq.write_table(
        pa.table(
            {
                "key": [f"r{i}" for i in order],
                "v": pa.array(list(b[order]), type=pa.list_(pa.float32())),
            }
        ),
        other,
    )
    out = tmp_path / "cmp.parquet"
    args = ["compare", str(path), "--b", f"file:{other}", "--id-column", "key", "-k", "4"]
    assert main([*args, "-o", str(out)]) == 0
    assert pq.read_table(out).column("neighbors_b").to_pylist() == _knn(b, 4).tolist()
    assert main(["compare", str(path), "--b", "binary", "-k", "4", "-o", str(out)]) == 0
    assert json.loads(out.with_suffix(".json").read_text())["metric_b"] == "hamming"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--b", "truncate:12"], "keeps all 12 dimensions"),
        (["--b", "nope"], "no column"),
        (["--b", "other", "-k", "0"], "-k must be between 1 and 100"),
        (["--b", "file:missing.parquet"], "missing.parquet"),
    ],
)
def test_compare_refuses_bad_specs_with_a_message(corpus, tmp_path, capsys, args, message):
    path, _, _ = corpus
    assert main(["compare", str(path), *args, "-o", str(tmp_path / "x.parquet")]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_stability_lists_every_variant_with_its_numbers(corpus, tmp_path):
    path, a, _ = corpus
    out = tmp_path / "s.json"
    assert main(["stability", str(path), "--dims", "4,8,64", "-k", "5", "-o", str(out)]) == 0
    report = json.loads(out.read_text())
    variants = [entry["variant"] for entry in report["variants"]]
    assert variants == ["float32", "truncate:4", "truncate:8", "int8", "binary"]
    for entry in report["variants"]:
        assert set(entry) >= {"variant", "recall", "skewness", "bytes_per_vector", "knn_seconds"}
    cut = a[:, :8] / np.linalg.norm(a[:, :8], axis=1, keepdims=True)
    expected = np.mean(
        [len(set(r) & set(s)) / 5 for r, s in zip(_knn(cut, 5), _knn(a, 5), strict=True)]
    )
    assert report["variants"][2]["recall"] == pytest.approx(expected)
    assert [e["bytes_per_vector"] for e in report["variants"]] == [48, 16, 32, 12, 2]
