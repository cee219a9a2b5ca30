#!/usr/bin/env bash
# Vendor the pinned JS/CSS that the Folium maps need into webmap/static/vendor/,
# so the web app renders with no internet (no CDN is ever contacted).
#
# Usage: bash scripts/vendor_assets.sh        (needs npm and python3; reaches only the npm registry)
#
# Each package is fetched once with `npm pack NAME@VERSION`; only the files the
# maps load, plus each package's licence, are extracted. The folder layout keeps
# the relative paths the CSS files use (images/, ../webfonts/). The result, with
# name, version, licence, npm integrity and a sha256 per file, is written to
# webmap/static/vendor/MANIFEST.json. Re-running it gives the same files.
#
# Versions follow folium 0.20's default_js/default_css (leaflet 1.9.3, jquery 3.7.1,
# bootstrap 5.2.2, fontawesome-free 6.2.0); leaflet.awesome-markers is 2.0.5 because
# npm has no 2.0.2 (folium's CDN copy). Bootstrap 3 glyphicons and folium's
# awesome-rotate CSS are not vendored: the maps use Font Awesome icons, unrotated.
# leaflet-draw 1.0.4 (MIT) is the planner grid editor's drawing tool; its tarball has no
# licence file, so LICENSE is written here: the MIT text (its package.json says MIT) under
# the copyright line of its dist/leaflet.draw.js header.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/webmap/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# name@version | folder under vendor/ | files (paths inside the tarball's package/) -> kept relative
PACKAGES=(
  "leaflet@1.9.3|leaflet-1.9.3|LICENSE dist/leaflet.js dist/leaflet.css dist/images/layers.png dist/images/layers-2x.png dist/images/marker-icon.png dist/images/marker-icon-2x.png dist/images/marker-shadow.png"
  "jquery@3.7.1|jquery-3.7.1|LICENSE.txt dist/jquery.min.js"
  "bootstrap@5.2.2|bootstrap-5.2.2|LICENSE dist/css/bootstrap.min.css dist/js/bootstrap.bundle.min.js"
  "leaflet.awesome-markers@2.0.5|leaflet.awesome-markers-2.0.5|LICENSE dist/leaflet.awesome-markers.js dist/leaflet.awesome-markers.css dist/images/markers-soft.png dist/images/markers-soft@2x.png dist/images/markers-shadow.png dist/images/markers-shadow@2x.png"
  "@fortawesome/fontawesome-free@6.2.0|fontawesome-free-6.2.0|LICENSE.txt css/all.min.css webfonts/fa-solid-900.woff2 webfonts/fa-regular-400.woff2 webfonts/fa-brands-400.woff2"
  "leaflet-draw@1.0.4|leaflet-draw-1.0.4|package.json dist/leaflet.draw.js dist/leaflet.draw.css dist/images/spritesheet.png dist/images/spritesheet-2x.png dist/images/spritesheet.svg"
)

rm -rf "$DEST"
mkdir -p "$DEST"
: > "$WORK/records.tsv"

for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r spec folder files <<<"$entry"
  name="${spec%@*}"
  version="${spec##*@}"
  echo "vendoring $name $version" >&2
  mkdir -p "$WORK/$folder"
  tarball="$(cd "$WORK/$folder" && npm pack --silent "$spec" 2>/dev/null | tail -n 1)"
  tar -xzf "$WORK/$folder/$tarball" -C "$WORK/$folder"
  integrity="$(npm view "$spec" dist.integrity 2>/dev/null)"
  licence="$(npm view "$spec" license 2>/dev/null)"
  if [ "$name" = "leaflet-draw" ]; then
    copyright="$(grep -m1 -o '(c) .*' "$WORK/$folder/package/dist/leaflet.draw.js" | sed 's/^(c)/Copyright (c)/')"
    mkdir -p "$DEST/$folder"
    cat > "$DEST/$folder/LICENSE" <<EOF_LICENSE
$copyright

Permission is hereby granted, free of charge, to any person obtaining
a copy of this software and associated documentation files (the
"Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to
the following conditions:

The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
EOF_LICENSE
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$licence" "$integrity" \
      "$folder/LICENSE" "$(sha256sum "$DEST/$folder/LICENSE" | cut -d' ' -f1)" >> "$WORK/records.tsv"
  fi
  for file in $files; do
    # dist/ is dropped so the CSS-relative paths (images/, ../webfonts/) still resolve
    rel="${file#dist/}"
    mkdir -p "$(dirname "$DEST/$folder/$rel")"
    cp "$WORK/$folder/package/$file" "$DEST/$folder/$rel"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$version" "$licence" "$integrity" \
      "$folder/$rel" "$(sha256sum "$DEST/$folder/$rel" | cut -d' ' -f1)" >> "$WORK/records.tsv"
  done
done

python3 - "$WORK/records.tsv" "$DEST/MANIFEST.json" <<'PY'
import json, sys
packages = {}
for line in open(sys.argv[1], encoding="utf-8"):
    name, version, licence, integrity, path, sha256 = line.rstrip("\n").split("\t")
    pkg = packages.setdefault(name, {"name": name, "version": version, "license": licence,
                                     "npm_integrity": integrity, "files": []})
    pkg["files"].append({"path": path, "sha256": sha256})
manifest = {
    "about": "Pinned front-end assets for the offline maps; made by scripts/vendor_assets.sh",
    "packages": list(packages.values()),
}
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    json.dump(manifest, fh, indent=2)
    fh.write("\n")
PY
du -sh "$DEST" >&2
