"""Front-end libraries are served by the app from static/vendor/, copied from the npm package
pinned in package-lock.json (`make vendor`); no page refers to another host."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
VENDORED = ROOT / "static" / "vendor" / "chart.js" / "chart.umd.min.js"


def _locked_version(package: str) -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"][f"node_modules/{package}"]["version"]


def test_chart_js_is_pinned_and_locked_to_the_same_version():
    manifest = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    pinned = manifest["dependencies"]["chart.js"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "pin an exact version"
    assert _locked_version("chart.js") == pinned
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    entry = lock["packages"]["node_modules/chart.js"]
    assert entry["integrity"].startswith("sha512-")
    assert entry.get("resolved", "https://registry.npmjs.org/").startswith(
        "https://registry.npmjs.org/"
    )


def test_vendored_chart_js_is_the_locked_version():
    banner = VENDORED.read_text(encoding="utf-8")[:200]
    match = re.search(r"Chart\.js v(\d+\.\d+\.\d+)", banner)
    assert match is not None, "static/vendor/chart.js/chart.umd.min.js is not Chart.js"
    assert match.group(1) == _locked_version("chart.js"), "run `make vendor`"
    assert (VENDORED.parent / "LICENSE.md").exists()


def test_vendored_file_is_byte_identical_to_the_installed_package_when_present():
    installed = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
    if not installed.exists():
        # node_modules is not committed; the version check above still holds.
        return
    assert installed.read_bytes() == VENDORED.read_bytes(), "run `make vendor`"


def test_templates_and_static_files_name_no_other_host():
    offenders = []
    for folder in (ROOT / "templates", ROOT / "static" / "js", ROOT / "static" / "css"):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in (".html", ".js", ".css"):
                text = path.read_text(encoding="utf-8")
                for url in re.findall(r"""(?:src|href)\s*=\s*["'](https?:)?//""", text):
                    offenders.append(f"{path.relative_to(ROOT)}: {url}")
                if re.search(r"@import\s+url\(\s*['\"]?https?://", text):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
