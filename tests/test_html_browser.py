"""notes.html in real headless Chromium: no JS errors, injected text inert, Q&A reveal, timestamp seeking,
slide lightbox, no request leaving file://. Saves /tmp/notes.png (and a dark-mode /tmp/notes-dark.png)."""
from __future__ import annotations

import json
import shutil
import time
from fractions import Fraction
from pathlib import Path

import pytest

from lecture_notes.stages.render import render_outputs

pytestmark = pytest.mark.slow

CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = Path("/tmp/notes.png")
VIDEO_SECONDS = 30

_COLLECT = """
window.__errors = [];
window.__csp = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message || e.type)); }, true);
window.addEventListener('unhandledrejection', function (e) { window.__errors.push('rejection: ' + e.reason); });
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });
"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Chromium is not installed: run `apt-get install -y chromium chromium-driver` "
                "(the browser test needs /usr/bin/chromium and /usr/bin/chromedriver)")


def _make_video(path: Path, seconds: int = VIDEO_SECONDS) -> None:
    """A tiny VP8 WebM (Chromium always decodes it): 2 fps, 160x90, a moving bar so frames differ."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libvpx", rate=2)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        stream.time_base = Fraction(1, 2)
        for i in range(seconds * 2):
            img = np.full((90, 160, 3), 40, np.uint8)
            img[:, (i * 3) % 160:(i * 3) % 160 + 8] = (240, 200, 60)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)


@pytest.fixture(scope="module")
def site(notes_factory, tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    notes = notes_factory.make_notes(inject=True)
    notes_factory.write_slide_images(root / "work", notes)
    out = root / "lecture_notes"
    _make_video(root / "lecture.webm")
    render_outputs(notes, out, media_href="../lecture.webm", image_root=root / "work")
    return out / "notes.html"


@pytest.fixture(scope="module")
def clean_site(notes_factory, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    notes = notes_factory.make_notes()
    notes_factory.write_slide_images(root / "work", notes)
    _make_video(root / "lecture.webm")
    render_outputs(notes, root / "out", media_href="../lecture.webm", image_root=root / "work")
    return root / "out" / "notes.html"


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    binary = _chromium()
    if not Path(CHROMEDRIVER).is_file():
        pytest.fail(f"{CHROMEDRIVER} is missing: run `apt-get install -y chromium-driver`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                 "--mute-audio", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _COLLECT})
        yield drv
    finally:
        drv.quit()


def _wait(drv, script: str, timeout: float = 10.0):
    end = time.time() + timeout
    while True:
        value = drv.execute_script(script)
        if value or time.time() > end:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module")
def page(driver, site):
    driver.get(site.as_uri())
    assert _wait(driver, "return document.readyState === 'complete'")
    assert _wait(driver, "var v = document.getElementById('lecture-media'); return v && v.readyState >= 1"), \
        "the lecture video never loaded its metadata"
    return driver


def test_page_loads_without_errors_and_injection_is_inert(page):
    assert page.title.startswith("Lecture 3: Information Theory <script>")  # shown as text, not run
    assert page.execute_script("return window.__errors") == []
    assert page.execute_script("return window.__csp") == []
    assert page.execute_script("return typeof window.pwned") == "undefined"
    severe = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    # Our one script is the only one, and no element has an inline event handler.
    assert page.execute_script("return document.scripts.length") == 1
    n_on = page.execute_script(
        "return Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes)"
        ".some(a => a.name.startsWith('on'))).length")
    assert n_on == 0
    assert page.execute_script("return document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    assert page.execute_script("return document.documentElement.lang") == "en"


def test_qa_summary_reveals_answer(page):
    from selenium.webdriver.common.by import By

    qa = page.find_elements(By.CSS_SELECTOR, "details.qa")[1]
    answer = qa.find_element(By.CSS_SELECTOR, ".answer")
    assert qa.get_attribute("open") is None and not answer.is_displayed()
    summary = qa.find_element(By.TAG_NAME, "summary")
    page.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", summary)
    summary.click()
    assert qa.get_attribute("open") is not None
    assert answer.is_displayed()
    assert "reduce your uncertainty" in answer.text


def test_timestamp_click_seeks_video(page):
    from selenium.webdriver.common.by import By

    link = page.find_element(By.CSS_SELECTOR, "a.ts[data-t='17.00']")
    page.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", link)
    link.click()
    t = _wait(page, "var v = document.getElementById('lecture-media');"
                    "return (!v.seeking && v.currentTime >= 17) ? v.currentTime : 0")
    assert 17.0 <= t < 20.0
    assert page.current_url.endswith("notes.html")  # the click did not navigate to the video file
    page.execute_script("document.getElementById('lecture-media').pause()")


def test_captions_track_built_from_transcript(page):
    n_cues, first, mode = page.execute_script(
        "var t = document.getElementById('lecture-media').textTracks[0];"
        "return [t.cues.length, t.cues[0].text, t.mode]")
    assert n_cues == page.execute_script("return document.querySelectorAll('.seg').length") == 15
    assert first.startswith("Welcome back everyone") and mode == "hidden"


def test_slide_thumbnail_opens_lightbox(page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    link = page.find_elements(By.CSS_SELECTOR, "a.slide-link")[1]
    page.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", link)
    assert page.execute_script("return arguments[0].querySelector('img').naturalWidth", link) == 640
    link.click()
    assert page.execute_script("return document.getElementById('lightbox').open")
    src = page.execute_script("return document.querySelector('#lightbox img').src")
    assert src.endswith("slides/slide-002.jpg")
    page.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    assert _wait(page, "return !document.getElementById('lightbox').open", 3)


def test_no_request_leaves_file_urls(page):
    names = page.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert all(n.startswith("file://") for n in names), names
    urls = []
    for entry in page.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            if msg["params"].get("documentURL", "").startswith("file://"):  # skip Chromium's new-tab page
                urls.append(msg["params"]["request"]["url"])
    assert any(u.endswith("slides/slide-001.jpg") for u in urls), urls  # the log does see our own files
    assert all(u.startswith(("file://", "data:")) for u in urls), urls


def test_screenshot_and_dark_mode(driver, clean_site):
    page = driver
    page.get(clean_site.as_uri())
    assert _wait(page, "return document.readyState === 'complete' && document.images[0].complete")
    assert page.execute_script("return window.__errors") == []
    light_bg = page.execute_script("return getComputedStyle(document.body).backgroundColor")
    page.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
    page.execute_cdp_cmd("Emulation.setEmulatedMedia",
                         {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    try:
        dark_bg = page.execute_script("return getComputedStyle(document.body).backgroundColor")
        page.save_screenshot("/tmp/notes-dark.png")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    assert light_bg != dark_bg
    # Print: the sidebar (player, contents) disappears and the notes use the full width.
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = page.execute_script("return getComputedStyle(document.querySelector('.sidebar')).display")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert shown == "none"
