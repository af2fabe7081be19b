"""Settings that persist across runs: window geometry and layout, recent files, last folders.

The settings file must never stop the app. A file that is damaged (binary, truncated), written by
another program or by another version of embexplorer, or holding values of the wrong kind is
moved aside to ``embexplorer.ini.bad-YYYYmmdd-HHMMSS`` beside it, and a fresh one is used; the
caller shows the returned note. ``embexplorer --reset-settings`` moves the file aside the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10
#: Stored under SCHEMA_KEY; bump it when a key changes meaning, so older files are set aside.
SCHEMA_VERSION = 1
SCHEMA_KEY = "schemaVersion"
#: Passed to QMainWindow.saveState/restoreState; bump it when the docks change, so a layout
#: saved by another version is discarded (restoreState returns False) instead of misapplied.
WINDOW_STATE_VERSION = 3  # 2: Embeddings, Compare, Stability docks; 3: the map's room, Charts
#: embexplorer writes a few kilobytes; anything much larger is not its settings file.
MAX_SETTINGS_BYTES = 1 << 20


def _is_bytes(value: object) -> bool:
    return isinstance(value, QByteArray | bytes)


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_text_list(value: object) -> bool:  # QSettings returns a lone entry as a string
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )


def _is_whole_number(value: object) -> bool:  # INI files keep numbers as text
    return isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())


#: Every key embexplorer writes, with what its value must look like. A new key belongs here;
#: keys not listed are left unchecked (a file with the current SCHEMA_VERSION is ours).
VALUE_CHECKS: dict[str, Callable[[object], bool]] = {
    SCHEMA_KEY: _is_whole_number,
    "geometry": _is_bytes,
    "windowState": _is_bytes,
    "analysisTab": _is_whole_number,
    "recentFiles": _is_text_list,
    "trustedModels": _is_text_list,
    "lastDir": _is_text,
    "exportDir": _is_text,
}


def app_settings() -> QSettings:
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "embexplorer", "embexplorer"
    )


def checked_settings(settings: QSettings) -> tuple[QSettings, str | None]:
    """``settings`` when its file is usable, else fresh settings at the same path and a note
    saying what was wrong and where the old file was kept. Never raises."""
    problem = settings_problem(settings)
    if problem is None:
        if not settings.contains(SCHEMA_KEY):  # a new file
            settings.setValue(SCHEMA_KEY, SCHEMA_VERSION)
        return settings, None
    path = Path(settings.fileName())
    try:
        backup = set_aside(path, "bad")
    except OSError as error:
        fresh = _scratch_settings()
        return fresh, (
            f"The settings file {path} {problem}, and it could not be moved aside "
            f"({error.strerror or error}); this session's settings will not be saved."
        )
    fresh = QSettings(str(path), QSettings.Format.IniFormat)
    fresh.setValue(SCHEMA_KEY, SCHEMA_VERSION)
    return fresh, (
        f"The settings file {path} {problem}. It was ignored and kept as {backup.name}; "
        "embexplorer started with fresh settings."
    )


def settings_problem(settings: QSettings) -> str | None:
    """What is wrong with the file behind ``settings`` (a phrase), or None when usable."""
    path = Path(settings.fileName())
    try:
        if not path.exists():
            return None
        if not path.is_file():
            return "is not a file"
        size = path.stat().st_size
        if size > MAX_SETTINGS_BYTES:
            return (
                f"is {size:,} bytes, more than any settings file embexplorer writes "
                f"({MAX_SETTINGS_BYTES:,})"
            )
        raw = path.read_bytes()
    except OSError as error:
        return f"could not be read ({error.strerror or error})"
    if not raw.strip():
        return None  # empty: nothing saved yet
    if b"\0" in raw or not _is_utf8(raw):
        return "is not a text file (damaged, or binary data)"
    if settings.status() != QSettings.Status.NoError or not settings.allKeys():
        return "could not be read as settings (damaged or truncated)"
    return _schema_problem(settings) or _value_problem(settings)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _schema_problem(settings: QSettings) -> str | None:
    version = settings.value(SCHEMA_KEY)
    if version is None:
        return (
            "has no settings version: it was written by an older embexplorer or by another program"
        )
    if not _is_whole_number(version):
        return f"has a settings version that is not a number ({_shown(version)})"
    if int(version) != SCHEMA_VERSION:
        return (
            f"was written for settings version {int(version)}, and this embexplorer reads "
            f"version {SCHEMA_VERSION}"
        )
    return None


def _value_problem(settings: QSettings) -> str | None:
    for key, check in VALUE_CHECKS.items():
        if settings.contains(key):
            value = settings.value(key)
            if not check(value):
                return (
                    f"holds a {key} value that embexplorer never writes ({_shown(value)}): "
                    "damaged, or written by another program"
                )
    return None


def _shown(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def set_aside(path: Path, tag: str) -> Path:
    """Rename ``path`` to ``<name>.<tag>-YYYYmmdd-HHMMSS`` beside it (never over another file)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.{tag}-{stamp}")
    number = 1
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.{tag}-{stamp}-{number}")
    path.rename(backup)
    return backup


def reset_settings(settings: QSettings) -> str:
    """Move the file behind ``settings`` aside; say where it went (for --reset-settings)."""
    path = Path(settings.fileName())
    if not path.exists():
        return f"Settings reset: there were no saved settings ({path})."
    try:
        backup = set_aside(path, "bak")
    except OSError as error:
        return (
            f"Settings could not be reset: {path} could not be moved aside "
            f"({error.strerror or error})."
        )
    return f"Settings reset: the old settings were kept as {backup}."


def _scratch_settings() -> QSettings:
    """Settings in a new temporary folder: used for this run only."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="embexplorer-settings-"))
    settings = QSettings(str(folder / "embexplorer.ini"), QSettings.Format.IniFormat)
    settings.setValue(SCHEMA_KEY, SCHEMA_VERSION)
    return settings


def stored_bytes(settings: QSettings, key: str) -> QByteArray | None:
    value = settings.value(key)
    return QByteArray(value) if _is_bytes(value) else None


def stored_number(settings: QSettings, key: str) -> int | None:
    value = settings.value(key)
    return int(value) if _is_whole_number(value) else None


def _strings(settings: QSettings, key: str) -> list[str]:
    value = settings.value(key, [])
    if isinstance(value, str):  # QSettings returns a lone entry as a string
        value = [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def recent_files(settings: QSettings) -> list[str]:
    return _strings(settings, "recentFiles")


def add_recent_file(settings: QSettings, path: str | Path) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files(settings) if f != path]
    settings.setValue("recentFiles", files[:MAX_RECENT])
    return files[:MAX_RECENT]


def trusted_models(settings: QSettings) -> list[str]:
    """SHA-256s of models, named by data files, that the user agreed to run."""
    return _strings(settings, "trustedModels")


def add_trusted_model(settings: QSettings, sha256: str) -> None:
    models = trusted_models(settings)
    if sha256 not in models:
        settings.setValue("trustedModels", [*models, sha256])
