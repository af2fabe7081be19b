"""The embedding cache never loses results nor returns wrong ones (reliability report, defects
1, 2 and 14): a failed store is a note, every entry is verified on read, a killed writer leaves
the old state or a complete entry, and temporary files are counted, cleared and swept."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

from embexplorer.core.embedding import embedding_cache
from embexplorer.core.embedding.embedding_cache import EmbeddingCache

KEY = "0123456789abcdef0123456789abcdef01234567"
ROWS, DIM = 200, 16


@pytest.fixture
def vectors():
    return np.random.default_rng(0).standard_normal((ROWS, DIM)).astype(np.float32)


@pytest.fixture
def cache(tmp_path, vectors):
    cache = EmbeddingCache(tmp_path / "cache")
    assert cache.put(KEY, vectors, {"rows": ROWS}) is None
    return cache


def _files(cache: EmbeddingCache) -> list[str]:
    return sorted(p.name for p in cache.folder.iterdir()) if cache.folder.is_dir() else []


def _rewrite_description(cache: EmbeddingCache, **changes) -> None:
    path = cache.folder / f"{KEY}.json"
    description = json.loads(path.read_text())
    description.update(changes)
    path.write_text(json.dumps(description))


def test_an_entry_reads_back_verified(cache, vectors):
    found = cache.lookup(KEY, ROWS, DIM)
    assert found.damage is None
    np.testing.assert_array_equal(found.vectors, vectors)
    assert found.vectors.flags.writeable and found.vectors.flags.c_contiguous
    description = json.loads((cache.folder / f"{KEY}.json").read_text())
    assert description["shape"] == [ROWS, DIM] and description["dtype"] == "<f4"
    assert description["sha256"] == hashlib.sha256(vectors.tobytes()).hexdigest()
    assert cache.entries() == 1 and cache.size_bytes() > ROWS * DIM * 4


# -- defect 2: entries are verified on read --------------------------------------------------------
def _truncated_dims(cache, vectors):
    np.save(cache.folder / f"{KEY}.npy", vectors[:, :10].copy())


def _flipped_bytes(cache, vectors):
    path = cache.folder / f"{KEY}.npy"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # in the vectors: the header is intact
    path.write_bytes(bytes(data))


def _all_zeros(cache, vectors):
    np.save(cache.folder / f"{KEY}.npy", np.zeros_like(vectors))


def _garbage_json(cache, vectors):
    (cache.folder / f"{KEY}.json").write_bytes(b"\x00\xffnot json{")


def _json_without_checksum(cache, vectors):
    _rewrite_description(cache, sha256=None)


def _nan_row_with_a_matching_checksum(cache, vectors):
    bad = vectors.copy()
    bad[5] = np.nan
    np.save(cache.folder / f"{KEY}.npy", bad)
    _rewrite_description(cache, sha256=hashlib.sha256(bad.tobytes()).hexdigest())


def _cut_short(cache, vectors):
    path = cache.folder / f"{KEY}.npy"
    path.write_bytes(path.read_bytes()[:-64])


def _float64(cache, vectors):
    np.save(cache.folder / f"{KEY}.npy", vectors.astype(np.float64))


def _not_an_npy(cache, vectors):
    (cache.folder / f"{KEY}.npy").write_bytes(b"garbage")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_truncated_dims, "its .npy holds shape (200, 10); its description says (200, 16)"),
        (_flipped_bytes, "do not match their checksum"),
        (_all_zeros, "do not match their checksum"),
        (_garbage_json, "not valid JSON"),
        (_json_without_checksum, "no SHA-256"),
        (_nan_row_with_a_matching_checksum, "row 5 holds NaN or infinite values"),
        (_cut_short, "bytes; its header needs"),
        (_float64, "holds float64 values"),
        (_not_an_npy, "header is not valid"),
    ],
)
def test_a_damaged_entry_is_deleted_and_reported(cache, vectors, damage, reason):
    damage(cache, vectors)
    found = cache.lookup(KEY, ROWS, DIM)
    assert found.vectors is None
    assert reason in found.damage
    assert _files(cache) == []  # gone, so the recomputed vectors replace it
    assert cache.put(KEY, vectors, {}) is None
    np.testing.assert_array_equal(cache.get(KEY, ROWS, DIM), vectors)


def test_an_entry_of_another_size_than_the_model_makes_is_damaged(tmp_path, vectors):
    # The report's case: 200 vectors of 10 dims came back for a 384-dim model.
    cache = EmbeddingCache(tmp_path)
    assert cache.put(KEY, vectors[:, :10], {}) is None
    found = cache.lookup(KEY, ROWS, 384)
    assert found.vectors is None
    assert found.damage == "it holds 10-dimensional vectors; the model makes 384"
    assert cache.put(KEY, vectors, {}) is None
    assert cache.lookup(KEY, ROWS + 1, DIM).damage == "it holds 200 vectors for 201 texts"


def test_a_huge_header_claim_is_refused_before_allocating(cache):
    shape = (ROWS, 100_000_000)  # 80 GB claimed by a file of a few kB
    path = cache.folder / f"{KEY}.npy"
    with open(path, "wb") as fh:
        header = {"descr": "<f4", "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(b"\0" * 4096)
    _rewrite_description(cache, shape=list(shape))
    tracemalloc.start()
    try:
        found = cache.lookup(KEY, ROWS)  # the model's size unknown: the file size decides
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found.vectors is None and "its header needs 80,000,000,128" in found.damage
    assert peak < 1_000_000


def test_an_entry_without_a_checksum_is_a_plain_miss_and_is_overwritten(cache, vectors):
    # the format written before entries were verified: {"rows": ..., provenance}
    (cache.folder / f"{KEY}.json").write_text(json.dumps({"rows": ROWS}))
    found = cache.lookup(KEY, ROWS, DIM)
    assert found.vectors is None and found.damage is None
    assert cache.put(KEY, vectors * 2, {}) is None
    np.testing.assert_array_equal(cache.get(KEY, ROWS, DIM), vectors * 2)


def test_half_a_pair_is_a_miss_and_not_an_entry(cache):
    (cache.folder / f"{KEY}.json").unlink()
    assert cache.lookup(KEY, ROWS, DIM) == embedding_cache.CacheLookup(None)
    assert cache.entries() == 0 and cache.size_bytes() > ROWS * DIM * 4


# -- defect 1: a failed store is a note, never an exception --------------------------------------
def test_a_cache_folder_that_is_a_file_is_reported(tmp_path, vectors):
    folder = tmp_path / "cachefile"
    folder.write_text("")
    reason = EmbeddingCache(folder).put(KEY, vectors, {})
    assert reason == f"{folder} is a file, not a folder"
    assert EmbeddingCache(folder).get(KEY, ROWS) is None


def test_a_folder_where_the_entry_should_be_is_reported(tmp_path, vectors):
    cache = EmbeddingCache(tmp_path)
    (tmp_path / f"{KEY}.npy").mkdir()
    reason = cache.put(KEY, vectors, {})
    assert reason is not None and f"{KEY}.npy" in reason
    assert _files(cache) == [f"{KEY}.npy"]  # no temporary file, no description left
    assert cache.lookup(KEY, ROWS, DIM).vectors is None


@pytest.mark.parametrize("failing_call", [1, 2])
def test_a_full_disk_is_reported_and_leaves_no_half_entry(
    cache, vectors, monkeypatch, failing_call
):
    """ENOSPC at the rename of the .npy (1) or of its description (2)."""
    from embexplorer.core.io import atomic

    calls, real_replace = [], os.replace

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    reason = cache.put(KEY, vectors * 3, {})
    assert "No space left on device" in reason
    monkeypatch.undo()
    assert _files(cache) == []
    assert cache.lookup(KEY, ROWS, DIM) == embedding_cache.CacheLookup(None)


def test_vectors_with_nan_are_not_stored(tmp_path, vectors):
    vectors[3, 2] = np.inf
    cache = EmbeddingCache(tmp_path)
    assert cache.put(KEY, vectors, {}) == "the vectors hold NaN or infinite values"
    assert _files(cache) == []


def test_a_file_size_limit_is_reported(tmp_path, vectors):
    """RLIMIT_FSIZE (``ulimit -f``) in a subprocess: EFBIG, not a lost run or a signal."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        import numpy as np
        from embexplorer.core.embedding.embedding_cache import EmbeddingCache
        vectors = np.ones(({ROWS}, {DIM}), dtype=np.float32)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.RLIM_INFINITY))
        print(EmbeddingCache(sys.argv[1]).put("{KEY}", vectors, {{}}))
        """
    )
    result = _python(script, tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    assert "File too large" in result.stdout
    assert _files(EmbeddingCache(tmp_path / "cache")) == []


# -- defect 14: temporary files; a killed writer ---------------------------------------------------
def _plant_temp(cache: EmbeddingCache, name: str, age_s: float) -> None:
    path = cache.folder / name
    path.write_bytes(b"\0" * 1000)
    then = time.time() - age_s
    os.utime(path, (then, then))


def test_temporary_files_are_counted_cleared_and_swept_when_stale(cache):
    stale, fresh = f".{KEY}.npy.x1y2z3.part", f".{KEY}.json.a1b2c3.part"
    _plant_temp(cache, stale, age_s=2 * 3600)
    _plant_temp(cache, fresh, age_s=60)  # perhaps a live writer's: kept
    (cache.folder / "notes.txt").write_text("not the cache's")
    entry_bytes = EmbeddingCache(cache.folder).size_bytes() - 2000
    assert entry_bytes > ROWS * DIM * 4 and EmbeddingCache(cache.folder).entries() == 1

    later = EmbeddingCache(cache.folder)
    assert later.get(KEY, ROWS, DIM) is not None  # the first use sweeps
    assert stale not in _files(later) and fresh in _files(later)
    assert later.size_bytes() == entry_bytes + 1000
    assert later.clear() == entry_bytes + 1000
    assert _files(later) == ["notes.txt"] and later.size_bytes() == 0


KILLED_WRITER = """
import os, signal, sys
import numpy as np
from embexplorer.core.embedding import embedding_cache
from embexplorer.core.io import atomic

