"""`lecture-notes search` / `ask` the way a user meets them: build a lecture (silent slide video + transcript
sidecar, no ASR), then search and ask it through the CLI; a two-lecture course merged the way batch does it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lecture_notes.cli.build import main

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # builds lectures and loads the bundled MiniLM


def _make_lecture(folder: Path, sections, title: str) -> tuple:
    sys.path.insert(0, str(ROOT / "samples"))
    import make_sample

    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"{title.lower()}.mp4"
    truth = make_sample.make_lecture_video(video, sections, audio=False, title=title)
    segs = [{"start": s["start"], "end": s["end"], "text": s["text"]} for s in truth["sentences"]]
    (folder / f"{title.lower()}.json").write_text(json.dumps(segs))
    return video, folder / f"{title.lower()}.json", segs


def _invoke(args, env=None):
    return CliRunner().invoke(main, args, env=env or {}, catch_exceptions=False)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Two lectures built with `lecture-notes build` into one course folder, merged by the batch merge step."""
    sys.path.insert(0, str(ROOT / "samples"))
    import make_sample

    work = tmp_path_factory.mktemp("search")
    env = {"LECTURE_NOTES_CACHE": str(work / "cache")}
    sections = make_sample.load_script().sections
    out = work / "course_notes"
    lectures = []
    for n, (title, secs) in enumerate((("Immunity", sections[:2]), ("Vaccines", sections[2:4])), 1):
        video, transcript, segs = _make_lecture(work / "media", [make_sample.SectionSpec(s.title, s.bullets,
                                                                                        s.sentences[:5])
                                                                 for s in secs], title)
        folder = out / f"lecture-{n}"
        result = _invoke(["build", str(video), "--transcript", str(transcript), "-o", str(folder), "-q"], env)
        assert result.exit_code == 0, result.output
        lectures.append({"slug": folder.name, "status": "built", "rel": video.name, "segs": segs})
    from lecture_notes.course.course_index import finish_course

    finish_course(out, {"course_title": "Immunology", "lectures": [
        {k: v for k, v in e.items() if k != "segs"} for e in lectures]})
    return {"out": out, "lectures": lectures, "env": env, "work": work}


def test_build_writes_the_index_beside_notes(course):
    folder = course["out"] / "lecture-1"
    for name in ("index.json", "sentences.npy", "units.npy"):
        assert (folder / "search" / name).is_file(), name
    meta = json.loads((folder / "search" / "index.json").read_text())
    kinds = {u["kind"] for u in meta["units"]}
    assert {"window", "chapter"} <= kinds
    windows = [u for u in meta["units"] if u["kind"] == "window"]
    assert all(u["end"] - u["start"] <= 90 for u in windows)
    vecs = np.load(folder / "search" / "units.npy")
    assert vecs.shape == (len(meta["units"]), 384)
    manifest = json.loads((folder / ".lecture-notes.json").read_text())
    assert "search/index.json" in manifest["files"]
    course_manifest = json.loads((course["out"] / "search" / "course.json").read_text())
    assert [e["slug"] for e in course_manifest["lectures"]] == ["lecture-1", "lecture-2"]


