"""The browser libraries the portal serves itself (static/vendor/, refreshed by
scripts/vendor_static.py) are the versions package.json and package-lock.json pin, every file
the pages need is there and unchanged, and, where npm has installed node_modules/, byte for byte
what npm installed."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "static" / "vendor"


def vendor_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "vendor_static", ROOT / "scripts" / "vendor_static.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_package_json_pins_exact_versions_and_the_lock_agrees() -> None:
    script = vendor_script()
    declared = script.declared_versions()
    for name, version in declared.items():
        assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version), f"{name}: {version} is a range"
    assert script.locked_versions() == declared


def test_the_vendored_files_are_the_pinned_versions_complete_and_unchanged() -> None:
    assert vendor_script().problems() == []


def test_leaflet_js_is_the_pinned_leaflet() -> None:
    version = vendor_script().locked_versions()["leaflet"]
    script = (VENDOR / "leaflet" / "leaflet.js").read_text(encoding="utf-8")
    assert f'version="{version}"' in script
    assert f"Leaflet {version}," in script.splitlines()[1]
    # Every image the stylesheet names is served next to it.
    css = (VENDOR / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    for image in re.findall(r"url\((images/[^)]+)\)", css):
        assert (VENDOR / "leaflet" / image).is_file(), image


def test_a_changed_file_is_caught(tmp_path: Path) -> None:
    """The check is not vacuous: a copy with one byte changed, or an extra file, fails it."""
    script = vendor_script()
    for name in ("package.json", "package-lock.json"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    copy = tmp_path / "static" / "vendor"
    for path in VENDOR.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(VENDOR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert script.problems(tmp_path) == []
    css = copy / "leaflet.markercluster" / "MarkerCluster.css"
    css.write_bytes(css.read_bytes() + b" ")
    (copy / "leaflet" / "extra.js").write_text("", encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["leaflet"]["version"] = "0.0.1"
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = script.problems(tmp_path)
    assert any("MarkerCluster.css differs" in line for line in found)
    assert any("extra.js is not one of the vendored files" in line for line in found)
    assert any("copied 0.0.1" in line for line in found)


@pytest.mark.skipif(
    not (ROOT / "node_modules").is_dir(), reason="npm has not installed node_modules/ here"
)
def test_the_copies_are_what_npm_installed() -> None:
    script = vendor_script()
    for name, files in script.FILES.items():
        installed = json.loads((ROOT / "node_modules" / name / "package.json").read_text())
        assert installed["version"] == script.locked_versions()[name]
        for source, target in files:
            assert (ROOT / "node_modules" / name / source).read_bytes() == (
                VENDOR / name / target
            ).read_bytes(), target
