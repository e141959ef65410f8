"""Finding flag references: the Python finder on snippets, patterns for other languages, and the walk of the
multi-language sample repository (git and .gitignore without git)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rollwise.errors import ConfigError
from rollwise.flags.adapters.codewalk import GitTree, WorkingTree, scan
from rollwise.flags.config import load_refs_config
from rollwise.flags.model.coderefs import (
    DEFAULT_PATTERNS,
    Pattern,
    PythonRules,
    find_pattern_refs,
    glob_matches,
    resolve_python,
    scan_python,
)
from support.gitrepo import commit_all

SAMPLE = Path(__file__).parent / "sample_repo"

#: (key or "dynamic:<glob>", file, line, call) the sample repository holds
EXPECTED = [
    ("old-banner", "services/banner.go", 10, "BooleanValue (openfeature-go)"),
    ("new-checkout", "shop/checkout.py", 11, "client.is_enabled"),
    ("dark-mode", "shop/checkout.py", 13, "client.value"),
    ("old-banner", "shop/checkout.py", 14, "is_on (= client.is_enabled)"),
    ("dynamic:checkout-*", "shop/checkout.py", 16, "client.evaluate"),
    ("new-checkout", "shop/checkout.py", 18, "client.is_enabled"),
    ("dynamic:*", "shop/checkout.py", 22, "client.is_enabled"),
    ("search-v2", "shop/search.py", 10, "features.get_boolean_value"),
    ("dark-mode", "shop/search.py", 11, "features.get_string_details"),
    ("dark-mode", "templates/base.html", 2, "is_enabled (templates)"),
    ("new-checkout", "web/src/checkout.ts", 6, "getBooleanValue (openfeature-js)"),
    ("dark-mode", "web/src/checkout.ts", 7, "getStringValue (openfeature-js)"),
    ("new-chekout", "web/src/checkout.ts", 8, "getBooleanValue (openfeature-js)"),
]


def rows(result):
    return [(r.key or f"dynamic:{r.glob}", r.file, r.line, r.call) for r in result.references]


def python_refs(source: str, rules: PythonRules = PythonRules(), modules: dict[str, dict[str, str]] | None = None,
                uses_flags: bool = True):
    """References in ``source`` (a module that imports rollwise.flags unless ``uses_flags`` is False)."""
    if uses_flags:
        source = "import rollwise.flags\n" + source
    module = scan_python(source, "app/main.py", rules)
    return resolve_python(module, lambda mod, name: (modules or {}).get(mod, {}).get(name))


@pytest.mark.parametrize("source, expected", [
    ('client.is_enabled("a")', [("a", "literal")]),
    ('flags.evaluate(key="a", context={})', [("a", "literal")]),
    ('api.get_client().get_integer_details("a", 0)', [("a", "literal")]),
    ('await of.get_object_value_async("a", {})', [("a", "literal")]),
    ('A = "a"\nclient.value(A)', [("a", "constant")]),
    ('class K:\n    A = "a"\nclient.is_enabled(K.A)', [("a", "constant")]),
    ('P = "check"\nclient.is_enabled(f"{P}-out")', [("check-out", "f-string")]),
    ('P = "check"\nclient.is_enabled(P + "-out")', [("check-out", "constant")]),
    ('def f():\n    k = "a"\n    return client.is_enabled(k)', [("a", "constant")]),
    ('on = flag_client.is_enabled\non("a")', [("a", "literal")]),
    ('c = FlagClient.connect("x")\nc.value("a")', [("a", "literal")]),
], ids=["literal", "keyword", "openfeature-chained", "async", "constant", "class-constant", "f-string", "concat",
        "local", "alias", "connected-name"])
def test_python_keys_resolve(source, expected):
    assert [(r.key, r.how) for r in python_refs(source)] == expected


@pytest.mark.parametrize("source, glob, detail", [
    ('client.is_enabled(f"checkout-{region}")', "checkout-*", "part of the key is computed at run time: region"),
    ('def on(name):\n    return client.is_enabled(name)', "*", "the key is the parameter 'name' of the enclosing"),
    ('client.is_enabled(keys[0])', "*", "computed at run time (Subscript)"),
    ('from app.names import GONE\nclient.is_enabled(GONE)', "*", "imported from app.names and is not a string"),
], ids=["f-string", "parameter", "subscript", "missing-import"])
def test_python_dynamic_keys_are_reported_with_what_is_known(source, glob, detail):
    [ref] = python_refs(source)
    assert ref.key is None and ref.glob == glob and detail in ref.detail


def test_imported_constants_and_enum_members_resolve_through_the_lookup():
    source = ("from app.names import NEW, Flag\nimport app.names as names\n"
              "client.is_enabled(NEW)\nclient.is_enabled(Flag.SEARCH.value)\nclient.is_enabled(names.NEW)\n")
    modules = {"app.names": {"NEW": "new-checkout", "Flag.SEARCH": "search-v2"}}
    assert [r.key for r in python_refs(source, modules=modules)] == ["new-checkout", "search-v2", "new-checkout"]


def test_generic_method_names_count_only_on_a_flag_client():
    source = 'cache.value("a")\nrow.evaluate("b")\nfeatures.value("c")\napi_client.value("d")\n'
    assert [r.key for r in python_refs(source, uses_flags=False)] == ["c"]
    # "client" counts where the module uses a flag library
    assert [r.key for r in python_refs("from openfeature import api\n" + source, uses_flags=False)] == ["c", "d"]


def test_wrapper_functions_from_the_configuration_count_at_their_callers():
    source = 'def feature_on(key):\n    return client.is_enabled(key)\n\nfeature_on("a")\nthing.feature_on("b")\n'
    assert [r.key for r in python_refs(source)] == [None]
    assert [r.key for r in python_refs(source, PythonRules(functions=frozenset({"feature_on"})))] == ["a", "b"]


def test_a_file_that_does_not_parse_is_reported_not_fatal():
    module = scan_python("def broken(:\n", "app/bad.py")
    assert module.syntax_error and module.syntax_error.startswith("SyntaxError") and not module.calls


def test_patterns_report_line_and_column():
    text = "a\n  x := client.BooleanValue(ctx, \"go-flag\", false, ec)\n"
    [ref] = find_pattern_refs(text, "svc/main.go", DEFAULT_PATTERNS)
    assert (ref.key, ref.line, ref.column, ref.language) == ("go-flag", 2, 34, "go")
    assert find_pattern_refs(text, "svc/main.py", DEFAULT_PATTERNS) == []


def test_glob_matching_by_name_or_by_path():
    assert glob_matches("web/src/a.ts", "*.ts") and not glob_matches("web/src/a.ts", "*.js")
    assert glob_matches("web/src/a.ts", "web/**/*.ts") and glob_matches("web/a.ts", "web/**/*.ts")
    assert not glob_matches("api/a.ts", "web/**")


def test_sample_repository_without_git_applies_gitignore(tmp_path):
    repo = shutil.copytree(SAMPLE, tmp_path / "repo")
    (repo / ".gitignore").write_text("build/\n*.generated.ts\n")
    (repo / "build").mkdir()
    (repo / "build" / "copy.py").write_text('flags.is_enabled("from-build")\n')
    (repo / "web" / "src" / "api.generated.ts").write_text('client.getBooleanValue("generated", false)\n')
    (repo / "web" / ".gitignore").write_text("legacy/\n")
    (repo / "web" / "legacy").mkdir()
    (repo / "web" / "legacy" / "old.js").write_text('client.getBooleanValue("legacy", false)\n')
    result = scan(WorkingTree(repo, use_git=False))
    assert rows(result) == EXPECTED
    assert result.files == 7 and result.lines > 60


def test_sample_repository_in_git_lists_tracked_and_untracked_files_but_not_ignored_ones(tmp_path):
    repo = git_repo(tmp_path)
    (repo / ".gitignore").write_text("build/\n")
    (repo / "build").mkdir()
    (repo / "build" / "copy.py").write_text('flags.is_enabled("from-build")\n')
    (repo / "shop" / "new.py").write_text('flags.is_enabled("untracked-but-visible")\n')
    source = WorkingTree(repo)
    assert source.use_git
    keys = [r.key for r in scan(source).references]
    assert "untracked-but-visible" in keys and "from-build" not in keys


def test_a_commit_is_read_from_git_without_a_checkout(tmp_path):
    repo = git_repo(tmp_path)
    (repo / "web" / "src" / "checkout.ts").unlink()
    tree = GitTree(repo, "HEAD")
    try:
        assert rows(scan(tree)) == EXPECTED
    finally:
        tree.close()
    with pytest.raises(ConfigError, match="git knows no commit 'nope'"):
        GitTree(repo, "nope")


def test_configuration_adds_patterns_and_python_wrappers(tmp_path):
    repo = shutil.copytree(SAMPLE, tmp_path / "repo")
    (repo / ".rollwise").mkdir()
    (repo / ".rollwise" / "coderefs.yml").write_text(
        "version: rollwise/coderefs/v1\n"
        "defaults: false\n"
        "exclude: [templates/**]\n"
        "python:\n  functions: [feature_on]\n"
        "patterns:\n"
        "  - name: ruby\n    paths: ['*.rb']\n    pattern: 'feature\\?\\(:(?P<key>[a-z0-9_-]+)\\)'\n")
    (repo / "app.rb").write_text("if feature?(:ruby-flag)\nend\n")
    result = scan(WorkingTree(repo, use_git=False), load_refs_config(None, repo))
    found = rows(result)
    assert ("ruby-flag", "app.rb", 1, "feature? (ruby)") in found
    assert not any(f.endswith((".ts", ".go", ".html")) for _, f, _, _ in found)  # defaults off, templates excluded
    assert ("dynamic:*", "shop/checkout.py", 22, "client.is_enabled") not in found  # the wrapper's own read


@pytest.mark.parametrize("text, message", [
    ("patterns:\n  - name: x\n    paths: ['*.rb']\n    pattern: '(unclosed'\n", "coderefs.yml:4: patterns[0].pattern: "
                                                                           "invalid regular expression"),
    ("patterns:\n  - name: x\n    paths: ['*.rb']\n    pattern: '(a)(b)'\n", "has 2 groups and none named 'key'"),
    ("pattern:\n  - name: x\n", "coderefs.yml:1: pattern: unknown key 'pattern'\n  fix: did you mean 'patterns'?"),
], ids=["regex", "groups", "typo"])
def test_bad_configuration_names_file_line_and_fix(tmp_path, text, message):
    (tmp_path / "coderefs.yml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_refs_config(tmp_path / "coderefs.yml")
    assert message in str(caught.value)


def git_repo(tmp_path: Path) -> Path:
    repo = shutil.copytree(SAMPLE, tmp_path / "repo")
    commit_all(repo, "sample")
    return repo



def test_custom_pattern_without_named_group_uses_its_only_group():
    pattern = Pattern("erb", ("*.erb",), re.compile(r"flag\?\('([a-z-]+)'\)"), "ruby")
    assert [r.key for r in find_pattern_refs("<% if flag?('a-b') %>", "x.html.erb", [pattern])] == ["a-b"]


def test_a_subdirectory_of_a_repository_is_scanned_with_paths_relative_to_it(tmp_path):
    repo = tmp_path / "mono"
    shutil.copytree(SAMPLE, repo / "services" / "shop")
    (repo / "other.py").write_text('flags.is_enabled("elsewhere")\n')
    commit_all(repo, "monorepo")
    root = repo / "services" / "shop"
    assert rows(scan(WorkingTree(root))) == EXPECTED
    tree = GitTree(root, "HEAD")
    try:
        assert rows(scan(tree)) == EXPECTED
    finally:
        tree.close()