def test_search_one_lecture_json_contract(course):
    folder = course["out"] / "lecture-1"
    result = _invoke(["search", str(folder), "what is innate immunity", "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert set(obj) == {"query", "results"} and obj["query"] == "what is innate immunity"
    assert 1 <= len(obj["results"]) <= 3
    for r in obj["results"]:
        assert set(r) == {"lecture", "start", "end", "score", "text"}
        assert r["lecture"] == "lecture-1" and 0 <= r["start"] <= r["end"] and 0 <= r["score"] <= 1
    top = obj["results"][0]
    assert "innate" in top["text"].lower()
    spoken = [s for s in course["lectures"][0]["segs"] if "innate immunity is" in s["text"].lower()][0]
    assert top["start"] - 15 <= spoken["start"] <= top["end"] + 15


def test_search_human_output_has_deep_links(course):
    result = _invoke(["search", str(course["out"] / "lecture-1"), "innate immunity"])
    assert result.exit_code == 0, result.output
    assert "1. [" in result.output and ".mp4#t=" in result.output


def test_course_search_finds_the_right_lecture(course):
    result = _invoke(["search", str(course["out"]), "what do memory B cells do", "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["results"][0]["lecture"] == "lecture-2"
    result = _invoke(["search", str(course["out"]), "innate immunity fever inflammation", "--json"])
    assert json.loads(result.output)["results"][0]["lecture"] == "lecture-1"


def test_ask_extractive_with_citations(course):
    result = _invoke(["ask", str(course["out"]), "What is a vaccine?", "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert set(obj) == {"question", "answer", "abstained", "confidence", "citations"}
    assert obj["abstained"] is False and 0.5 <= obj["confidence"] <= 1
    assert "vaccine" in obj["answer"].lower()
    spoken = " ".join(s["text"] for e in course["lectures"] for s in e["segs"])
    assert obj["citations"]
    for c in obj["citations"]:
        assert set(c) == {"lecture", "start", "end", "text"} and c["start"] <= c["end"]
        assert c["text"] in spoken or all(part in spoken for part in c["text"].split(". ")[:1])
    human = _invoke(["ask", str(course["out"]), "What is a vaccine?"])
    assert "Sources" in human.output and "#t=" in human.output


def test_ask_off_topic_is_declined(course):
    result = _invoke(["ask", str(course["out"] / "lecture-1"), "How do I reset the password on my wireless router?",
                      "--json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["abstained"] is True and obj["answer"] == "" and obj["citations"] == []
    human = _invoke(["ask", str(course["out"] / "lecture-1"), "Who won the football world cup in 1998?"])
    assert human.exit_code == 0 and "Not covered in this lecture" in human.output and "#t=" in human.output


def test_queries_file_answers_all_in_order(course, tmp_path):
    qfile = tmp_path / "q.txt"
    qfile.write_text("what is innate immunity\n\nwhat does a vaccine contain\nmemory cells\n")
    result = _invoke(["search", str(course["out"]), "--queries", str(qfile), "-k", "2"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in result.output.splitlines()]
    assert [x["query"] for x in lines] == ["what is innate immunity", "what does a vaccine contain", "memory cells"]
    assert all(len(x["results"]) <= 2 for x in lines)
    result = _invoke(["ask", str(course["out"]), "--queries", str(qfile)])
    assert result.exit_code == 0, result.output
    answers = [json.loads(x) for x in result.output.splitlines()]
    assert [x["question"] for x in answers] == [x["query"] for x in lines]


def _one_line_error(result, *needles):
    assert result.exit_code != 0
    out = result.output.strip()
    assert out.startswith("Error:") and "Traceback" not in out and len(out.splitlines()) == 1, out
    for n in needles:
        assert n in out, out


def test_bad_input(course, tmp_path):
    folder = str(course["out"] / "lecture-1")
    _one_line_error(_invoke(["search", str(tmp_path), "x"]), "no lecture notes")
    _one_line_error(_invoke(["search", str(tmp_path / "missing"), "x"]), "not a folder")
    _one_line_error(_invoke(["search", folder, "   "]), "empty")
    _one_line_error(_invoke(["ask", folder]), "empty")
    _one_line_error(_invoke(["search", folder, "--queries", str(tmp_path / "nope.txt")]), "does not exist")
    (tmp_path / "empty.txt").write_text("\n  \n")
    _one_line_error(_invoke(["ask", folder, "--queries", str(tmp_path / "empty.txt")]), "is empty")


def test_old_folder_gets_an_index_on_first_use(course, tmp_path):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(course["out"] / "lecture-2", old)
    shutil.rmtree(old / "search")
    result = _invoke(["search", str(old), "memory cells", "--json"])
    assert result.exit_code == 0, result.output
    assert (old / "search" / "index.json").is_file() and json.loads(result.output)["results"]


def test_corrupt_lecture_index_is_skipped_in_a_course(course, tmp_path, caplog):
    import shutil

    out = tmp_path / "course"
    shutil.copytree(course["out"], out)
    (out / "lecture-1" / "search" / "units.npy").write_bytes(b"not numpy")
    # notes.json is unchanged, so the broken index counts as current and must be caught when it is loaded.
    result = CliRunner().invoke(main, ["search", str(out), "what do memory B cells do", "--json"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("{")]
    obj = json.loads(lines[-1])
    assert obj["results"] and {r["lecture"] for r in obj["results"]} == {"lecture-2"}
    assert any("skipping lecture-1" in r.getMessage() and "unreadable" in r.getMessage() for r in caplog.records)


def test_course_index_html_has_search_data(course):
    html = (course["out"] / "index.html").read_text()
    assert 'id="search-box"' in html and 'id="search-data"' in html
    import lxml.html

    data = json.loads(lxml.html.fromstring(html.encode()).get_element_by_id("search-data").get("data-search"))
    assert [x["href"] for x in data["lectures"]] == ["lecture-1/notes.html", "lecture-2/notes.html"]
    assert {w[0] for w in data["w"]} == {0, 1}
    notes_html = (course["out"] / "lecture-1" / "notes.html").read_text()
    assert 'id="search-box"' in notes_html


def _tiny_cross_encoder(folder: Path) -> Path:
    """A random-weight BERT sequence classifier with one label: plumbing only, never quality."""
    from transformers import BertConfig, BertForSequenceClassification

    from tiny_models import train_tokenizer

    corpus = [s["text"] for s in json.loads((ROOT / "samples" / "lecture.truth.json").read_text())["sentences"]]
    import torch

    tok = train_tokenizer(folder, corpus)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512, num_labels=1, pad_token_id=tok.pad_token_id)
    BertForSequenceClassification(cfg).save_pretrained(folder)
    return folder


def test_search_with_a_reranker(course, tmp_path):
    model = _tiny_cross_encoder(tmp_path / "ce")
    result = _invoke(["search", str(course["out"]), "what do memory B cells do", "-k", "4", "--json",
                      "--reranker", f"transformers:{model}"])
    assert result.exit_code == 0, result.output
    scores = [r["score"] for r in json.loads(result.output)["results"]]
    assert len(scores) == 4 and all(0 <= s <= 1 for s in scores) and scores == sorted(scores, reverse=True)
    _one_line_error(_invoke(["search", str(course["out"]), "x", "--reranker", f"transformers:{tmp_path / 'no'}"]),
                    "does not exist")


def test_ask_with_an_llm_keeps_only_supported_claims(course, monkeypatch):
    import re

    from test_openai_server import Server

    def reply(messages):
        user = messages[-1]["content"]
        first = re.search(r"\[1\] (.+)", user).group(1)
        claim = re.split(r"(?<=[.!?])\s+", first)[0]
        return json.dumps({"answer": "x", "claims": [{"text": claim, "passages": [1]},
                                                     {"text": "The moon is made of green cheese.", "passages": [1]}]})

    server = Server()
    server.generate = reply
    server.script = [("model", None)] * 10
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        result = _invoke(["ask", str(course["out"]), "What is a vaccine?", "--json", "--llm",
                          f"openai:{server.url}", "--llm-model", "tiny"])
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    obj = json.loads(result.output)
    assert obj["abstained"] is False and obj["answer"] and "cheese" not in obj["answer"]
    spoken = " ".join(s["text"] for e in course["lectures"] for s in e["segs"])
    assert obj["answer"] in spoken and obj["citations"]
    assert "Passages:" in server.bodies[0]["messages"][-1]["content"]
