"""Settings that persist across runs: window geometry, recent files, last folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def app_settings() -> QSettings:
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "embexplorer", "embexplorer"
    )


def recent_files(settings: QSettings) -> list[str]:
    value = settings.value("recentFiles", [])
    if isinstance(value, str):  # QSettings returns a lone entry as a string
        value = [value]
    return [str(v) for v in value or []]


def add_recent_file(settings: QSettings, path: str | Path) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files(settings) if f != path]
    settings.setValue("recentFiles", files[:MAX_RECENT])
    return files[:MAX_RECENT]


def _strings(settings: QSettings, key: str) -> list[str]:
    value = settings.value(key, [])
    if isinstance(value, str):  # QSettings returns a lone entry as a string
        value = [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def trusted_models(settings: QSettings) -> list[str]:
    """SHA-256s of models, named by data files, that the user agreed to run."""
    return _strings(settings, "trustedModels")


def add_trusted_model(settings: QSettings, sha256: str) -> None:
    models = trusted_models(settings)
    if sha256 not in models:
        settings.setValue("trustedModels", [*models, sha256])
