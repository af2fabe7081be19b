"""A data file never chooses, on its own, which model runs: a model other than the bundled
one needs the user's consent, and paths it names are relative to the data file."""

from __future__ import annotations

import shutil

import pytest

from embexplorer.core.embedding.embedding import ModelConsentError, config_for_vectors
from embexplorer.core.embedding.encoder import model_sha256
from embexplorer.core.errors import InputError
from embexplorer.core.resources import default_tokenizer_path
from tests.core import onnx_models


@pytest.fixture
def data_folder(tmp_path):
    """A data file's folder holding the model and tokenizer its provenance names (relatively)."""
    folder = tmp_path / "data"
    folder.mkdir()
    model = onnx_models.embedding_model(folder / "m.onnx", vocab=30522)
    tokenizer = shutil.copy(default_tokenizer_path(), folder / "tok.json")
    provenance = {
        "source": str(folder / "vectors.parquet"),
        "encoder": {
            "model": "m.onnx",
            "tokenizer": "tok.json",
            "model_sha256": model_sha256(model),
            "tokenizer_sha256": model_sha256(folder / "tok.json"),
            "pooling": "mean",
            "normalize": True,
            "max_length": 64,
        },
    }
    return folder, provenance, tokenizer


def test_a_model_named_by_a_file_needs_consent(data_folder):
    folder, provenance, _ = data_folder
    with pytest.raises(ModelConsentError, match=r"made with the model .*m\.onnx") as caught:
        config_for_vectors(provenance)
    assert caught.value.model_path == folder / "m.onnx"
    config = config_for_vectors(provenance, trusted={caught.value.model_sha256})
    assert config.model_path == folder / "m.onnx"
    assert config.tokenizer_path == folder / "tok.json"
    assert config.max_length == 64


def test_relative_paths_resolve_beside_the_data_file_not_the_current_folder(
    data_folder, tmp_path, monkeypatch
):
    folder, provenance, _ = data_folder
    decoy = tmp_path / "elsewhere"
    decoy.mkdir()
    shutil.copy(folder / "m.onnx", decoy / "m.onnx")
    shutil.copy(folder / "tok.json", decoy / "tok.json")
    monkeypatch.chdir(decoy)
    (folder / "m.onnx").unlink()
    with pytest.raises(InputError, match="is not available here"):
        config_for_vectors(provenance, trusted={provenance["encoder"]["model_sha256"]})


def test_a_tokenizer_that_differs_from_the_recorded_one_is_refused(data_folder):
    folder, provenance, _ = data_folder
    (folder / "tok.json").write_text((folder / "tok.json").read_text().replace("[CLS]", "[CLZ]"))
    with pytest.raises(InputError, match="tokenizer recorded with these vectors"):
        config_for_vectors(provenance, trusted={provenance["encoder"]["model_sha256"]})
