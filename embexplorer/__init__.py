"""embexplorer: explore embedding spaces natively and offline."""

import os

# Offline by construction: onnxruntime (1.2x) starts a telemetry thread when it is imported that
# looks up a Microsoft host a few seconds later. It reads this variable only at its import, so it
# is set here, before any module of ours can import it (a user's explicit value is kept).
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
