"""``embexplorer analyze DATASET --engine ray``: a folder of Parquet shards analysed on the
local Ray cluster writes the same columns, with the same values, as the local ``analyze`` of
the same rows in one file; a bad shard is refused by name, before anything is written."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embexplorer.cli.analyze import main as analyze
from embexplorer.core.analysis import neighbors

WORDS = ["river", "bank", "money", "loan", "tree", "leaf", "stone", "music", "song", "light"]


def shard_table(lo: int, hi: int, dim: int = 16, seed: int = 0) -> pa.Table:
    """Rows lo:hi of one clustered dataset (its 2nd half repeats rows of the 1st: ties)."""
    rng = np.random.default_rng(seed)
    n = 240
    centres = rng.normal(size=(5, dim))
    topic = rng.integers(0, 5, n)
    vectors = (centres[topic] + 0.6 * rng.normal(size=(n, dim))).astype(np.float32)
    vectors[200:] = vectors[:40]
    texts = [
        " ".join(WORDS[(t * 2 + j) % 10] for j in range(4)) + f" {i}" for i, t in enumerate(topic)
    ]
    rows = slice(lo, hi)
    flat = pa.array(vectors[rows].reshape(-1), type=pa.float32())
    return pa.table(
        {
            "id": [f"doc{i}" for i in range(lo, hi)],
            "text": texts[rows],
            "topic": [f"t{t}" for t in topic[rows]],
            "vector": pa.FixedSizeListArray.from_arrays(flat, dim),
        }
    )


@pytest.fixture
def dataset(tmp_path):
    """A folder of three shards (rows 0–99, 100–179, 180–239) and the same rows in one file."""
    folder = tmp_path / "shards"
    folder.mkdir()
    for name, (lo, hi) in zip(["a", "b", "c"], [(0, 100), (100, 180), (180, 240)], strict=True):
        pq.write_table(shard_table(lo, hi), folder / f"part-{name}.parquet")
    whole = tmp_path / "whole.parquet"
    pq.write_table(shard_table(0, 240), whole)
    return folder, whole


OPTIONS = [
    "-k",
    "5",
    "--clusters",
    "kmeans:4",
    "--hubness-reduction",
    "csls",
    "--text-column",
    "text",
]


def test_ray_analysis_of_shards_equals_the_local_one(
    ray_cluster, dataset, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(neighbors, "GRAPH_BLOCK", 32)  # both engines: 8 blocks; on Ray 3 tasks
    folder, whole = dataset
    local, remote = tmp_path / "local.parquet", tmp_path / "out"
    assert analyze([str(whole), "-o", str(local), *OPTIONS]) == 0
    assert analyze([str(folder), "-o", str(remote), "--engine", "ray", *OPTIONS]) == 0
    expected = pq.read_table(local)
    files = sorted(remote.glob("*.parquet"))
    got = pa.concat_tables([pq.read_table(f) for f in files])
    assert got.schema.names == expected.schema.names
    for name in (
        "x",
        "y",
        "k_occurrence",
        "is_hub",
        "is_antihub",
        "cluster",
        "cluster_label",
        "preservation",
        "neighbors",
        "neighbor_distances",
        "reduced_neighbors",
        "id",
        "text",
        "topic",
    ):
        assert got[name].equals(expected[name]), name
    assert got.schema.metadata[b"embexplorer.provenance"]
    summary = json.loads((remote / "summary.json").read_text())
    local_summary = json.loads(local.with_suffix(".json").read_text())
    assert summary["rows"] == 240 and summary["engine"]["name"] == "ray"
    assert "on Ray: 3 tasks" in capsys.readouterr().err
    volatile = {"timings", "provenance", "engine"}  # times, the source's name, the cluster
    assert {k: v for k, v in summary.items() if k not in volatile} == {
        k: v for k, v in local_summary.items() if k not in volatile
    }
    assert summary["provenance"]["analysis"] == local_summary["provenance"]["analysis"]
    assert not list(tmp_path.glob(".out*"))  # the folder was built beside and renamed in


def test_ray_analysis_writes_one_file_when_asked(ray_cluster, dataset, tmp_path):
    folder, _ = dataset
    out = tmp_path / "one.parquet"
    assert analyze([str(folder), "-o", str(out), "--engine", "ray", "-k", "4"]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 240 and table["id"][0].as_py() == "doc0"
    assert table["neighbors"].type.list_size == 4
    assert json.loads(out.with_suffix(".json").read_text())["engine"]["cpus"] == 2


def _corrupt(folder):
    (folder / "part-b.parquet").write_bytes(b"PAR1 this is not parquet")


def _no_vectors(folder):
    pq.write_table(shard_table(100, 180).drop(["vector"]), folder / "part-b.parquet")


def _other_dimension(folder):
    table = shard_table(100, 180, dim=8)
    pq.write_table(table, folder / "part-b.parquet")


@pytest.mark.parametrize("spoil", [_corrupt, _no_vectors, _other_dimension])
def test_a_bad_shard_is_refused_by_name(ray_cluster, dataset, tmp_path, capsys, spoil):
    folder, _ = dataset
    spoil(folder)
    out = tmp_path / "out"
    assert analyze([str(folder), "-o", str(out), "--engine", "ray"]) == 1
    err = capsys.readouterr().err
    assert "part-b.parquet" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_a_folder_with_no_parquet_is_refused(ray_cluster, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert analyze([str(empty), "-o", str(tmp_path / "o"), "--engine", "ray"]) == 1
    assert "holds no Parquet files" in capsys.readouterr().err


def test_the_output_folder_never_replaces_other_files(ray_cluster, dataset, tmp_path, capsys):
    _, whole = dataset
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert analyze([str(whole), "-o", str(out), "--engine", "ray"]) == 1
    assert "holds other files" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"
