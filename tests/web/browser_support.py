"""What the browser tests share: the real application served on a free port, Debian's Chromium
driven by Playwright, full-page screenshots at a desktop and a phone width, and a watch on the
browser's console for errors and Content-Security-Policy violations."""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

# Debian's Chromium (the Makefile installs it); Playwright's own browsers are never downloaded.
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000  # any one wait: pages answer in well under a second, PDFs in a few


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def live_server(app):
    """Serve the app on 127.0.0.1 on a free port in a thread; yields the base address."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="compact-live-server",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# Reported by the page itself, so that a violation is caught even if Chromium words its console
# message differently (the message is also an error on the console, which is watched too).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + (e.sourceFile || document.location.href) + ":" + e.lineNumber);
});
"""


class BrowserWatch:
    """Console errors, uncaught page errors, CSP violations and failed or refused requests of
    every page of the contexts it watches."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.problems: list[str] = []
        self.favicon_missing = False

    def watch(self, context) -> None:
        context.add_init_script(_CSP_LISTENER)
        context.on("page", self._page)
        for page in context.pages:
            self._page(page)

    def _page(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(
            f"{page.url}: uncaught error: {error}"))
        page.on("requestfailed", lambda request: self._failed(request))
        page.on("response", lambda response: self._response(response))

    def _console(self, page, message) -> None:
        if (message.location or {}).get("url") == f"{self.base_url}/favicon.ico":
            self.favicon_missing = True  # the browser's own request, not a page's: noted only
            return
        if message.type in ("error", "assert") or "Content Security Policy" in message.text:
            self.problems.append(f"{page.url}: console {message.type}: {message.text}")

    def _failed(self, request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" in failure and request.resource_type == "document":
            return  # a navigation replaced by a download (the PDF) is reported as aborted
        if "ERR_ABORTED" in failure and request.url.startswith(f"{self.base_url}/static/favicon"):
            return  # the tab's icon, still loading when the next page was asked for
        self.problems.append(f"request failed: {request.method} {request.url}: {failure}")

    def _response(self, response) -> None:
        if response.url == f"{self.base_url}/favicon.ico":
            return  # asked for by the browser itself; the pages link no icon
        if response.status >= 400 and response.url.startswith(self.base_url):
            self.problems.append(f"HTTP {response.status}: {response.request.method} "
                                 f"{response.url}")


def screenshot_folder(default: Path) -> Path:
    folder = Path(os.environ.get("COMPACT_SCREENSHOTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Screens:
    """Full-page screenshots, numbered in the order of the story, at both widths."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.taken: list[Path] = []

    def shoot(self, page, name: str) -> None:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            # From the top, so that sticky bars are drawn where they belong on the full page.
            page.evaluate("() => new Promise(r => { window.scrollTo({top: 0, behavior: 'instant'});"
                          " requestAnimationFrame(() => requestAnimationFrame(() => r())); })")
            path = self.folder / f"{self.count:02d}-{slug}-{label}.png"
            page.screenshot(path=str(path), full_page=True, animations="disabled")
            self.taken.append(path)
        page.set_viewport_size(DESKTOP)
