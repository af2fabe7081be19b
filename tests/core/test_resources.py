"""Where the bundled resources are found: in this checkout, in a wheel's layout, in a frozen
app's layout; and the frozen app's numba cache folder (``embexplorer/__main__.py``)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from embexplorer import frozen
from embexplorer.core import resources
from embexplorer.core.embedding.encoder import bundled_model_path

RESOURCES_PY = Path(resources.__file__)


def _install_copy(site: Path) -> object:
    """A copy of core/resources.py at ``site/embexplorer/core/resources.py``, imported."""
    target = site / "embexplorer" / "core" / "resources.py"
    target.parent.mkdir(parents=True)
    shutil.copy(RESOURCES_PY, target)
    spec = importlib.util.spec_from_file_location("resources_copy", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _touch_demo(folder: Path) -> None:
    demo = folder / resources.DEMO_CORPUS
    demo.parent.mkdir(parents=True)
    demo.write_bytes(b"PAR1")


def test_the_checkout_has_every_resource():
    assert pq.read_metadata(resources.demo_corpus_path()).num_rows == 2000
    assert resources.default_tokenizer_path().stat().st_size > 100_000
    assert resources.app_icon_path().read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert bundled_model_path().is_file()


def test_a_wheel_finds_them_inside_the_package(tmp_path):
    copy = _install_copy(tmp_path / "site")
    _touch_demo(tmp_path / "site" / "embexplorer" / "resources")
    assert copy.resources_dir() == tmp_path / "site" / "embexplorer" / "resources"
    assert copy.demo_corpus_path().read_bytes() == b"PAR1"


def test_a_checkout_finds_them_beside_the_package(tmp_path):
    copy = _install_copy(tmp_path / "repo")
    _touch_demo(tmp_path / "repo" / "resources")
    assert copy.resources_dir() == tmp_path / "repo" / "resources"


def test_a_frozen_app_finds_them_in_its_bundle_first(tmp_path, monkeypatch):
    bundle = tmp_path / "_internal"
    _touch_demo(bundle / "embexplorer" / "resources")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources.is_frozen()
    assert resources.resources_dir() == bundle / "embexplorer" / "resources"


def test_missing_resources_name_every_place_looked(tmp_path):
    copy = _install_copy(tmp_path / "site")
    with pytest.raises(FileNotFoundError) as caught:
        copy.resources_dir()
    message = str(caught.value)
    assert str(tmp_path / "site" / "embexplorer" / "resources") in message
    assert str(tmp_path / "site" / "resources") in message
    assert resources.DEMO_CORPUS in message


def test_a_frozen_app_puts_numbas_cache_in_the_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEXPLORER_CACHE_DIR", str(tmp_path / "cache" / "embeddings"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_LOCATOR_CLASSES", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    frozen.prepare()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "cache" / "numba")
    assert os.environ["NUMBA_CACHE_LOCATOR_CLASSES"] == frozen.LOCATORS


def test_numbas_cache_is_left_alone_unfrozen_or_when_set(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_LOCATOR_CLASSES", raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    frozen.prepare()
    assert "NUMBA_CACHE_DIR" not in os.environ
    assert "NUMBA_CACHE_LOCATOR_CLASSES" not in os.environ
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    frozen.prepare()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")


def test_the_frozen_numba_cache_folder_does_not_depend_on_the_current_folder(tmp_path, monkeypatch):
    """PyInstaller keeps code file names relative; numba's own locators would make them
    absolute from the current folder. Ours resolves them in the bundle, under NUMBA_CACHE_DIR."""
    import numba.core.caching as caching
    from numba.core import config

    bundle = tmp_path / "_internal"
    (bundle / "somepkg").mkdir(parents=True)
    (bundle / "somepkg" / "mod.py").write_text("def f(x):\n    return x\n")
    namespace: dict = {}
    exec(compile("def f(x):\n    return x\n", "somepkg/mod.py", "exec"), namespace)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path / "numba-cache"))
    locator_class = frozen.BundleCacheLocator
    assert issubclass(locator_class, caching.UserProvidedCacheLocator)
    paths = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        locator = locator_class.from_function(namespace["f"], "somepkg/mod.py")
        paths.append(locator.get_cache_path())
    assert paths[0] == paths[1]
    assert Path(paths[0]).parent == tmp_path / "numba-cache"
    assert Path(paths[0]).name.startswith("somepkg_")
    # numba's own user-wide locator, for comparison, moves with the current folder
    wide = []
    for folder in ("a", "b"):
        monkeypatch.chdir(tmp_path / folder)
        wide.append(caching.UserWideCacheLocator(namespace["f"], "somepkg/mod.py").get_cache_path())
    assert wide[0] != wide[1]
