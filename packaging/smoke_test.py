"""Smoke test of the standalone app as a user gets it: ``python packaging/smoke_test.py [ARCHIVE]``.

The archive (the newest ``dist/embexplorer-*.tar.gz`` by default) is unpacked into an empty
temporary folder outside the repository, and its executable runs there with a clean
environment: a fresh ``HOME`` (no settings, no caches) and a ``PATH`` of one folder holding
links to the system's tools (``/usr/bin``, ``/bin``) except every ``python*``, ``pip*`` and
``pydoc*``: no Python at all, let alone a virtual environment. Each step's output is checked
against an independent reference, not only its exit code:

1. ``--version`` names the version of this checkout;
2. ``--screenshot`` on the demo corpus (in a real X server under ``xvfb-run`` when it is there,
   else Qt's offscreen platform): the PNG shows the map's coloured points;
3. ``embed`` of a small text file (16 texts of the demo corpus): the vectors equal those stored
   in the demo corpus, which the same model computed (cosine > 0.999);
4. ``analyze --projection umap --clusters hdbscan --knn approx`` on 3,000 rows in 6 blobs: the
   first UMAP of the app (numba compiles, its cache goes to the user's cache folder, nothing is
   written inside the app's folder), HDBSCAN in its child process (the app started again):
   every row placed, the clusters found equal the blobs (adjusted Rand index);
5. ``analyze --projection tsne`` (openTSNE) on 600 of those rows: each point's nearest
   neighbour on the map is in its own blob;
6. ``export --select "topic == History"`` of the demo corpus: the rows and bit-identical
   vectors of the corpus read here with pyarrow;
7. ``install.sh`` into a temporary data folder: the desktop entry points at the executable,
   the MIME database knows ``*.embx``, ``*.npy`` and ``*.parquet``.

This script runs with a Python that has numpy, pyarrow, scikit-learn and PySide6 (the CI's
environment); the app does not use it. Prints each step's time; exits 1 on the first failure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON_PROGRAMS = ("python", "pip", "pydoc", "idle", "2to3")
DEMO_IN_APP = Path("_internal/embexplorer/resources/demo/wikipedia_topics.parquet")


class SmokeFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailed(message)


class App:
    """The unpacked app and its clean environment."""

    def __init__(self, root: Path, work: Path, timeout_s: float):
        self.root, self.work, self.timeout_s = root, work, timeout_s
        self.exe = root / "embexplorer"
        self.home = work / "home"
        self.home.mkdir()
        self.env = {
            "PATH": str(tools_without_python(work / "bin")),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "EMBEXPLORER_REPORT_START": "1",
        }

    def run(self, *args: str, display: bool = False) -> str:
        command = [str(self.exe), *args]
        if display:
            command = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", *command]
        done = subprocess.run(
            command,
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=self.timeout_s,
            check=False,
        )
        output = done.stdout + done.stderr
        check(
            done.returncode == 0,
            f"{' '.join(args[:1])} exited {done.returncode}:\n{output[-4000:]}",
        )
        return output


def tools_without_python(folder: Path) -> Path:
    """A folder of links to the programs in /usr/bin and /bin, except Python's."""
    folder.mkdir()
    for system in (Path("/usr/bin"), Path("/bin")):
        if not system.is_dir():
            continue
        for program in system.iterdir():
            if program.name.startswith(PYTHON_PROGRAMS) or (folder / program.name).exists():
                continue
            (folder / program.name).symlink_to(program)
    check(shutil.which("python3", path=str(folder)) is None, "python3 is still on PATH")
    return folder


def unpack(archive: Path, into: Path) -> Path:
    with tarfile.open(archive) as tf:
        tf.extractall(into, filter="tar")
    root = into / "embexplorer"
    check((root / "embexplorer").is_file(), f"{archive} has no embexplorer/embexplorer")
    return root


