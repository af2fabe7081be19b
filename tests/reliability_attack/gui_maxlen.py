"""Defect 10 in the window: open late_long.parquet, set Max length 1000 in the Encoder panel, click Run."""
import sys, os, time
from PySide6.QtCore import QSettings, QEventLoop, QTimer, Qt
from PySide6.QtWidgets import QApplication, QMessageBox
app = QApplication(sys.argv)
shown = []
for name in ("warning", "critical", "information", "question"):
    setattr(QMessageBox, name, staticmethod(lambda *a, **k: (shown.append(str(a[2] if len(a) > 2 else a)[:200]), QMessageBox.StandardButton.Ok)[1]))
from embexplorer.gui.main_window import MainWindow
w = MainWindow(QSettings(os.path.abspath("ml.ini"), QSettings.Format.IniFormat)); w.resize(1400, 900); w.show()
msgs = []
w.document.failed.connect(lambda *a: msgs.append(tuple(str(x)[:250] for x in a)))
w.runner.failed.connect(lambda *a: msgs.append(("runner.failed",) + tuple(str(x)[:250] for x in a)))
def wait(ms=120_000):
    loop = QEventLoop(); w.document.pipeline_finished.connect(loop.quit); w.document.failed.connect(loop.quit)
    w.runner.failed.connect(loop.quit); QTimer.singleShot(ms, loop.quit); loop.exec()
w.open_path(os.path.abspath("late_long.parquet")); wait()
w.encoder_panel.max_length.setValue(1000)
t0 = time.time(); w.encoder_panel.run_button.click(); wait()
from PySide6.QtWidgets import QLabel
labels = [l.text()[:200] for l in w.encoder_panel.findChildren(QLabel) if l.text() and l.isVisible()]
print("encoder panel labels:", labels)
print("status bar:", w.statusBar().currentMessage()[:200])
print("busy:", {n: w.runner.is_busy(n) for n in ("embedding", "encoder", "analysis", "embed")})
print(f"RESULT after {time.time()-t0:.1f} s: failed messages: {msgs} | dialogs: {shown} | panel max={w.encoder_panel.max_length.maximum()}")
w.close()
