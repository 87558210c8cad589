"""The offline search box in real headless Chromium (file:// pages, no server): type a query into notes.html and
the course index.html, click a result, and the lecture video's currentTime moves to that moment."""
from __future__ import annotations

import time

import pytest

from lecture_notes.course.course_index import write_course_index
from lecture_notes.stages.render import render_outputs
from notes_factory import make_notes
from test_html_browser import _make_video, _wait, driver  # noqa: F401 - the Chromium fixture

pytestmark = pytest.mark.slow

SECONDS = 480  # the factory lecture's speech runs to about 420 s


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("search-site")
    _make_video(root / "lecture.webm", SECONDS)
    course = root / "course"
    for n, title in ((1, "Information theory"), (2, "Coding theory")):
        render_outputs(make_notes(title=title), course / f"lecture-{n}", media_href="../../lecture.webm")
    write_course_index(course, {"course_title": "Signals", "lectures": [
        {"slug": "lecture-1", "status": "built"}, {"slug": "lecture-2", "status": "built"}]})
    return course


def _type(drv, text: str) -> None:
    box = drv.find_element("id", "search-box")
    box.clear()
    box.send_keys(text)


def _first_hit(drv):
    assert _wait(drv, "return document.querySelectorAll('#search-results a.search-hit').length > 0"), \
        "no search result appeared"
    return drv.find_elements("css selector", "#search-results a.search-hit")[0]


def _media_ready(drv) -> bool:
    return bool(_wait(drv, "var v = document.getElementById('lecture-media'); return v && v.readyState >= 1"))


def test_notes_page_search_seeks_the_video(driver, site):  # noqa: F811
    driver.get((site / "lecture-1" / "notes.html").as_uri())
    assert _wait(driver, "return document.readyState === 'complete'") and _media_ready(driver)
    _type(driver, "huffman prefix code")
    hit = _first_hit(driver)
    assert "Huffman" in hit.text or "prefix" in hit.text
    t = float(hit.get_attribute("data-t"))
    assert t > 100
    hit.click()
    assert _wait(driver, f"return Math.abs(document.getElementById('lecture-media').currentTime - {t}) < 2"), \
        driver.execute_script("return document.getElementById('lecture-media').currentTime")
    assert driver.execute_script("return window.__errors") == []
    _type(driver, "zzzqqq")
    assert _wait(driver, "var n = document.querySelector('#search-results .search-none'); return !!n")


def test_course_index_search_opens_the_lecture_at_the_moment(driver, site):  # noqa: F811
    driver.get((site / "index.html").as_uri())
    assert _wait(driver, "return document.readyState === 'complete'")
    _type(driver, "entropy of a biased coin")
    hit = _first_hit(driver)
    href = hit.get_attribute("href")
    assert "/notes.html#t=" in href
    t = float(href.rsplit("#t=", 1)[1])
    hit.click()
    assert _wait(driver, "return location.pathname.endsWith('/notes.html')")
    assert _media_ready(driver)
    deadline = time.time() + 10
    while time.time() < deadline:
        now = driver.execute_script("return document.getElementById('lecture-media').currentTime")
        if abs(now - t) < 1.5:
            break
        time.sleep(0.1)
    assert abs(now - t) < 1.5, (now, t)
    assert driver.execute_script("return window.__errors") == []
