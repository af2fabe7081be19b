"""Check an installed (not editable) embexplorer outside the source tree: ``python check_wheel.py``.

Run it with the Python of a fresh virtual environment where ``pip install .`` put embexplorer,
from a folder outside the checkout (``.ci/run`` does). It checks that the package is imported
from site-packages, not from the checkout; that the demo corpus, the tokenizer, the icon and the
model are found inside the installation; that ``embexplorer embed`` (the console script)
reproduces the demo corpus's stored vectors for a few of its texts (same model and tokenizer);
and that ``embexplorer --screenshot`` draws the demo map (offscreen unless a display is set),
printing the time to the first painted map. Exits 1 on the first failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def fail(message: str) -> None:
    print(f"check_wheel FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def check_installed_resources() -> Path:
    import embexplorer
    from embexplorer.core import resources
    from embexplorer.core.embedding.encoder import bundled_model_path

    package = Path(embexplorer.__file__).resolve().parent
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    if CHECKOUT in package.parents or site not in package.parents:
        fail(f"embexplorer is imported from {package}, not from {site}")
    folder = resources.resources_dir()
    if folder != package / "resources":
        fail(f"the resources are found in {folder}, not inside the package {package}")
    for path in (
        resources.demo_corpus_path(),
        resources.default_tokenizer_path(),
        resources.app_icon_path(),
        bundled_model_path(),
    ):
        if not path.is_file():
            fail(f"{path} is missing from the installation")
    print(f"installed package: {package}; resources: {folder}")
    return resources.demo_corpus_path()


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        fail(f"{' '.join(command[:2])} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def main() -> int:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    start = time.perf_counter()
    demo = check_installed_resources()
    script = shutil.which("embexplorer", path=str(Path(sys.executable).parent))
    if script is None:
        fail(f"no embexplorer console script beside {sys.executable}")
    with tempfile.TemporaryDirectory(prefix="embexplorer-wheel-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "HOME": str(work), "EMBEXPLORER_REPORT_START": "1"}
        env.pop("PYTHONPATH", None)
        rows = pq.read_table(demo).slice(0, 8)
        pacsv.write_csv(pa.table({"text": rows["text"]}), work / "texts.csv")
        run([script, "embed", "texts.csv", "--text-column", "text", "-o", "v.npy"], work, env)
        got = np.load(work / "v.npy", allow_pickle=False)
        want = np.asarray(rows["vector"].to_pylist(), dtype=np.float32)
        cosine = (
            np.sum(got * want, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
        )
        if got.shape != want.shape or not np.all(cosine > 0.999):
            fail(f"embed: {got.shape} vectors, cosine to the stored ones {cosine}")
        print(
            f"embed: {len(got)} texts reproduce the demo's vectors (min cosine {cosine.min():.5f})"
        )
        if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
            env["QT_QPA_PLATFORM"] = "offscreen"
        out = run([script, "--screenshot", "demo.png"], work, env)
        if not (work / "demo.png").stat().st_size > 10_000:
            fail("--screenshot wrote no PNG")
        first = next((line for line in out.splitlines() if "first map painted" in line), "")
        print(f"screenshot of the demo: {first}")
    print(f"check_wheel passed in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
