"""Defect 5 in the window: open v300.npy, set the panel's k to 80 (and 100), wait, check the result."""
import sys, os
from PySide6.QtCore import QSettings, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from embexplorer.gui.main_window import MainWindow
w = MainWindow(QSettings(os.path.abspath("gui_k80.ini"), QSettings.Format.IniFormat))
w.resize(1400, 900); w.show()
errors = []
w.document.failed.connect(lambda *a: errors.append(a))
def wait(signal, timeout=120_000):
    loop = QEventLoop(); signal.connect(loop.quit); QTimer.singleShot(timeout, loop.quit); loop.exec()
    try: signal.disconnect(loop.quit)
    except Exception: pass
w.open_path(os.path.abspath("v300.npy")); wait(w.document.pipeline_finished)
for k in (80, 100):
    w.analysis_panel.k.setValue(k)
    loop = QEventLoop(); w.document.pipeline_finished.connect(loop.quit); w.document.failed.connect(loop.quit)
    QTimer.singleShot(120_000, loop.quit); loop.exec()
    r = w.document.analysis.result
    print(f"RESULT k={k}: panel k={w.analysis_panel.k.value()} result k={r.params.k} knn width={r.knn.indices.shape[1]} "
          f"hubness k={getattr(r.hubness, 'k', '?')} errors={[str(e)[:150] for e in errors]}")
w.close()
