"""Before Qt starts: can a window open here? Say why not in one line, with the fix.

Qt's own failure is an abort with a multi-line plugin error ("could not load the Qt platform
plugin xcb…"); we detect the usual causes first. Nothing here imports Qt's libraries.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

#: Shared libraries of Qt's xcb plugin → the Debian/Ubuntu package that provides them.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11-xcb.so.1": "libx11-xcb1",
}


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(spec.submodule_search_locations[0]) / "Qt/plugins/platforms/libqxcb.so"
    return plugin if plugin.exists() else None


def missing_libraries(plugin: Path) -> list[str]:
    """Shared libraries ``plugin`` needs that the dynamic loader cannot find (via ``ldd``)."""
    try:
        out = subprocess.run(
            ["ldd", str(plugin)], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted({m.group(1) for m in re.finditer(r"^\s*(\S+) => not found", out, re.M)})


def _x_server_reachable(display: str) -> bool:
    match = re.fullmatch(r":(\d+)(\.\d+)?", display)
    if match is None:  # remote or unusual display: let Qt try
        return True
    return Path(f"/tmp/.X11-unix/X{match.group(1)}").exists()


def window_problem(allow_offscreen: bool) -> str | None:
    """Why a window cannot open here, or None. May switch Qt to its offscreen platform when
    ``allow_offscreen`` (screenshots need no screen)."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return None
    display, wayland = os.environ.get("DISPLAY"), os.environ.get("WAYLAND_DISPLAY")
    problem = None
    if not display and not wayland:
        problem = (
            "no display: DISPLAY and WAYLAND_DISPLAY are not set. Run embexplorer in a "
            "desktop session, or under a virtual display (xvfb-run -a embexplorer …); "
            "--screenshot OUT.png works without any display."
        )
    elif display and not wayland and not _x_server_reachable(display):
        problem = (
            f"the X display {display} is not reachable (no X server is running there). "
            "Start one, or run under xvfb-run -a embexplorer …."
        )
    elif display and not wayland:
        plugin = xcb_plugin()
        missing = missing_libraries(plugin) if plugin else []
        if missing:
            packages = " ".join(sorted({DEBIAN_PACKAGES.get(m, m) for m in missing}))
            problem = (
                f"Qt's X11 (xcb) platform plugin needs system libraries that are missing: "
                f"{', '.join(missing)}. Install them, e.g. on Debian/Ubuntu: "
                f"sudo apt-get install -y {packages}"
            )
    if problem and allow_offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    return None if problem is None else f"embexplorer: cannot open a window: {problem}"
