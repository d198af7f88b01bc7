"""Fixtures for the tests that drive the Dagster UI like an operator: `make dev` and a headless Chromium.

Both are module-scoped: one stack and one browser serve every step of the operator's day.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .dev_stack import REPO_ROOT, DevStack, start_dev_stack

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright's own browser downloads do not work here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# SMARTBIND_BROWSER_ARTIFACTS moves the screenshots, e.g. into a folder CI uploads.
ARTIFACTS = Path(os.environ.get("SMARTBIND_BROWSER_ARTIFACTS") or REPO_ROOT / "test-artifacts" / "browser")


@pytest.fixture(scope="module")
def chromium_executable() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` to run the browser tests")
    return CHROMIUM


@pytest.fixture(scope="module")
def artifacts_dir() -> Path:
    """test-artifacts/browser/, emptied of an earlier run's screenshots and logs."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("logs/*.log")]:
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory, chromium_executable, artifacts_dir) -> DevStack:
    stack = start_dev_stack(tmp_path_factory.mktemp("dev_dagster_home"))
    try:
        yield stack
    finally:
        survivors = stack.stop()
        # The stack's logs go beside the screenshots: they explain a red CI run.
        (artifacts_dir / "logs").mkdir(exist_ok=True)
        for path in stack.log_files:
            if path.exists():
                shutil.copy(path, artifacts_dir / "logs" / path.name)
    assert not survivors, f"processes of make dev survived SIGTERM and SIGKILL: {survivors}"


@pytest.fixture(scope="module")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(chromium_executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, dev_stack):
    context = browser.new_context(base_url=dev_stack.ui_url, viewport={"width": 1400, "height": 1000})
    # Dagster opens a "Join the Dagster community" dialog on a first visit; this is how it remembers a dismissal.
    context.add_init_script("window.localStorage.setItem('communityNux', JSON.stringify('1'))")
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