folder, step = sys.argv[1], sys.argv[2]
vectors = np.full(({rows}, {dim}), 2.0, dtype=np.float32)
if step.startswith("replace"):
    calls, replace = [], os.replace
    def killing_replace(src, dst):
        calls.append(dst)
        if len(calls) == int(step[-1]):
            os.kill(os.getpid(), signal.SIGKILL)
        return replace(src, dst)
    atomic.os.replace = killing_replace
else:  # half-way through writing the vectors
    def killing_write(fh, vectors):
        fh.write(vectors.tobytes()[: vectors.nbytes // 2])
        fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    embedding_cache._write_npy = killing_write
embedding_cache.EmbeddingCache(folder).put("{key}", vectors, {{}})
"""


@pytest.mark.parametrize("step", ["writing", "replace1", "replace2"])
def test_a_writer_killed_at_any_step_never_leaves_a_wrong_entry(cache, vectors, step):
    """An entry of ones is overwritten by twos; the writer is killed with SIGKILL."""
    old = np.ones_like(vectors)
    assert cache.put(KEY, old, {}) is None
    script = KILLED_WRITER.format(rows=ROWS, dim=DIM, key=KEY)
    result = _python(script, cache.folder, step)
    assert result.returncode == -signal.SIGKILL, result.stderr
    found = EmbeddingCache(cache.folder).lookup(KEY, ROWS, DIM)
    assert found.damage is None
    if found.vectors is not None:  # the old entry or the complete new one, nothing else
        assert np.all(found.vectors == 1) or np.all(found.vectors == 2)
    leftovers = [n for n in _files(cache) if n.endswith(".part")]
    assert len(leftovers) == 1  # the temporary file the writer was killed with
    assert EmbeddingCache(cache.folder).size_bytes() > 0
    for name in leftovers:
        _plant_temp(cache, name, age_s=2 * 3600)
    EmbeddingCache(cache.folder).lookup(KEY, ROWS, DIM)
    assert not [n for n in _files(cache) if n.endswith(".part")]


def _python(script: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- through the embedding job and the command line ------------------------------------------------
TEXTS = ["a river in spring", "the city at night", "rivers and cities", "a quiet harbour"]


def _embed(cache: EmbeddingCache | None):
    from embexplorer.core.embedding.embedding import embed_texts_task
    from embexplorer.core.embedding.encoder import default_config
    from embexplorer.core.tasks import run_task

    return run_task(embed_texts_task(TEXTS, default_config(), cache))


def test_a_failed_store_keeps_the_vectors_and_notes_it(tmp_path):
    from embexplorer.core.embedding.embedding import cache_warning

    uncached, _ = _embed(None)
    (tmp_path / "cachefile").write_text("")
    vectors, provenance = _embed(EmbeddingCache(tmp_path / "cachefile"))
    np.testing.assert_array_equal(vectors, uncached)
    assert (
        provenance["embedding_cache"]
        == f"not saved: {tmp_path / 'cachefile'} is a file, not a folder"
    )
    assert cache_warning(provenance).startswith("Embedding cache: not saved: ")


def test_a_damaged_entry_is_recomputed_with_a_note_and_replaced(tmp_path):
    from embexplorer.core.embedding.embedding import cache_warning

    cache = EmbeddingCache(tmp_path)
    first, provenance = _embed(cache)
    assert "embedding_cache" not in provenance and cache_warning(provenance) is None
    (entry,) = tmp_path.glob("*.npy")
    np.save(entry, first[:, :10].copy())  # the report's reproduction: 10 of 384 dims
    again, provenance = _embed(cache)
    np.testing.assert_array_equal(again, first)
    assert provenance["embedding_cache"] == (
        f"cache entry {entry.stem[:12]}… was damaged (its .npy holds shape (4, 10); its "
        "description says (4, 384)); recomputed"
    )
    third, provenance = _embed(cache)
    assert provenance["embedding_cache"] == "hit"
    np.testing.assert_array_equal(third, first)


def test_embed_writes_its_output_and_one_warning_when_the_cache_cannot_store(
    tmp_path, monkeypatch, capsys
):
    """The report's reproduction: ``EMBEXPLORER_CACHE_DIR`` names a file (a traceback before)."""
    from embexplorer.cli import main

    corpus = tmp_path / "texts.csv"
    corpus.write_text("text\n" + "\n".join(TEXTS) + "\n")
    args = ["embed", str(corpus), "--text-column", "text"]
    assert main([*args, "--no-cache", "-o", str(tmp_path / "uncached.npy")]) == 0
    capsys.readouterr()
    (tmp_path / "cachefile").write_text("")
    monkeypatch.setenv("EMBEXPLORER_CACHE_DIR", str(tmp_path / "cachefile"))
    assert main([*args, "-o", str(tmp_path / "out.npy")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "embexplorer: " in line]
    assert len(warnings) == 1 and warnings[0].startswith("embexplorer: warning: Embedding cache")
    assert "is a file, not a folder" in warnings[0]
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), np.load(tmp_path / "uncached.npy"))
    # analyze embeds a text corpus the same way, and says the same
    analyzed = [
        "analyze",
        str(corpus),
        "-k",
        "2",
        "--no-quality",
        "-o",
        str(tmp_path / "a.parquet"),
    ]
    assert main(analyzed) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "is a file, not a folder" in warnings[0]


def test_embedding_under_a_file_size_limit_keeps_the_vectors(tmp_path):
    """``ulimit -f`` during the run: the cache's write fails with EFBIG, the vectors survive
    (the output is written once the limit is lifted, and equals an uncached run)."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        import numpy as np
        from embexplorer.core.embedding.embedding import embed_texts_task
        from embexplorer.core.embedding.embedding_cache import EmbeddingCache
        from embexplorer.core.embedding.encoder import default_config
        from embexplorer.core.tasks import run_task
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
        task = embed_texts_task({TEXTS!r}, default_config(), EmbeddingCache(sys.argv[1]))
        vectors, provenance = run_task(task)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        np.save(sys.argv[2], vectors)
        print(provenance["embedding_cache"])
        """
    )
    result = _python(script, tmp_path / "cache", tmp_path / "out.npy")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("not saved: ") and "File too large" in result.stdout
    uncached, _ = _embed(None)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), uncached)
    assert _files(EmbeddingCache(tmp_path / "cache")) == []
