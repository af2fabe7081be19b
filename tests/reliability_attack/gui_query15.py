"""Defect 15 in the window: open crafted.parquet, type a query, see what happens (no consent given)."""
import sys, os
from PySide6.QtCore import QSettings, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
app = QApplication(sys.argv)
asked = []
def fake(*a, **k):
    asked.append(str(a[2] if len(a) > 2 else a)[:200]); return QMessageBox.StandardButton.No
for name in ("question", "warning", "information", "critical"):
    setattr(QMessageBox, name, staticmethod(fake))
QMessageBox.exec = lambda self: (asked.append(self.text()[:200]), QMessageBox.StandardButton.No)[1]
from embexplorer.gui.main_window import MainWindow
w = MainWindow(QSettings(os.path.abspath("q15.ini"), QSettings.Format.IniFormat)); w.resize(1400, 900); w.show()
msgs = []
w.document.failed.connect(lambda *a: msgs.append(("failed",) + tuple(str(x)[:200] for x in a)))
w.document.query_failed.connect(lambda *a: msgs.append(("query_failed",) + tuple(str(x)[:200] for x in a)))
loop = QEventLoop(); w.document.pipeline_finished.connect(loop.quit); QTimer.singleShot(120_000, loop.quit)
w.open_path(os.path.abspath("crafted.parquet")); loop.exec()
opened = []
import embexplorer.core.embedding.encoder as enc
import onnxruntime as ort
orig = ort.InferenceSession.__init__
def spy(self, path, *a, **k): opened.append(str(path)); return orig(self, path, *a, **k)
ort.InferenceSession.__init__ = spy
w.document.query("rivers", 10)
loop = QEventLoop(); QTimer.singleShot(8000, loop.quit); loop.exec()
print("RESULT dialogs:", asked, "| messages:", msgs, "| models loaded:", [os.path.basename(p) for p in opened])
w.close()
