"""Refresh the browser libraries the portal serves itself: Leaflet and Leaflet.markercluster,
installed by npm at the exact versions of package.json / package-lock.json and copied into
static/vendor/. The copies are kept in the repository, so that the portal runs (and its tests
pass) on a machine with only Python and make; nothing is ever loaded from a CDN.

    python scripts/vendor_static.py            # npm ci, then copy, then write the manifest
    python scripts/vendor_static.py --no-install   # copy from the node_modules/ already there
    python scripts/vendor_static.py --check    # only check the copies (no npm needed)

static/vendor/manifest.json records, for each package, the version copied and the SHA-256 of
every file; tests/test_vendor_static.py holds the copies to it and to package-lock.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"

# What the pages use of each package: (path in the npm package, path under static/vendor/<name>/).
# The source maps travel with the scripts: the scripts name them, and the production static
# storage (whitenoise's manifest storage) refuses a script whose source map is missing.
FILES: dict[str, list[tuple[str, str]]] = {
    "leaflet": [
        ("dist/leaflet.js", "leaflet.js"),
        ("dist/leaflet.js.map", "leaflet.js.map"),
        ("dist/leaflet.css", "leaflet.css"),
        ("dist/images/layers.png", "images/layers.png"),
        ("dist/images/layers-2x.png", "images/layers-2x.png"),
        ("dist/images/marker-icon.png", "images/marker-icon.png"),
        ("dist/images/marker-icon-2x.png", "images/marker-icon-2x.png"),
        ("dist/images/marker-shadow.png", "images/marker-shadow.png"),
        ("LICENSE", "LICENSE"),
    ],
    "leaflet.markercluster": [
        ("dist/leaflet.markercluster.js", "leaflet.markercluster.js"),
        ("dist/leaflet.markercluster.js.map", "leaflet.markercluster.js.map"),
        ("dist/MarkerCluster.css", "MarkerCluster.css"),
        ("dist/MarkerCluster.Default.css", "MarkerCluster.Default.css"),
        ("MIT-LICENCE.txt", "MIT-LICENCE.txt"),
    ],
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locked_versions(root: Path = ROOT) -> dict[str, str]:
    """The version package-lock.json pins for each vendored package."""
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in FILES}


def declared_versions(root: Path = ROOT) -> dict[str, str]:
    """The version package.json asks for: an exact one, never a range."""
    package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    return {name: package["dependencies"][name] for name in FILES}


def copy_from_node_modules() -> dict[str, dict[str, object]]:
    """Copy each package's files into static/vendor/ (what was there before is replaced) and
    return the manifest of what was copied."""
    locked = locked_versions()
    manifest: dict[str, dict[str, object]] = {}
    for name, files in FILES.items():
        package_dir = NODE_MODULES / name
        installed = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
        if installed["version"] != locked[name]:
            raise SystemExit(
                f"node_modules/{name} is {installed['version']}, package-lock.json says "
                f"{locked[name]}: run `npm ci` (or this script without --no-install)."
            )
        target_dir = VENDOR / name
        if target_dir.exists():
            shutil.rmtree(target_dir)
        hashes = {}
        for source, target in files:
            destination = target_dir / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package_dir / source, destination)
            hashes[target] = sha256(destination)
        manifest[name] = {
            "version": installed["version"],
            "license": installed.get("license", ""),
            "files": hashes,
        }
    return manifest


def problems(root: Path = ROOT) -> list[str]:
    """What is wrong with the copies in static/vendor/: a version that is not the locked one,
    a file missing, changed or unlisted. Empty when all is well."""
    vendor = root / "static" / "vendor"
    found: list[str] = []
    manifest = json.loads((vendor / "manifest.json").read_text(encoding="utf-8"))
    declared, locked = declared_versions(root), locked_versions(root)
    for name, files in FILES.items():
        entry = manifest.get(name)
        if entry is None:
            found.append(f"{name}: not in static/vendor/manifest.json")
            continue
        if not (entry["version"] == declared[name] == locked[name]):
            found.append(
                f"{name}: copied {entry['version']}, package.json {declared[name]}, "
                f"package-lock.json {locked[name]}"
            )
        listed = {target for _, target in files}
        if set(entry["files"]) != listed:
            found.append(f"{name}: the manifest lists other files than scripts/vendor_static.py")
        for target, digest in entry["files"].items():
            path = vendor / name / target
            if not path.is_file():
                found.append(f"{name}: {target} is missing")
            elif sha256(path) != digest:
                found.append(f"{name}: {target} differs from the copy the manifest records")
        present = {
            str(path.relative_to(vendor / name))
            for path in (vendor / name).rglob("*")
            if path.is_file()
        }
        for extra in sorted(present - listed):
            found.append(f"{name}: {extra} is not one of the vendored files")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-install", action="store_true", help="do not run `npm ci` first")
    parser.add_argument("--check", action="store_true", help="only check static/vendor/")
    args = parser.parse_args()
    if args.check:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    if not args.no_install:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)  # noqa: S607
    manifest = copy_from_node_modules()
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for name, files in FILES.items():
        print(f"static/vendor/{name}: {manifest[name]['version']}, {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
