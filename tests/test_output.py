import json

import pytest

from lecture_notes.core.errors import OutputError
from lecture_notes.runtime.output import MANIFEST, StagingDir, check_target, clean_stale


def test_new_and_empty_targets_are_fine(tmp_path):
    check_target(tmp_path / "new", force=False)
    (tmp_path / "empty").mkdir()
    check_target(tmp_path / "empty", force=False)


def test_existing_notes_need_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.json").write_text("{}")
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


def test_commit_swaps_in_complete_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.json").write_text("old")
    (out / "stale.txt").write_text("old")
    st = StagingDir(out)
    (st.path / "notes.json").write_text("new")
    st.commit({"version": 1})
    assert (out / "notes.json").read_text() == "new"
    assert not (out / "stale.txt").exists()
    assert json.loads((out / MANIFEST).read_text()) == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


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
