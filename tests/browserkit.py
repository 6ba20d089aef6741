"""What every test in a real browser shares: Debian's Chromium and chromedriver (never a test
tool's own download), the skip outside CI when they are missing, one headless driver per module,
and the page check — axe-core without a serious or critical violation, no horizontal scroll at
360 px, screenshots in docs/screenshots/ (linked from docs/web.md)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from served import ROOT

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
AXE = ROOT / "tests" / "web" / "vendor" / "axe-core" / "axe.min.js"
SHOTS: Path = ROOT / "docs" / "screenshots"

needs_chromium = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER) and os.environ.get("CI") != "true",
    reason="Chromium and chromedriver are not installed (Debian: chromium chromium-driver); required in CI")


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium driver, quit on leaving."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=vi", "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def check_page(driver, name: str) -> None:
    """axe-core: no serious or critical violation; at 360 px no horizontal scroll; screenshots."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))));")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True})
    try:
        time.sleep(0.3)
        widths = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]")
        assert widths[1] == 360 and widths[0] <= widths[1] and widths[2] <= widths[1], f"{name} at 360 px: {widths}"
        driver.save_screenshot(str(SHOTS / f"{name}-360.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
