"""Headless Chromium (the Debian package) for the report tests: a screenshot, and the DOM it loaded.

Why a real browser: a report is for people, and only a browser shows whether the page lays
out, every chart decodes and nothing is fetched from elsewhere. Tests that need it skip
outside CI when it is missing (``.ci/run`` installs it); in CI a missing browser fails.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip
WIDTH, HEIGHT = 1280, 4000
DATA_IMAGE = re.compile(r'<img[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=]+)"')
EXTERNAL = re.compile(
    r"(?:src|href|action|poster|data)\s*=\s*[\"']?\s*(?!data:|#)[a-z]+:"  # a URL in an attribute
    r"|url\(\s*[\"']?(?!data:)"  # a CSS url() that is not a data: URL
    r"|@import|//[a-z0-9.-]+\.[a-z]{2,}",  # a stylesheet import, a scheme-relative host
    re.IGNORECASE,
)
"""A reference to anything outside the page."""


def chromium() -> str:
    """The browser's path; skips the test outside CI when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run should have installed it")
        pytest.skip("chromium not installed (apt-get install chromium; .ci/run installs it in CI)")
    return found


def _run(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip


def screenshot(page: Path, out: Path, profile: Path, height: int = HEIGHT) -> Path:
    """Render ``page`` at 1280 x ``height`` into ``out`` (PNG)."""
    result = _run(page, profile, f"--screenshot={out}", f"--window-size={WIDTH},{height}")
    assert out.is_file(), f"chromium wrote no screenshot: {result.stderr.decode()[-2000:]}"
    return out


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM after the page loaded, as the browser serialises it."""
    result = _run(page, profile, "--dump-dom")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return result.stdout.decode()


def external_references(html: str) -> list[str]:
    """Every reference in ``html`` to something outside it (an empty list for a self-contained page)."""
    stripped = DATA_IMAGE.sub("<img>", html)
    return [match.group(0) for match in EXTERNAL.finditer(stripped)]


def decoded_images(html: str) -> list[tuple[int, int, int]]:
    """``(width, height, distinct colours)`` of every inline PNG of the page, decoded."""
    from PIL import Image

    out = []
    for data in DATA_IMAGE.findall(html):
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            rgb = image.convert("RGB")
            out.append((rgb.width, rgb.height, len(rgb.getcolors(maxcolors=1 << 20) or [])))
    return out


def picture_facts(path: Path) -> tuple[tuple[int, int], int]:
    """Size and number of distinct colours of a screenshot."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB")
        return rgb.size, len(rgb.getcolors(maxcolors=1 << 22) or [])
