"""The command line: analyze every format, bad input exits non-zero with the GUI's message,
and the GUI's screenshot mode and start-up checks (end to end, in subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from embexplorer.cli import main
from tests.files import FORMATS, bad_inputs, write_all


@pytest.fixture
def files(tmp_path, small_corpus_data):
    return write_all(tmp_path / "in", small_corpus_data)


@pytest.mark.parametrize("kind", FORMATS)
def test_analyze_writes_rows_with_xy_and_summary(tmp_path, files, kind, capsys):
    out = tmp_path / "out.parquet"
    assert main(["analyze", str(files[kind]), "--projection", "pca", "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 30
    assert {"x", "y"} <= set(table.column_names)
    coords = np.column_stack([table.column("x").to_numpy(), table.column("y").to_numpy()])
    assert np.isfinite(coords).all() and coords.std(axis=0).min() > 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["rows"] == 30 and summary["dims"] == 8
    assert set(summary["timings"]) >= {"read_s", "projection_s", "write_s"}
    assert summary["provenance"]["projection"]["method"] == "pca"
    assert len(summary["provenance"]["source_sha256"]) == 64
    if kind not in ("npy", "projector-vectors"):
        assert "label" in table.column_names


def test_analyze_output_loads_back(tmp_path, files):
    from embexplorer.core.io import read_corpus

    out = tmp_path / "out.parquet"
    assert main(["analyze", str(files["csv"]), "-o", str(out), "--include-vectors"]) == 0
    again = read_corpus(out)
    original = read_corpus(files["csv"])
    np.testing.assert_array_equal(again.vectors, original.vectors)
    assert list(again.columns["text"]) == list(original.columns["text"])
    assert again.provenance["derived_from"]["source_sha256"] == original.provenance["source_sha256"]


def test_bad_input_exits_non_zero_with_the_message(tmp_path, capsys):
    from embexplorer.core.errors import InputError
    from embexplorer.core.io import read_corpus

    for path, expected in bad_inputs(tmp_path).items():
        out = tmp_path / "out.parquet"
        assert main(["analyze", str(path), "-o", str(out)]) == 1
        err = capsys.readouterr().err
        assert expected in err, err
        with pytest.raises(InputError) as info:  # the same words the GUI shows
            read_corpus(path)
        assert str(info.value) in err
        assert not out.exists()


def test_drop_nonfinite_flag(tmp_path, capsys):
    path = tmp_path / "nan.npy"
    np.save(path, np.array([[1, np.nan], [1, 2], [3, 4]], dtype=np.float32))
    out = tmp_path / "out.parquet"
    assert main(["analyze", str(path), "-o", str(out)]) == 1
    assert "--drop-nonfinite" in capsys.readouterr().err
    assert main(["analyze", str(path), "-o", str(out), "--drop-nonfinite"]) == 1
    assert "k = 10 is too large for 2 rows" in capsys.readouterr().err  # not 1-NN lists as k=10
    assert main(["analyze", str(path), "-o", str(out), "--drop-nonfinite", "-k", "1"]) == 0
    assert pq.read_table(out).num_rows == 2


def test_all_zero_vectors_under_cosine_are_warned_of(tmp_path, capsys):
    """The window's summary names them; the command line once said nothing."""
    vectors = np.zeros((30, 8), dtype=np.float32)
    vectors[:20] = np.random.default_rng(0).normal(size=(20, 8))
    np.save(tmp_path / "z.npy", vectors)
    out = tmp_path / "z.parquet"
    assert main(["analyze", str(tmp_path / "z.npy"), "-k", "3", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: 10 all-zero vectors: they have no direction" in err
    assert json.loads(out.with_suffix(".json").read_text())["zero_vectors"] == 10
    args = ["analyze", str(tmp_path / "z.npy"), "-k", "3", "--metric", "euclidean", "-o"]
    assert main([*args, str(tmp_path / "e.parquet")]) == 0
    assert "all-zero" not in capsys.readouterr().err


def _run(args, env_changes, timeout=180):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-m", "embexplorer", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_screenshot_without_any_display(tmp_path):
    shot = tmp_path / "shot.png"
    result = _run(["--screenshot", str(shot)], {})
    assert result.returncode == 0, result.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500
    # the map is drawn in colour: many distinct colours, not a blank window
    assert _count_colours(image) > 8


def _count_colours(image) -> int:
    colours = set()
    for x in range(0, image.width(), 7):
        for y in range(0, image.height(), 7):
            colours.add(image.pixel(x, y))
    return len(colours)


def test_screenshot_of_a_bad_file_fails_with_the_message(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3\n")
    result = _run([str(path), "--screenshot", str(tmp_path / "s.png")], {})
    assert result.returncode == 1
    assert "line 3: expected 2 fields" in result.stderr
    assert not (tmp_path / "s.png").exists()


def test_gui_without_display_says_so_in_one_line(tmp_path):
    result = _run([], {})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot open a window: no display" in lines[0]
    assert "xvfb-run" in lines[0]


def test_missing_xcb_libraries_are_named(monkeypatch):
    from embexplorer.gui import platform_check

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(platform_check, "_x_server_reachable", lambda display: True)
    monkeypatch.setattr(
        platform_check,
        "missing_libraries",
        lambda plugin: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"],
    )
    monkeypatch.setattr(platform_check, "sys", type("S", (), {"platform": "linux"}))
    message = platform_check.window_problem(allow_offscreen=False)
    assert "libxcb-cursor.so.0" in message
    assert "apt-get install -y libxcb-cursor0 libxcb-icccm4" in message
    assert platform_check.window_problem(allow_offscreen=True) is None
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_missing_libraries_reads_ldd(tmp_path):
    from embexplorer.gui.platform_check import missing_libraries, xcb_plugin

    plugin = xcb_plugin()
    assert plugin is not None and plugin.exists()
    missing = missing_libraries(plugin)
    assert all(name.startswith("lib") and ".so" in name for name in missing)


def test_bench_runs_and_reports(tmp_path):
    args = ["bench", "plot", "--sizes", "3000", "--steps", "2", "--no-stall"]
    result = _run([*args, "--analysis-stall-n", "0"], {})
    assert result.returncode == 0, result.stderr
    assert "N=    3,000 embexplorer: push" in result.stdout
    assert "frame median ratio reference / embexplorer" in result.stdout
    assert "markers N= 90,000: set" in result.stdout


def test_encoder_bench_reference_computes_the_same_vectors():
    from embexplorer.benchmarks.encoder import reference_encode
    from embexplorer.core.embedding.encoder import TextEncoder, default_config

    texts = ["A man is playing a guitar.", "short", "a much longer sentence " * 20]
    ours = TextEncoder(default_config()).encode(texts)
    np.testing.assert_allclose(reference_encode(texts, batch_size=2), ours, atol=1e-5)


def test_analyze_writes_every_analysis_column(tmp_path, files, small_corpus_data):
    out = tmp_path / "a.parquet"
    args = [
        "analyze",
        str(files["csv"]),
        "-k",
        "5",
        "--metric",
        "euclidean",
        "--knn",
        "exact",
        "--clusters",
        "kmeans:3",
        "--hubness-reduction",
        "mp",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    table = pq.read_table(out)
    for column in (
        "x",
        "y",
        "neighbors",
        "neighbor_distances",
        "k_occurrence",
        "is_hub",
        "is_antihub",
        "reduced_neighbors",
        "cluster",
        "cluster_label",
        "preservation",
    ):
        assert column in table.column_names, column
    from sklearn.neighbors import NearestNeighbors

    _, expected = NearestNeighbors(n_neighbors=5).fit(small_corpus_data["vectors"]).kneighbors()
    assert np.array(table.column("neighbors").to_pylist()).tolist() == expected.tolist()
    n_k = np.bincount(expected.ravel(), minlength=30)
    assert table.column("k_occurrence").to_pylist() == n_k.tolist()
    summary = json.loads(out.with_suffix(".json").read_text())
    for key in (
        "skewness",
        "skewness_reduced",
        "robin_hood",
        "n_hubs",
        "n_antihubs",
        "trustworthiness",
        "knn_method",
        "timings",
    ):
        assert key in summary, key
    assert summary["knn_method"] == "exact" and "recall" not in summary
    from scipy.stats import skew

    assert summary["skewness"] == pytest.approx(skew(n_k, bias=True))


def test_analyze_states_the_reduction_its_provenance_and_the_comparison(tmp_path, files):
    """The issue's point 4 and the methods table: method, variant, β, samples, candidates,
    exactness in the JSON and the Parquet's provenance; accuracy before and after; every
    method's skewness, antihubs and accuracy with --compare-reductions."""
    import pyarrow.parquet as pq

    out = tmp_path / "r.parquet"
    argv = ["analyze", str(files["csv"]), "-k", "5", "--hubness-reduction", "isoftmax"]
    argv += ["--compare-reductions", "--no-quality", "-o", str(out)]
    assert main(argv) == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    info = summary["reduction"]
    assert (info["method"], info["exact"], info["search"]) == ("isoftmax", True, "exact")
    assert info["candidates"] == 29 and info["overlap"] == 1.0
    assert info["beta_rule"] == "auto" and info["beta"] > 0 and info["bank_size"] == 30
    assert summary["label_column"] == "label"
    accuracy = summary["knn_accuracy"]
    assert accuracy["label_column"] == "label" and accuracy["raw"] == 1.0  # 3 far groups
    assert 0 <= accuracy["reduced"] <= 1
    methods = summary["reduction_comparison"]["methods"]
    assert [row["method"] for row in methods] == [
        "none", "mp", "mp", "csls", "ls", "ls", "dsl", "isoftmax"
    ]  # fmt: skip
    assert all({"skewness", "n_antihubs", "accuracy", "exact"} <= set(row) for row in methods)
    from embexplorer.core.io.writers import PROVENANCE_KEY

    stored = json.loads(pq.read_metadata(out).metadata[PROVENANCE_KEY])
    assert stored["analysis"]["reduction_params"]["beta"] == info["beta"]
    assert stored["analysis"]["reduction_params"]["exact"] is True


def test_analyze_approximate_reports_recall(tmp_path, files):
    out = tmp_path / "a.parquet"
    assert main(["analyze", str(files["npy"]), "-k", "3", "--knn", "approx", "-o", str(out)]) == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["knn_method"] == "faiss IVF-SQ4" and 0.9 <= summary["recall"] <= 1.0


@pytest.mark.parametrize(
    "args,message",
    [(["-k", "0"], "between 1 and 100"), (["--clusters", "kmeans"], "needs the number")],
)
def test_analyze_bad_parameters(tmp_path, files, capsys, args, message):
    out = tmp_path / "a.parquet"
    assert main(["analyze", str(files["npy"]), *args, "-o", str(out)]) == 1
    assert message in capsys.readouterr().err


def test_export_command(tmp_path, files, small_corpus_data):
    out = tmp_path / "beta.parquet"
    assert (
        main(
            [
                "export",
                str(files["csv"]),
                "--select",
                "label == beta",
                "--format",
                "parquet",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    from embexplorer.core.io import read_corpus

    again = read_corpus(out)
    assert list(again.columns["label"]) == ["beta"] * 10
    np.testing.assert_array_equal(again.vectors, small_corpus_data["vectors"][10:20])
    provenance = json.loads((tmp_path / "beta.parquet.provenance.json").read_text())
    assert provenance["selection"] == "label == beta" and provenance["rows"] == 10


def test_export_command_refuses_to_clobber(tmp_path, files, capsys):
    out = tmp_path / "x.csv"
    out.write_text("keep")
    assert main(["export", str(files["csv"]), "-o", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err and out.read_text() == "keep"
    assert main(["export", str(files["csv"]), "-o", str(out), "--force"]) == 0
    assert out.read_text() != "keep"


@pytest.mark.parametrize(
    "condition,message",
    [
        ("label ~ x", "Cannot read the condition"),
        ("nope == 1", "no column 'nope'"),
        ("score < abc", "not a number"),
    ],
)
def test_export_command_bad_conditions(tmp_path, files, capsys, condition, message):
    assert (
        main(["export", str(files["csv"]), "--select", condition, "-o", str(tmp_path / "y.csv")])
        == 1
    )
    assert message in capsys.readouterr().err


def test_export_of_no_rows_is_refused_and_keeps_the_old_file(tmp_path, files, capsys):
    """Defect 8: a typo in --select wrote a 0-byte file over the old one, exit 0."""
    out = tmp_path / "keep.parquet"
    assert main(["export", str(files["csv"]), "--select", "label == beta", "-o", str(out)]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    cases = {
        "label == Beta": "'label' holds 'beta' (case matters)",
        "label == delta": "'label' holds 3 distinct values, among them 'alpha', 'beta', 'gamma'",
        "score > 7": "'score' runs from 0 to 1",
    }
    for condition, hint in cases.items():
        argv = ["export", str(files["csv"]), "--select", condition, "-o", str(out), "--force"]
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert f"'{condition}' matches none of the 30 rows of corpus.csv" in err
        assert "nothing was exported" in err and hint in err
    argv = ["export", str(files["csv"]), "--select", "label == beta"]
    assert main([*argv, "--select", "score < 0.1", "-o", str(out), "--force"]) == 1
    err = capsys.readouterr().err
    assert "No row of corpus.csv meets all the conditions together" in err
    assert "'label == beta' matches 10; 'score < 0.1' matches 3" in err
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in",
        "keep.parquet",
        "keep.parquet.provenance.json",
    ]


def test_export_force_onto_its_own_input_is_refused(tmp_path, files, capsys):
    before = files["csv"].read_bytes()
    assert main(["export", str(files["csv"]), "-o", str(files["csv"]), "--force"]) == 1
    assert "is the file being read" in capsys.readouterr().err
    assert files["csv"].read_bytes() == before


def test_a_huge_condition_is_refused_at_once(tmp_path, files, capsys):
    """Defect 16: the condition's regex took 106 s on 60 kB of spaces (now a linear scan)."""
    out = str(tmp_path / "y.csv")
    for condition in (" " * 60_000, "label" + " " * 60_000 + "="):
        assert main(["export", str(files["csv"]), "--select", condition, "-o", out]) == 1
        err = capsys.readouterr().err
        assert "Cannot read the condition" in err and "(60,00" in err and len(err) < 400
    assert main(["export", str(files["csv"]), "--select", "x" * 60_000 + " == 1", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "corpus.csv has no column 'xxxx" in err and len(err) < 400
    condition = "label" + " " * 60_000 + "== beta"
    assert main(["export", str(files["csv"]), "--select", condition, "-o", out]) == 0


@pytest.mark.parametrize(
    "text,parsed",
    [
        ("topic == History", ("topic", "==", "History")),
        ("  score>0.5 ", ("score", ">", "0.5")),
        ("a<=3", ("a", "<=", "3")),
        ("my column != 'x y'", ("my column", "!=", "x y")),
        ("text contains river", ("text", "contains", "river")),
        ("containsx == 1", ("containsx", "==", "1")),
        ("title contains a == b", ("title", "contains", "a == b")),
        ("label ==", ("label", "==", "")),
    ],
)
def test_conditions_are_read(text, parsed):
    from embexplorer.cli.export import parse_condition

    assert parse_condition(text) == parsed


@pytest.mark.parametrize("text", ["a = b", "== 3", "   ", "contains x", "label ~ x"])
def test_conditions_without_a_column_or_operator_are_refused(text):
    from embexplorer.cli.export import parse_condition
    from embexplorer.core.errors import InputError

    with pytest.raises(InputError, match="Cannot read the condition"):
        parse_condition(text)


def _refuse_to_work(monkeypatch, *modules):
    def work(*args, **kwargs):
        raise AssertionError("the output should have been checked before any work")

    for module in modules:
        monkeypatch.setattr(module, "read_corpus", work)
        if hasattr(module, "embed_corpus_task"):
            monkeypatch.setattr(module, "embed_corpus_task", work)


@pytest.mark.parametrize("command", ["embed", "analyze", "export"])
def test_outputs_are_checked_before_any_work(tmp_path, files, capsys, monkeypatch, command):
    """Defect 16: a missing output folder was found after 43 s of encoding; ``export
    --force`` could replace its own input."""
    from embexplorer.cli import analyze, embed, export

    _refuse_to_work(monkeypatch, analyze, embed, export)
    missing = tmp_path / "missing" / "out.parquet"
    assert main([command, str(files["csv"]), "-o", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"Cannot write {missing}: the folder {missing.parent} does not exist" in err
    source = files["parquet"]
    before = source.read_bytes()
    force = ["--force"] if command == "export" else []
    assert main([command, str(source), "-o", str(source), *force]) == 1
    assert "is the file being read" in capsys.readouterr().err
    assert source.read_bytes() == before


def test_analyze_replaces_its_parquet_and_json_together(tmp_path, files, capsys, monkeypatch):
    """Defect 9: OUT.parquet and OUT.json could come from different runs."""
    from embexplorer.core.io import atomic

    out = tmp_path / "a.parquet"
    assert main(["analyze", str(files["npy"]), "-k", "5", "-o", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    real = atomic.os.replace

    def replace(src, dst):
        if str(dst) == str(out.with_suffix(".json")):
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    assert main(["analyze", str(files["npy"]), "-k", "7", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"Writing {out.with_suffix('.json')} failed: Input/output error." in err
    assert "Nothing was changed (a.parquet put back as before)." in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_export_of_vectors_from_a_file_without_any(tmp_path, capsys):
    """Issue 9 item 7: a file without vectors; the vector formats are refused by name."""
    source = tmp_path / "texts.csv"
    source.write_text("id,text,label\n" + "".join(f"{i},hello {i},x{i % 3}\n" for i in range(9)))
    for extra in (
        ["-o", str(tmp_path / "v.npy")],
        ["-o", str(tmp_path / "v.csv"), "--columns", "ids,vectors"],
    ):
        assert main(["export", str(source), *extra]) == 1
        assert "texts.csv has no vectors (columns: id, text, label)" in capsys.readouterr().err
    assert main(["export", str(source), "-o", str(tmp_path / "v.csv")]) == 0  # the default


def test_analyze_to_a_folder_writes_shards_and_the_summary(tmp_path, files, capsys):
    """-o NAME (no extension): the local engine writes the same rows as Parquet shards in a
    folder, with summary.json; another extension is refused, naming both choices."""
    single, folder = tmp_path / "one.parquet", tmp_path / "shards"
    assert main(["analyze", str(files["csv"]), "-o", str(single)]) == 0
    assert main(["analyze", str(files["csv"]), "-o", str(folder)]) == 0
    parts = sorted(folder.glob("*.parquet"))
    assert [p.name for p in parts] == ["part-00000.parquet"]
    assert pq.read_table(parts[0]).equals(pq.read_table(single))
    assert json.loads((folder / "summary.json").read_text())["rows"] == 30
    assert main(["analyze", str(files["csv"]), "-o", str(folder)]) == 0  # replaced in place
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert main(["analyze", str(files["csv"]), "-o", str(tmp_path / "out.csv")]) == 1
    assert "must be a .parquet file, or a folder" in capsys.readouterr().err


def test_analyze_reads_a_folder_only_with_the_ray_engine(tmp_path, files, capsys):
    assert main(["analyze", str(files["csv"].parent), "-o", str(tmp_path / "o.parquet")]) == 1
    assert "--engine ray" in capsys.readouterr().err
