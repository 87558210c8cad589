import json

import pytest

from lecture_notes.core.errors import OutputError
from lecture_notes.runtime.output import MANIFEST, StagingDir, check_target, clean_stale


def test_new_and_empty_targets_are_fine(tmp_path):
    check_target(tmp_path / "new", force=False)
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty", force=False)


def _ours(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        (folder / f).parent.mkdir(parents=True, exist_ok=True)
        (folder / f).write_text("old " + f)
    (folder / MANIFEST).write_text(json.dumps({"tool": "lecture-notes", "files": list(files)}))
    return folder


def test_existing_notes_need_force(tmp_path):
    out = _ours(tmp_path / "out", ["notes.json"])
    with pytest.raises(OutputError, match="--force"):
        check_target(out, force=False)
    check_target(out, force=True)


def test_foreign_folder_is_never_replaced(tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    for force in (False, True):
        with pytest.raises(OutputError, match="other files"):
            check_target(out, force=force)


def test_file_target_rejected(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(OutputError):
        check_target(f, force=True)


def test_commit_into_new_folder_is_one_rename(tmp_path):
    st = StagingDir(tmp_path / "out")
    (st.path / "notes.json").write_text("new")
    st.commit({"version": 1, "files": ["notes.json"]})
    assert (tmp_path / "out" / "notes.json").read_text() == "new"
    assert json.loads((tmp_path / "out" / MANIFEST).read_text()) == {"version": 1, "tool": "lecture-notes",
                                                                    "files": ["notes.json"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_commit_replaces_only_our_files(tmp_path):
    """--force replaces and removes the files the old manifest lists; the user's files stay."""
    out = _ours(tmp_path / "out", ["notes.json", "stale.txt", "slides/slide-001.jpg", "slides/slide-002.jpg"])
    (out / "my-annotations.md").write_text("mine")
    (out / "slides" / "mine.png").write_text("mine too")
    st = StagingDir(out)
    (st.path / "slides").mkdir()
    (st.path / "notes.json").write_text("new")
    (st.path / "slides" / "slide-001.jpg").write_text("new slide")
    st.commit({"version": 2, "files": ["notes.json", "slides/slide-001.jpg"]})
    assert (out / "notes.json").read_text() == "new"
    assert (out / "slides" / "slide-001.jpg").read_text() == "new slide"
    assert not (out / "stale.txt").exists() and not (out / "slides" / "slide-002.jpg").exists()
    assert (out / "my-annotations.md").read_text() == "mine"
    assert (out / "slides" / "mine.png").read_text() == "mine too"
    assert json.loads((out / MANIFEST).read_text())["files"] == ["notes.json", "slides/slide-001.jpg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_emptied_slide_folder_is_removed_but_a_used_one_kept(tmp_path):
    out = _ours(tmp_path / "out", ["notes.json", "slides/slide-001.jpg"])
    st = StagingDir(out)
    (st.path / "notes.json").write_text("new")
    st.commit({"files": ["notes.json"]})
    assert not (out / "slides").exists()


def test_folder_with_a_users_notes_json_is_not_ours(tmp_path):
    """A notes.json alone proves nothing: the folder and its report.txt are the user's."""
    out = tmp_path / "own"
    out.mkdir()
    (out / "notes.json").write_text("{}")
    (out / "report.txt").write_text("precious")
    with pytest.raises(OutputError, match="other files"):
        check_target(out, force=True)
    st = StagingDir(out)
    (st.path / "notes.json").write_text("new")
    with pytest.raises(OutputError, match="other files"):
        st.commit({"files": ["notes.json"]})
    st.discard()
    assert (out / "report.txt").read_text() == "precious" and (out / "notes.json").read_text() == "{}"


def test_new_file_over_a_file_we_did_not_write_changes_nothing(tmp_path):
    out = _ours(tmp_path / "out", ["notes.json"])
    (out / "notes.md").write_text("the user's own notes.md")
    st = StagingDir(out)
    (st.path / "notes.json").write_text("new")
    (st.path / "notes.md").write_text("new md")
    with pytest.raises(OutputError, match="not written by lecture-notes"):
        st.commit({"files": ["notes.json", "notes.md"]})
    st.discard()
    assert (out / "notes.md").read_text() == "the user's own notes.md"
    assert (out / "notes.json").read_text() == "old notes.json"


def test_hostile_manifest_cannot_reach_outside_or_the_input(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    out = _ours(tmp_path / "out", ["notes.json"])
    (out / "lecture.mp4").write_text("the recording")
    (out / MANIFEST).write_text(json.dumps({"tool": "lecture-notes",
                                            "files": ["notes.json", "../victim.txt", str(victim), "lecture.mp4"]}))
    st = StagingDir(out)
    (st.path / "notes.json").write_text("new")
    st.commit({"files": ["notes.json"]}, protect=[out / "lecture.mp4"])
    assert victim.read_text() == "keep"
    assert (out / "lecture.mp4").read_text() == "the recording"


def test_input_inside_the_notes_folder_is_never_replaced(tmp_path):
    out = _ours(tmp_path / "out", ["notes.json", "lecture.mp4"])  # a manifest that claims the input
    st = StagingDir(out)
    (st.path / "lecture.mp4").write_text("overwritten")
    with pytest.raises(OutputError, match="input"):
        st.commit({"files": ["lecture.mp4"]}, protect=[out / "lecture.mp4"])
    assert (out / "lecture.mp4").read_text() == "old lecture.mp4"


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_output_folder_follows_the_umask(tmp_path, mask):
    """mkdtemp makes 0700 folders; notes must be readable by whoever the user's umask allows."""
    import os
    import stat

    old = os.umask(mask)
    try:
        st = StagingDir(tmp_path / "out")
        (st.path / "notes.json").write_text("x")
        st.commit({"files": ["notes.json"]})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "out" / "notes.json").stat().st_mode) == 0o666 & ~mask


def test_publish_guard_vetoes_commit(tmp_path):
    from lecture_notes.runtime import output

    def guard():
        raise OutputError("the batch that started this build has stopped; not publishing")

    output.set_publish_guard(guard)
    try:
        st = StagingDir(tmp_path / "out")
        (st.path / "notes.json").write_text("x")
        with pytest.raises(OutputError, match="not publishing"):
            st.commit({"files": ["notes.json"]})
        st.discard()
    finally:
        output.set_publish_guard(None)
    assert list(tmp_path.iterdir()) == []


def test_discard_and_stale_cleanup(tmp_path):
    st = StagingDir(tmp_path / "out")
    (st.path / "half.md").write_text("half")
    st.discard()
    assert list(tmp_path.iterdir()) == []
    StagingDir(tmp_path / "out")  # left behind by a "killed" run
    clean_stale(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_parent_is_a_clear_error(tmp_path):
    import os
    if os.geteuid() == 0:
        # root ignores permissions; use a path below a file instead
        blocker = tmp_path / "file"
        blocker.write_text("x")
        with pytest.raises(OutputError, match="cannot write"):
            StagingDir(blocker / "out")
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(OutputError, match="cannot write"):
        StagingDir(ro / "out")
