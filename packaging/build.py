"""Build the standalone app: ``python packaging/build.py`` → ``dist/embexplorer/`` and an archive.

Runs PyInstaller on ``packaging/embexplorer.spec`` (one folder), copies the Linux desktop files
(icon, ``.desktop`` entry, MIME types, ``install.sh``) into the folder, and packs it as
``dist/embexplorer-<version>-<system>-<machine>.tar.gz`` (``.zip`` on Windows), with a top-level
``embexplorer/`` folder. Prints the build time and the sizes. Needs PyInstaller 6
(``pip install -e '.[package]'``).
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "packaging" / "embexplorer.spec"
LINUX_FILES = REPO / "packaging" / "linux"
ICON = REPO / "resources" / "icons" / "embexplorer.svg"


def version() -> str:
    text = (REPO / "embexplorer" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if match is None:
        raise SystemExit("build.py: no __version__ in embexplorer/__init__.py")
    return match.group(1)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def run_pyinstaller(dist: Path, work: Path) -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise SystemExit(
            "build.py: PyInstaller is not installed: pip install -e '.[package]'"
        ) from None
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    subprocess.run(command, check=True, cwd=REPO)


def add_desktop_files(app: Path) -> None:
    """The icon, desktop entry, MIME types and installer beside the executable (Linux)."""
    shutil.copy2(ICON, app / "embexplorer.svg")
    for name in ("embexplorer.desktop", "embexplorer-mime.xml", "install.sh", "uninstall.sh"):
        shutil.copy2(LINUX_FILES / name, app / name)
    for script in ("install.sh", "uninstall.sh"):
        (app / script).chmod(0o755)


def archive(app: Path, out_stem: Path) -> Path:
    """``app`` packed with its folder name on top: ``.tar.gz`` (keeps modes and links), or
    ``.zip`` on Windows."""
    if sys.platform == "win32":
        out = out_stem.with_name(out_stem.name + ".zip")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for path in sorted(app.rglob("*")):
                zf.write(path, path.relative_to(app.parent))
        return out
    out = out_stem.with_name(out_stem.name + ".tar.gz")
    with tarfile.open(out, "w:gz", compresslevel=6) as tf:
        tf.add(app, arcname=app.name)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dist", type=Path, default=REPO / "dist", help="output folder (dist/)")
    p.add_argument(
        "--work", type=Path, default=REPO / "build" / "pyinstaller", help="PyInstaller's work"
    )
    p.add_argument("--no-archive", action="store_true", help="only the folder")
    args = p.parse_args(argv)
    start = time.perf_counter()
    run_pyinstaller(args.dist, args.work)
    app = args.dist / "embexplorer"
    if sys.platform.startswith("linux"):
        add_desktop_files(app)
    built = time.perf_counter()
    print(f"built {app} in {built - start:.0f} s: {folder_bytes(app) / 1e6:.0f} MB")
    if not args.no_archive:
        system = platform.system().lower()
        stem = args.dist / f"embexplorer-{version()}-{system}-{platform.machine().lower()}"
        out = archive(app, stem)
        print(
            f"archived {out} in {time.perf_counter() - built:.0f} s: "
            f"{out.stat().st_size / 1e6:.0f} MB"
        )
    print(f"build.py: {time.perf_counter() - start:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