def newest_archive() -> Path:
    found = sorted((REPO / "dist").glob("embexplorer-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SmokeFailed("no dist/embexplorer-*.tar.gz: run python packaging/build.py first")
    return found[-1]


# -- the steps ---------------------------------------------------------------------------------
def step_version(app: App) -> str:
    from embexplorer import __version__

    out = app.run("--version")
    check(f"embexplorer {__version__}" in out, f"--version printed {out!r}")
    return out.strip()


def step_screenshot(app: App) -> str:
    from PySide6.QtGui import QImage

    png = app.work / "demo.png"
    real = shutil.which("xvfb-run") is not None
    if not real:
        app.env["QT_QPA_PLATFORM"] = "offscreen"
    out = app.run("--screenshot", str(png), display=real)
    app.env.pop("QT_QPA_PLATFORM", None)
    image = QImage(str(png))
    check(not image.isNull(), f"--screenshot wrote no readable PNG ({png})")
    # the map's points: saturated pixels, in the colours of many topics (the chrome is grey)
    hues, coloured = set(), 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if c.hsvSaturationF() > 0.45 and c.valueF() > 0.35:
                coloured += 1
                hues.add(c.hsvHue() // 20)
    check(coloured > 500, f"the screenshot shows {coloured} coloured pixels: no map drawn")
    check(len(hues) >= 6, f"the screenshot's points have {len(hues)} hues, expected the topics'")
    first = next((line for line in out.splitlines() if "first map painted" in line), "")
    check(bool(first), f"the app did not report its first painted map:\n{out[-2000:]}")
    platform = "Xvfb (xcb)" if real else "offscreen"
    return f"{image.width()}×{image.height()} on {platform}, {coloured} coloured pixels; {first}"


def step_embed(app: App) -> str:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    demo = pq.read_table(app.root / DEMO_IN_APP).slice(0, 16)
    texts = app.work / "texts.csv"
    pacsv.write_csv(pa.table({"id": demo["id"], "text": demo["text"]}), texts)
    out = app.work / "texts.npy"
    app.run("embed", str(texts), "--text-column", "text", "-o", str(out))
    got = np.load(out, allow_pickle=False)
    want = np.asarray(demo["vector"].to_pylist(), dtype=np.float32)
    check(got.shape == want.shape, f"embed wrote {got.shape}, expected {want.shape}")
    cosine = np.sum(got * want, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    check(bool(np.all(cosine > 0.999)), f"embed's vectors differ from the demo's: {cosine.min()}")
    return f"{len(got)} texts, {got.shape[1]} dims, min cosine to the stored {cosine.min():.5f}"


def blobs():
    """3,000 rows of 32 dims in 6 seeded Gaussian blobs, and each row's blob."""
    import numpy as np

    rng = np.random.default_rng(12)
    centres = rng.normal(size=(6, 32)) * 6
    truth = rng.integers(0, 6, 3000)
    return (centres[truth] + rng.normal(size=(3000, 32))).astype(np.float32), truth


def step_analyze(app: App) -> str:
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.metrics import adjusted_rand_score

    vectors, truth = blobs()
    source = app.work / "blobs.npy"
    np.save(source, vectors)
    out = app.work / "blobs_analysis.parquet"
    app.run(
        "analyze",
        str(source),
        "--projection",
        "umap",
        "--clusters",
        "hdbscan",
        "--knn",
        "approx",
        "-o",
        str(out),
    )
    table = pq.read_table(out)
    summary = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    check(table.num_rows == 3000, f"analyze wrote {table.num_rows} rows, expected 3000")
    xy = np.column_stack([table["x"].to_numpy(), table["y"].to_numpy()])
    check(bool(np.isfinite(xy).all()) and xy.std(axis=0).min() > 0, "UMAP placed rows badly")
    check(summary["provenance"]["projection"]["method"] == "umap", "the projection is not UMAP")
    check(summary["provenance"]["analysis"]["knn"] == "approx", "the kNN is not approximate")
    check(0.5 < summary["recall"] <= 1, f"approximate kNN recall {summary['recall']}")
    labels = table["cluster"].to_numpy()
    ari = adjusted_rand_score(truth[labels >= 0], labels[labels >= 0])
    check(ari > 0.95, f"HDBSCAN's clusters are not the blobs: adjusted Rand index {ari:.3f}")
    check((labels >= 0).mean() > 0.8, f"HDBSCAN left {(labels < 0).mean():.0%} as noise")
    cache = app.home / ".cache" / "embexplorer" / "numba"
    cached = list(cache.rglob("*.nbi"))
    check(bool(cached), f"numba wrote no cache index into {cache}")
    inside = [p for p in app.root.rglob("*") if p.suffix in (".nbi", ".nbc")]
    check(not inside, f"numba wrote into the app's folder: {inside[:3]}")
    fallback = app.home / ".cache" / "numba"
    check(not fallback.exists(), f"numba fell back to its own folder {fallback}")
    return (
        f"3000 rows: UMAP, {summary['knn_method']} recall {summary['recall']:.3f}, "
        f"HDBSCAN {len(summary['clusters'])} clusters (ARI {ari:.3f}), "
        f"{len(cached)} numba cache indexes in ~/.cache/embexplorer/numba"
    )


def step_tsne(app: App) -> str:
    import numpy as np
    import pyarrow.parquet as pq
    from sklearn.neighbors import NearestNeighbors

    vectors, truth = blobs()
    source = app.work / "blobs600.npy"
    np.save(source, vectors[:600])
    out = app.work / "blobs600_tsne.parquet"
    app.run("analyze", str(source), "--projection", "tsne", "-o", str(out))
    table = pq.read_table(out)
    xy = np.column_stack([table["x"].to_numpy(), table["y"].to_numpy()])
    check(xy.shape == (600, 2) and bool(np.isfinite(xy).all()), "t-SNE placed rows badly")
    _, nearest = NearestNeighbors(n_neighbors=2).fit(xy).kneighbors(xy)
    same = float(np.mean(truth[:600][nearest[:, 1]] == truth[:600]))
    check(same > 0.95, f"t-SNE: only {same:.0%} of the points lie beside their own blob")
    return f"600 rows, {same:.1%} of the nearest map neighbours in the same blob"


def step_export(app: App) -> str:
    import numpy as np
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = app.work / "history.parquet"
    app.run("export", str(app.root / DEMO_IN_APP), "--select", "topic == History", "-o", str(out))
    demo = pq.read_table(app.root / DEMO_IN_APP)
    want = demo.filter(pc.equal(demo["topic"], "History"))
    got = pq.read_table(out)
    check(got["id"].to_pylist() == want["id"].to_pylist(), "export: other rows than History's")
    check(
        np.array_equal(
            np.asarray(got["vector"].to_pylist(), dtype=np.float32),
            np.asarray(want["vector"].to_pylist(), dtype=np.float32),
        ),
        "export: the vectors are not bit-identical",
    )
    provenance = out.with_name(out.name + ".provenance.json")
    check(provenance.is_file(), f"export: no {provenance.name} beside the file")
    return f"{got.num_rows} History rows, vectors bit-identical"


def step_install(app: App) -> str:
    data = app.work / "xdg-data"
    env = {**app.env, "XDG_DATA_HOME": str(data)}
    done = subprocess.run(
        ["sh", str(app.root / "install.sh")], env=env, capture_output=True, text=True, check=False
    )
    check(done.returncode == 0, f"install.sh failed:\n{done.stdout}{done.stderr}")
    entry = (data / "applications" / "embexplorer.desktop").read_text(encoding="utf-8")
    check(f'Exec="{app.exe}" %f' in entry, f"the desktop entry's Exec is wrong:\n{entry}")
    check((data / "icons/hicolor/scalable/apps/embexplorer.svg").is_file(), "no icon installed")
    check((data / "mime/packages/embexplorer.xml").is_file(), "no MIME types installed")
    globs = data / "mime" / "globs2"
    if shutil.which("update-mime-database", path=app.env["PATH"]):  # the database was rebuilt
        known = globs.read_text(encoding="utf-8") if globs.is_file() else ""
        for glob in ("*.embx", "*.npy", "*.parquet"):
            check(glob in known, f"the MIME database does not know {glob}:\n{done.stderr}")
    return "desktop entry, icon and MIME types (.embx, .npy, .parquet) under XDG_DATA_HOME"


STEPS = [
    ("version", step_version),
    ("screenshot", step_screenshot),
    ("embed", step_embed),
    ("analyze", step_analyze),
    ("tsne", step_tsne),
    ("export", step_export),
    ("install", step_install),
]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("archive", nargs="?", type=Path, help="default: the newest dist/ archive")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--timeout", type=float, default=600, help="seconds per step (600)")
    args = p.parse_args(argv)
    start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="embexplorer-smoke-"))
    try:
        archive = (args.archive or newest_archive()).resolve()
        app = App(unpack(archive, work / "unpacked"), work, args.timeout)
        print(f"smoke test of {archive.name}, unpacked in {work}", flush=True)
        for name, step in STEPS:
            began = time.perf_counter()
            result = step(app)
            print(f"  {name}: ok in {time.perf_counter() - began:.1f} s: {result}", flush=True)
    except (SmokeFailed, subprocess.TimeoutExpired, OSError) as exc:
        print(f"smoke test FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"smoke test passed in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
