"""The Encoder panel: which texts, which ONNX model and settings; Run / Cancel; the cache;
a notice when the model does not read the texts' language, with the choice of another."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from embexplorer.core.corpus import Corpus
from embexplorer.core.embedding.encoder import (
    DEFAULT_MODEL_NAME,
    MAX_BATCH_SIZE,
    EncoderConfig,
    default_config,
    import_onnxruntime,
)
from embexplorer.core.errors import InputError

CUSTOM_MODEL = "ONNX model file…"
DEVICES = {
    "auto": "Automatic",
    "cpu": "CPU",
    "cuda": "CUDA (NVIDIA GPU)",
    "coreml": "Core ML",
    "directml": "DirectML",
}
_PROVIDER_DEVICE = {
    "CPUExecutionProvider": "cpu",
    "CUDAExecutionProvider": "cuda",
    "CoreMLExecutionProvider": "coreml",
    "DmlExecutionProvider": "directml",
}


def available_devices() -> list[str]:
    ort = import_onnxruntime()
    found = [_PROVIDER_DEVICE[p] for p in ort.get_available_providers() if p in _PROVIDER_DEVICE]
    return ["auto", *[d for d in DEVICES if d in found and d != "auto"]]


class EncoderPanel(QWidget):
    run_requested = Signal(object)  # EncoderConfig
    add_requested = Signal(object)  # EncoderConfig: embed the texts as a further embedding
    cancel_requested = Signal()
    clear_cache_requested = Signal()
    text_column_chosen = Signal(object)  # str | None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text_combo = QComboBox()
        self.model_combo = QComboBox()
        self.model_combo.addItems([DEFAULT_MODEL_NAME, CUSTOM_MODEL])
        self.model_path, self.tokenizer_path = QLineEdit(), QLineEdit()
        self.model_path.setPlaceholderText("model.onnx")
        self.tokenizer_path.setPlaceholderText("tokenizer.json")
        self.model_browse, self.tokenizer_browse = QPushButton("…"), QPushButton("…")
        self.pooling = QComboBox()
        self.pooling.addItems(["mean", "cls", "model"])
        self.pooling.setToolTip(
            "mean: average of the token vectors (masked); cls: the first "
            "token; model: the model's own pooled output"
        )
        self.normalize = QCheckBox("L2-normalise the vectors")
        self.normalize.setChecked(True)
        self.max_length = _spin(8, 8192, 256, "Longer texts are truncated to this many tokens")
        self.batch_size = _spin(
            0, MAX_BATCH_SIZE, 0, "Texts per batch (auto: 8 on CPU, 64 on a GPU)"
        )
        self.batch_size.setSpecialValueText("auto")
        self.threads = _spin(0, 256, 0, "CPU threads for onnxruntime (auto: all cores, ≤ 8)")
        self.threads.setSpecialValueText("auto")
        self.device = QComboBox()
        for name in available_devices():
            self.device.addItem(DEVICES[name], name)
        self.run_button = QPushButton("Embed texts")
        self.run_button.setToolTip("Embed the texts and show them on the map (replaces the map)")
        self.add_button = QPushButton("Add as a new embedding")
        self.add_button.setToolTip(
            "Embed the texts with these settings as another embedding of the same rows, to "
            "compare with the current one (Embeddings panel)"
        )
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QLabel()
        self.progress.setWordWrap(True)
        #: the model does not read the texts' language (core/embedding/language.py)
        self.language_note = QLabel()
        self.language_note.setWordWrap(True)
        self.language_note.setStyleSheet("QLabel { color: #9a4f00; }")
        self.other_model_button = QPushButton("Choose another model…")
        self.other_model_button.setToolTip(
            "Choose an ONNX model file (and its tokenizer.json) made for the texts' language"
        )
        self.other_model_button.clicked.connect(self.choose_other_model)
        self.show_language_note(None)
        self.cache_label = QLabel()
        self.cache_note = QLabel()  # a damaged entry or a failed store, from the last run
        self.cache_note.setWordWrap(True)
        self.cache_note.hide()
        self.clear_cache_button = QPushButton("Clear cache")
        self._build_layout()
        self._connect()
        self._on_model_choice()

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Text column", self.text_combo)
        form.addRow("Model", self.model_combo)
        form.addRow("Model file", _row(self.model_path, self.model_browse))
        form.addRow("Tokenizer", _row(self.tokenizer_path, self.tokenizer_browse))
        form.addRow("Pooling", self.pooling)
        form.addRow("", self.normalize)
        form.addRow("Max length", self.max_length)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Threads", self.threads)
        form.addRow("Device", self.device)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(_row(self.run_button, self.cancel_button))
        layout.addWidget(self.add_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.language_note)
        layout.addWidget(self.other_model_button)
        layout.addStretch(1)
        layout.addWidget(self.cache_note)
        layout.addWidget(_row(self.cache_label, self.clear_cache_button))

    def _connect(self) -> None:
        self.model_combo.currentIndexChanged.connect(self._on_model_choice)
        self.model_browse.clicked.connect(
            lambda: self._browse(self.model_path, "ONNX model (*.onnx)")
        )
        self.tokenizer_browse.clicked.connect(
            lambda: self._browse(self.tokenizer_path, "Tokenizer (*.json)")
        )
        self.run_button.clicked.connect(lambda: self._emit_config(self.run_requested))
        self.add_button.clicked.connect(lambda: self._emit_config(self.add_requested))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.clear_cache_button.clicked.connect(self.clear_cache_requested)
        self.text_combo.activated.connect(self._on_text_column)

    def _on_model_choice(self, *_) -> None:
        custom = self.model_combo.currentText() == CUSTOM_MODEL
        for widget in (
            self.model_path,
            self.model_browse,
            self.tokenizer_path,
            self.tokenizer_browse,
        ):
            widget.setEnabled(custom)

    def _browse(self, target: QLineEdit, pattern: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", target.text(), pattern)
        if path:
            target.setText(path)
        if path and target is self.model_path and not self.tokenizer_path.text().strip():
            found = _tokenizer_beside(Path(path))
            if found is not None:
                self.tokenizer_path.setText(str(found))

    def choose_other_model(self) -> None:
        """Switch to a model file of the user's and ask for it (then Embed texts runs it)."""
        self.model_combo.setCurrentText(CUSTOM_MODEL)
        self._browse(self.model_path, "ONNX model (*.onnx)")

    def show_language_note(self, note: str | None) -> None:
        self.language_note.setText(note or "")
        self.language_note.setVisible(bool(note))
        self.other_model_button.setVisible(bool(note))

    def _on_text_column(self, *_) -> None:
        text = self.text_combo.currentText()
        self.text_column_chosen.emit(None if text == "(none)" else text)

    def _emit_config(self, signal) -> None:
        try:
            config = self.config()
        except InputError as exc:
            self.progress.setText(str(exc))
            return
        signal.emit(config)

    def config(self) -> EncoderConfig:
        """The chosen settings; InputError when a custom model or tokenizer is missing."""
        config = default_config()
        if self.model_combo.currentText() == CUSTOM_MODEL:
            model, tokenizer = self.model_path.text().strip(), self.tokenizer_path.text().strip()
            if not model or not tokenizer:
                raise InputError("Choose both the .onnx model file and its tokenizer.json.")
            config = dataclasses.replace(
                config, model_path=Path(model), tokenizer_path=Path(tokenizer)
            )
        return dataclasses.replace(
            config,
            pooling=self.pooling.currentText(),
            normalize=self.normalize.isChecked(),
            max_length=self.max_length.value(),
            batch_size=self.batch_size.value(),
            threads=self.threads.value(),
            device=self.device.currentData(),
        )

    def set_corpus(self, corpus: Corpus | None) -> None:
        self.text_combo.blockSignals(True)
        self.text_combo.clear()
        self.text_combo.addItem("(none)")
        if corpus is not None:
            self.text_combo.addItems([n for n, c in corpus.columns.items() if c.dtype.kind == "O"])
            self.text_combo.setCurrentText(corpus.text_column or "(none)")
        self.text_combo.blockSignals(False)
        self.run_button.setEnabled(corpus is not None)

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.add_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def show_cache(self, entries: int, size_bytes: int) -> None:
        self.cache_label.setText(
            f"Embedding cache: {entries} "
            f"{'entry' if entries == 1 else 'entries'}, "
            f"{size_bytes / 1e6:.1f} MB"
        )
        # temporary files left by a crash count too: "Clear cache" removes them
        self.clear_cache_button.setEnabled(entries > 0 or size_bytes > 0)

    def show_cache_note(self, note: str | None) -> None:
        self.cache_note.setText(note or "")
        self.cache_note.setVisible(bool(note))


def _tokenizer_beside(model: Path) -> Path | None:
    """The tokenizer.json beside a model file, or one folder up (Hugging Face ONNX exports
    keep the model in ``onnx/``)."""
    for folder in (model.parent, model.parent.parent):
        if (folder / "tokenizer.json").is_file():
            return folder / "tokenizer.json"
    return None


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row
