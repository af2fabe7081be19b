#!/bin/sh
# Take embexplorer out of the user's applications menu (what install.sh added); the unpacked
# folder itself is left alone.
set -eu
data=${XDG_DATA_HOME:-$HOME/.local/share}
rm -f "$data/applications/embexplorer.desktop" \
    "$data/icons/hicolor/scalable/apps/embexplorer.svg" \
    "$data/mime/packages/embexplorer.xml"
if command -v update-mime-database >/dev/null; then update-mime-database "$data/mime"; fi
if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$data/applications" || true
fi
echo "embexplorer is no longer in the applications menu."
