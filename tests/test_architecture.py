"""The import contract: core <- pipelines <- crawler / analysis / release <- commands.

import-linter cannot read this layout (the sub-packages live in top-level folders mapped by
``package-dir``), so the contract is checked here from the source with ``ast``: every import of a
``lendcorpus`` module, absolute or relative, at module level or inside a function.
docs/architecture.md ("Layers") states the same rules for people.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from lc_testkit import REPO

#: lower layers first; a module may import its own layer's group and any lower layer
LAYERS: list[set[str]] = [
    {"core"},
    {"pipelines"},
    {"crawler", "analysis", "release"},
    {"commands", "cli"},
]
#: modules directly in the ``lendcorpus`` package that are not core
TOP_LEVEL_NOT_CORE = {"cli": "cli"}


def shipped_modules(root: Path = REPO) -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package) for everything ``pip install`` ships."""
    cfg = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    packages = set(cfg["packages"])
    out: dict[str, tuple[Path, bool]] = {}
    for package, folder in cfg["package-dir"].items():
        for f in sorted((root / folder).rglob("*.py")):
            parts = list(f.relative_to(root / folder).with_suffix("").parts)
            is_pkg = parts[-1] == "__init__"
            name = ".".join([package] + (parts[:-1] if is_pkg else parts))
            owner = name if is_pkg else name.rsplit(".", 1)[0]
            if owner in packages and name not in out:
                out[name] = (f, is_pkg)
    return out


def group_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    if parts[1] in TOP_LEVEL_NOT_CORE:
        return TOP_LEVEL_NOT_CORE[parts[1]]
    if parts[1] in {"crawler", "pipelines", "analysis", "release", "commands"}:
        return parts[1]
    return "core"  # archive, corpus, paths, crashpoints, siterules


def imports_of(name: str, path: Path, is_pkg: bool) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.append((node.lineno, target))
    return [(line, t) for line, t in out if t == "lendcorpus" or t.startswith("lendcorpus.")]


def layer(group: str) -> int:
    return next(i for i, groups in enumerate(LAYERS) if group in groups)


def violations(root: Path = REPO) -> list[str]:
    bad = []
    for name, (path, is_pkg) in shipped_modules(root).items():
        mine = group_of(name)
        for line, target in imports_of(name, path, is_pkg):
            theirs = group_of(target)
            if theirs == mine:
                continue
            if layer(theirs) >= layer(mine):
                bad.append(f"{path.relative_to(root)}:{line}: {mine} imports {target} ({theirs})")
    return sorted(bad)


def test_imports_point_down_the_layers():
    assert violations() == []


def test_the_checker_sees_an_upward_import(tmp_path):
    """The contract check itself: an upward and a sideways import in a copy of the layout are found."""
    for folder in ("lendcorpus", "pipelines", "crawler", "analysis"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.setuptools]\npackage-dir = { "lendcorpus" = "lendcorpus", "lendcorpus.pipelines" = "pipelines", '
        '"lendcorpus.crawler" = "crawler", "lendcorpus.analysis" = "analysis" }\n'
        'packages = ["lendcorpus", "lendcorpus.pipelines", "lendcorpus.crawler", "lendcorpus.analysis"]\n')
    (tmp_path / "lendcorpus" / "corpus.py").write_text("def f():\n    from lendcorpus.analysis import views\n")
    (tmp_path / "pipelines" / "x.py").write_text("from ..crawler import y\n")
    (tmp_path / "crawler" / "y.py").write_text("from lendcorpus.analysis import z\nfrom lendcorpus.pipelines import x\n")
    found = violations(tmp_path)
    assert len(found) == 3, found
    assert any("corpus.py:2: core imports lendcorpus.analysis" in v for v in found)
    assert any("x.py:1: pipelines imports lendcorpus.crawler" in v for v in found)
    assert any("y.py:1: crawler imports lendcorpus.analysis" in v for v in found)


def test_nothing_shipped_reads_the_tests_folder():
    """A release or a build must not depend on the test suite being present: no string in shipped
    code (docstrings aside) names the tests folder as a path."""
    names_tests = re.compile(r"^tests(/|$)|/tests(/|$)")
    found = []
    for name, (path, _) in shipped_modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and names_tests.search(node.value):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value[:60]!r}")
    assert found == []


def test_the_tests_folder_check_sees_a_path(tmp_path, monkeypatch):
    import test_architecture as me

    (tmp_path / "lendcorpus").mkdir()
    (tmp_path / "lendcorpus" / "__init__.py").write_text('"""Reads tests/ in prose only."""\n')
    (tmp_path / "lendcorpus" / "m.py").write_text('from pathlib import Path\nP = Path(__file__).parent / "tests" / "x"\n')
    (tmp_path / "pyproject.toml").write_text(
        '[tool.setuptools]\npackage-dir = { "lendcorpus" = "lendcorpus" }\npackages = ["lendcorpus"]\n')
    monkeypatch.setattr(me, "REPO", tmp_path)
    original = me.shipped_modules
    monkeypatch.setattr(me, "shipped_modules", lambda root=tmp_path: original(root))
    try:
        me.test_nothing_shipped_reads_the_tests_folder()
    except AssertionError as e:
        assert "m.py:2: 'tests'" in str(e)
    else:
        raise AssertionError("the check missed a path into tests/")


def test_search_macro_file_matches_the_indexer():
    """The corpus layer creates search_bm25 from SQL; the SQL must be what the indexer generates
    (regenerate with ``python -m lendcorpus.pipelines.search_index --write-macro``)."""
    from lendcorpus.paths import VIEWS_DIR
    from lendcorpus.pipelines.search_index import MACRO_FILE_HEADER, SEARCH_MACRO

    assert (VIEWS_DIR / "90_search_bm25.sql").read_text(encoding="utf-8") == MACRO_FILE_HEADER + SEARCH_MACRO + ";\n"
