#!/usr/bin/env bash
# A compressed .dmg disk image of mailapp.app with a link to /Applications (macOS, hdiutil).
# Usage: installers/macos/make_dmg.sh dist/mailapp.app [OUTPUT_DIR]
# installers/build.py runs it after building and smoke-testing the .app. The image is not
# signed or notarized: that needs the project's Apple Developer ID (see installers/README.md).
set -euo pipefail

app=${1:?usage: make_dmg.sh PATH/TO/mailapp.app [OUTPUT_DIR]}
out=${2:-$(dirname "$app")}
[ -d "$app/Contents/MacOS" ] || { echo "make_dmg.sh: $app is not an .app bundle" >&2; exit 2; }
command -v hdiutil >/dev/null || { echo "make_dmg.sh: hdiutil not found (macOS only)" >&2; exit 2; }

version=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$app/Contents/Info.plist")
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
# ditto keeps the bundle's symlinks, permissions and extended attributes intact.
ditto "$app" "$staging/$(basename "$app")"
ln -s /Applications "$staging/Applications"

dmg="$out/mailapp-$version.dmg"
rm -f "$dmg"
hdiutil create -volname "mailapp $version" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
echo "$dmg"
