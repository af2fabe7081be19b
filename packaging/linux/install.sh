#!/bin/sh
# Put this unpacked embexplorer into the user's applications menu (no root needed): the desktop
# entry, the icon, and the file types it opens (.embx sessions, .npy arrays, .parquet tables).
# Run it from the unpacked folder: ./install.sh   Undo with ./uninstall.sh.
# Files go under ${XDG_DATA_HOME:-~/.local/share}; the folder itself stays where it is.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exe="$here/embexplorer"
if [ ! -x "$exe" ]; then
    echo "install.sh: $exe is missing; run install.sh from the unpacked embexplorer folder" >&2
    exit 1
fi
case "$exe" in
    *[\"\`\$\\%]*)
        echo "install.sh: the folder's path has a character a desktop entry cannot hold" \
            "(\" \` \$ \\ %): $here; move the folder and run install.sh again" >&2
        exit 1 ;;
esac
data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/icons/hicolor/scalable/apps" "$data/mime/packages"
cp "$here/embexplorer.svg" "$data/icons/hicolor/scalable/apps/embexplorer.svg"
cp "$here/embexplorer-mime.xml" "$data/mime/packages/embexplorer.xml"
desktop="$data/applications/embexplorer.desktop"
while IFS= read -r line; do
    case "$line" in
        Exec=*) printf 'Exec="%s" %%f\n' "$exe" ;;
        TryExec=*) printf 'TryExec=%s\n' "$exe" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$here/embexplorer.desktop" > "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
# The desktop's caches; each tool is optional (a desktop session rescans on its own).
if command -v update-mime-database >/dev/null; then update-mime-database "$data/mime"; fi
if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$data/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null && [ -f "$data/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
fi
# .embx sessions open with embexplorer by default; .npy and .parquet offer it ("Open With").
if command -v xdg-mime >/dev/null; then
    xdg-mime default embexplorer.desktop application/x-embexplorer-session || true
fi
echo "embexplorer is in the applications menu ($desktop)."
