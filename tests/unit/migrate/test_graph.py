"""The static revision graph: ids, branches, merges, dependencies and labels read from the files alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollwise.migrate.adapters.alembic import read_graph
from rollwise.migrate.model.graph import GraphError, read_node


def _write(root: Path, name: str, rev: str, down, extra: str = "") -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.py").write_text(
        f"import app_that_is_not_installed\nfrom alembic import op\n\nrevision = {rev!r}\ndown_revision = {down!r}\n"
        f"{extra}\n\ndef upgrade():\n    op.drop_column('t', 'c')\n\n\ndef downgrade():\n    pass\n")


@pytest.fixture
def branched(tmp_path):
    versions = tmp_path / "versions"
    _write(versions, "a", "aaa1", None)
    _write(versions, "b", "bbb1", "aaa1", "branch_labels = ('feature',)")
    _write(versions, "c", "ccc1", "aaa1")
    _write(versions, "d", "ddd1", ("bbb1", "ccc1"))
    _write(versions / "sub", "e", "eee1", "ddd1", "depends_on = 'ccc1'")
    (versions / "_helpers.py").write_text("revision = 'not-a-revision'\n")
    return read_graph([versions])


def test_heads_merges_and_order(branched):
    assert branched.heads() == ("eee1",)
    order = [n.id for n in branched.between(None, "eee1")]
    assert order[0] == "aaa1" and order[-2:] == ["ddd1", "eee1"] and set(order[1:3]) == {"bbb1", "ccc1"}
    assert [n.id for n in branched.between("bbb1", branched.resolve("head"))] == ["ccc1", "ddd1", "eee1"]


def test_names_resolve_like_alembic(branched):
    assert branched.resolve("ee") == "eee1"
    assert branched.resolve("feature") == "bbb1"
    assert branched.resolve("base") is None
    with pytest.raises(GraphError, match="no revision 'zzz'"):
        branched.resolve("zzz")


def test_range_that_goes_down_is_refused(branched):
    with pytest.raises(GraphError, match="not below"):
        branched.between("eee1", "bbb1")


def test_missing_parent_names_the_file(tmp_path):
    _write(tmp_path, "x", "xxx1", "gone")
    with pytest.raises(GraphError) as info:
        read_graph([tmp_path])
    assert info.value.file.endswith("x.py") and info.value.line == 4 and "gone" in info.value.message


def test_syntax_error_file_still_has_its_node():
    node = read_node('revision = "abc"\ndown_revision = ("p1", "p2")\n\ndef upgrade(:\n', "bad.py")
    assert node is not None and node.id == "abc" and node.down == ("p1", "p2") and node.line == 1


def test_two_heads_are_named(tmp_path):
    _write(tmp_path, "a", "a1", None)
    _write(tmp_path, "b", "b1", "a1")
    _write(tmp_path, "c", "c1", "a1")
    with pytest.raises(GraphError, match=r"2 heads \(b1, c1\)"):
        read_graph([tmp_path]).resolve("head")
