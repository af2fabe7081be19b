"""``embexplorer embed --engine ray`` on the local 2-CPU cluster: the same vectors as the local
engine, a rerun after a killed worker redoes only its shard, bad input files are named and
skipped while the good ones are kept, and a missing Ray says how to install it."""

from __future__ import annotations

import json
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embexplorer.cli import main
from embexplorer.core.resources import demo_corpus_path
from embexplorer.engine.embed_worker import EXIT_HOOK
from embexplorer.engine.shards import row_ranges

ROWS = 48


@pytest.fixture(scope="module")
def demo_rows():
    table = pq.read_table(demo_corpus_path(), columns=["id", "topic", "text"])
    return table.slice(0, ROWS)


def write_input(path, table, row_group_size=8):
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def shards_of(folder):
    return sorted(p for p in folder.iterdir() if p.suffix == ".parquet")


def embed_ray(source, out, *extra):
    return main(
        ["embed", str(source), "--engine", "ray", "--text-column", "text", "-o", str(out), *extra]
    )


def test_vectors_equal_the_local_engine(ray_cluster, tmp_path, demo_rows, capsys):
    source = write_input(tmp_path / "in.parquet", demo_rows)
    local, out = tmp_path / "local.parquet", tmp_path / "out"
    assert (
        main(["embed", str(source), "--text-column", "text", "--no-cache", "-o", str(local)]) == 0
    )
    assert embed_ray(source, out, "--rows-per-shard", "16", "--workers", "2") == 0
    assert "48 vectors of 384 dims" in capsys.readouterr().out
    files = shards_of(out)
    assert [f.name for f in files] == [f"in.parquet.{s:012d}.parquet" for s in (0, 16, 32)]
    ours, theirs = pa.concat_tables([pq.read_table(f) for f in files]), pq.read_table(local)
    assert ours.column_names == theirs.column_names == ["id", "topic", "text", "vector"]
    for name in ("id", "topic", "text"):
        assert ours.column(name).to_pylist() == theirs.column(name).to_pylist()
    a = np.stack(ours.column("vector").to_numpy(zero_copy_only=False))
    b = np.stack(theirs.column("vector").to_numpy(zero_copy_only=False))
    assert a.shape == (ROWS, 384) and np.abs(a - b).max() <= 1e-6
    record = json.loads((out / "_embexplorer.json").read_text())
    assert record["complete"] is True and len(record["shards"]) == 3
    assert record["settings"]["text_column"] == "text"
    local_prov = json.loads(pq.read_schema(local).metadata[b"embexplorer.provenance"])
    assert record["settings"]["model_sha256"] == local_prov["encoder"]["model_sha256"]
    assert record["provenance"]["versions"]["ray"] == ray_cluster.__version__


def test_rerun_after_a_killed_worker_redoes_only_its_shard(
    ray_cluster, tmp_path, demo_rows, monkeypatch, capsys
):
    source = write_input(tmp_path / "in.parquet", demo_rows.slice(0, 24))
    out = tmp_path / "out"
    victim = f"in.parquet.{8:012d}.parquet"
    monkeypatch.setenv(EXIT_HOOK, victim)  # the worker exits on it, and again on the retry
    assert embed_ray(source, out, "--rows-per-shard", "8") == 1
    err = capsys.readouterr().err
    assert "in.parquet rows 8–15: the worker embedding it died, 2 time(s)" in err
    assert "run the same command again" in err.lower()
    survivors = {f.name: (f.stat().st_ino, f.stat().st_mtime_ns) for f in shards_of(out)}
    assert sorted(survivors) == [f"in.parquet.{s:012d}.parquet" for s in (0, 16)]
    assert json.loads((out / "_embexplorer.json").read_text())["complete"] is False

    monkeypatch.delenv(EXIT_HOOK)
    assert embed_ray(source, out, "--rows-per-shard", "8") == 0
    assert "8 vectors of 384 dims from column 'text' in 1 new shard(s), 2 kept" in (
        capsys.readouterr().out
    )
    after = {f.name: (f.stat().st_ino, f.stat().st_mtime_ns) for f in shards_of(out)}
    assert sorted(after) == sorted([*survivors, victim])
    assert all(after[name] == survivors[name] for name in survivors)  # not rewritten
    ids = pa.concat_tables([pq.read_table(f) for f in shards_of(out)]).column("id").to_pylist()
    assert ids == demo_rows.column("id").to_pylist()[:24]


def test_bad_files_are_named_and_skipped_the_good_ones_kept(
    ray_cluster, tmp_path, demo_rows, capsys
):
    folder, out = tmp_path / "shards", tmp_path / "out"
    folder.mkdir()
    good = write_input(folder / "a-good.parquet", demo_rows.slice(0, 8))
    (folder / "b-corrupt.parquet").write_bytes(good.read_bytes()[:-40])  # its footer cut off
    write_input(folder / "c-notext.parquet", demo_rows.slice(0, 8).drop_columns(["text"]))
    (folder / "d-notext.jsonl").write_text('{"id": 1, "body": "no text column"}\n')
    assert embed_ray(folder, out) == 1
    err = capsys.readouterr().err
    assert "not embedded: b-corrupt.parquet: b-corrupt.parquet is not a readable Parquet" in err
    assert "not embedded: c-notext.parquet: c-notext.parquet: there is no column 'text'" in err
    assert "not embedded: d-notext.jsonl: d-notext.jsonl: there is no column 'text'" in err
    assert "3 input(s) not embedded" in err and "the 1 other shard(s) are complete" in err
    assert [f.name for f in shards_of(out)] == [f"a-good.parquet.{0:012d}.parquet"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporaries left
    table = pq.read_table(shards_of(out)[0])
    assert table.column("id").to_pylist() == demo_rows.column("id").to_pylist()[:8]
    record = json.loads((out / "_embexplorer.json").read_text())
    assert record["complete"] is False
    assert set(record["not_embedded"]) == {
        "b-corrupt.parquet",
        "c-notext.parquet",
        "d-notext.jsonl",
    }


def test_a_rerun_with_other_settings_is_refused(ray_cluster, tmp_path, demo_rows, capsys):
    source = write_input(tmp_path / "in.parquet", demo_rows.slice(0, 8))
    out = tmp_path / "out"
    assert embed_ray(source, out) == 0
    before = {f.name: f.stat().st_mtime_ns for f in shards_of(out)}
    assert embed_ray(source, out, "--max-length", "128") == 1
    err = capsys.readouterr().err
    assert "holds shards embedded with other settings (max_length 256 there, 128 now)" in err
    assert {f.name: f.stat().st_mtime_ns for f in shards_of(out)} == before


def test_without_ray_the_install_hint(tmp_path, demo_rows, monkeypatch, capsys):
    source = write_input(tmp_path / "in.parquet", demo_rows.slice(0, 8))
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    assert embed_ray(source, tmp_path / "out") == 1
    assert "pip install 'embexplorer[cluster]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("groups", "target", "expected"),
    [
        ([8, 8, 8], 16, [(0, 16), (16, 24)]),
        ([8, 8, 8], 8, [(0, 8), (8, 16), (16, 24)]),
        ([3, 20, 3], 8, [(0, 3), (3, 9), (9, 16), (16, 23), (23, 26)]),
        ([5], 100, [(0, 5)]),
        ([], 4, []),
    ],
)
def test_row_ranges_cut_at_row_groups(groups, target, expected):
    assert row_ranges(groups, target) == expected
