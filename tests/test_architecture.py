"""The import contract: core <- pipelines <- crawler / analysis / release <- commands; and the
replay (fixtures, generators, server) outside the installed package.

import-linter cannot read this layout (the sub-packages live in top-level folders mapped by
``package-dir``), so the contract is checked here from the source with ``ast``: every import of a
``lendcorpus`` module, absolute or relative, at module level or inside a function.
docs/architecture.md ("Layers") states the same rules for people.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

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


# --------------------------------------------------------------------------- the replay, outside
# The replay (server, fixture sites, generators) is the distribution in replay/ (lendcorpus_replay):
# the installed lendcorpus ships none of it and imports it only lazily, in one place, for the
# commands that serve it (demo, replay, crawl --replay without an address).

REPLAY_PACKAGE = "lendcorpus_replay"
#: the one shipped module allowed to import the replay (inside a function)
REPLAY_IMPORTER = "lendcorpus.commands.replay"
_NAMES_REPLAY = re.compile(rf"(?<![\w/]){REPLAY_PACKAGE}(\.|$)")


def replay_imports(root: Path = REPO) -> list[str]:
    """Imports of the replay in shipped code that break the rule: any at module level (class bodies
    and module-level ``if``/``try`` included), any inside a function outside ``REPLAY_IMPORTER``,
    and dotted paths naming it in strings elsewhere (Scrapy settings load classes from those)."""
    bad = []
    for name, (path, _) in shipped_modules(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}

        def visit(node: ast.AST, in_function: bool) -> None:
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                targets = [node.module or ""]
            for t in targets:
                if t == REPLAY_PACKAGE or t.startswith(REPLAY_PACKAGE + "."):
                    if not in_function:
                        bad.append(f"{where}: module-level import of {t}")
                    elif name != REPLAY_IMPORTER:
                        bad.append(f"{where}: {t} imported outside {REPLAY_IMPORTER}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and name != REPLAY_IMPORTER and _NAMES_REPLAY.search(node.value):
                bad.append(f"{where}: string names {node.value[:60]!r}")
            inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            for child in ast.iter_child_nodes(node):
                visit(child, inside)

        visit(tree, False)
    return sorted(bad)


def test_the_installed_package_never_imports_the_replay_at_module_level():
    assert replay_imports() == []


def test_the_replay_check_sees_module_level_and_stray_imports(tmp_path):
    (tmp_path / "lendcorpus" / "commands").mkdir(parents=True)
    (tmp_path / "crawler").mkdir()
    for init in ("lendcorpus", "lendcorpus/commands", "crawler"):
        (tmp_path / init / "__init__.py").write_text("")
    (tmp_path / "lendcorpus" / "commands" / "replay.py").write_text(
        "def f():\n    from lendcorpus_replay import server\n")  # allowed: lazy, in the one place
    (tmp_path / "lendcorpus" / "commands" / "demo.py").write_text(
        "try:\n    import lendcorpus_replay\nexcept ImportError:\n    pass\n"
        "def g():\n    import lendcorpus_replay.server\n")
    (tmp_path / "crawler" / "settings.py").write_text('H = {"http": "lendcorpus_replay.server.Handler"}\n')
    (tmp_path / "pyproject.toml").write_text(
        '[tool.setuptools]\npackage-dir = { "lendcorpus" = "lendcorpus", "lendcorpus.crawler" = "crawler" }\n'
        'packages = ["lendcorpus", "lendcorpus.commands", "lendcorpus.crawler"]\n')
    found = replay_imports(tmp_path)
    assert found == ["crawler/settings.py:1: string names 'lendcorpus_replay.server.Handler'",
                     "lendcorpus/commands/demo.py:2: module-level import of lendcorpus_replay",
                     "lendcorpus/commands/demo.py:6: lendcorpus_replay.server imported outside "
                     "lendcorpus.commands.replay"], found


def _source_copy(dest: Path) -> Path:
    """The checkout's files (tracked, and new ones not ignored) in ``dest``: a build there cannot
    leave build/ or egg-info folders in the checkout or see leftovers of earlier builds."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / rel)
    return dest


def _build(project: Path, out: Path, *kinds: str) -> list[Path]:
    """Build with the installed setuptools, offline (no isolation, no download)."""
    calls = "; ".join(f"print(b.build_{k}({str(out)!r}))" for k in kinds)
    proc = subprocess.run([sys.executable, "-c", f"from setuptools import build_meta as b; {calls}"], cwd=project,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [out / line for line in proc.stdout.split() if line.endswith((".whl", ".tar.gz"))][-len(kinds):]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    src = _source_copy(tmp_path_factory.mktemp("checkout"))
    out = tmp_path_factory.mktemp("dist")
    wheel, sdist = _build(src, out, "wheel", "sdist")
    (replay_wheel,) = _build(src / "replay", out, "wheel")
    return {"src": src, "wheel": wheel, "sdist": sdist, "replay_wheel": replay_wheel}


def _replay_fixture_files() -> dict[str, Path]:
    import lendcorpus_replay

    root = Path(lendcorpus_replay.__file__).parent
    return {p.relative_to(root).as_posix(): p for d in (lendcorpus_replay.SITES_DIR, lendcorpus_replay.FARM_CORPUS_DIR)
            for p in d.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _replay_leaks(names: list[str]) -> list[str]:
    fixtures = _replay_fixture_files()
    hosts = {rel.split("/")[1] for rel in fixtures if rel.startswith("sites/")}
    generators = {"farmgen.py", "sitegen.py", "archivegen.py", "sitegen_news.toml"}
    return [n for n in names
            if REPLAY_PACKAGE in n or "/replay/" in f"/{n}" or "farm_corpus" in n
            or any(f"sites/{h}/" in n for h in hosts) or n.rsplit("/", 1)[-1] in generators]


def test_the_lendcorpus_wheel_and_sdist_hold_no_replay_files(built):
    with zipfile.ZipFile(built["wheel"]) as z:
        wheel = z.namelist()
    with tarfile.open(built["sdist"]) as t:
        sdist = t.getnames()
    # the checks see something: the package is there, and the crawler's half of the replay (the
    # download handler that routes to any replay address) ships with it
    assert {"lendcorpus/cli.py", "lendcorpus/crawler/replay_handler.py", "lendcorpus/commands/replay.py"} <= set(wheel)
    assert any(n.endswith("/crawler/replay_handler.py") for n in sdist)
    assert _replay_leaks(wheel) == []
    assert _replay_leaks(sdist) == []
    # ... and the leak check would see one
    assert _replay_leaks(["lendcorpus/crawler/replay/sites/tousu.sina.com.cn/robots.txt",
                          "x-0.1/replay/pyproject.toml", "lendcorpus_replay/server.py"]) != []


def test_the_replay_wheel_ships_every_fixture_byte_for_byte(built):
    fixtures = _replay_fixture_files()
    assert len(fixtures) > 200
    with zipfile.ZipFile(built["replay_wheel"]) as z:
        names = set(z.namelist())
        missing = [rel for rel in fixtures if f"{REPLAY_PACKAGE}/{rel}" not in names]
        assert missing == []
        changed = [rel for rel, p in fixtures.items() if z.read(f"{REPLAY_PACKAGE}/{rel}") != p.read_bytes()]
        assert changed == []
        assert {f"{REPLAY_PACKAGE}/server.py", f"{REPLAY_PACKAGE}/sitegen_news.toml"} <= names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        requires = [line for line in z.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
                    .decode().splitlines() if line.startswith("Requires-Dist:")]
    assert requires == ["Requires-Dist: lendcorpus"]


def test_fixtures_stay_byte_exact_in_git():
    """.gitattributes must still cover the fixtures where they now live: no line-ending conversion."""
    import lendcorpus_replay

    files = [str(p.relative_to(REPO)) for p in _replay_fixture_files().values()]
    files.append(str((lendcorpus_replay.FARM_CORPUS_DIR / "README.md").relative_to(REPO)))
    out = subprocess.run(["git", "check-attr", "text", "--", *files], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == len(files)
    assert [line for line in out if not line.endswith(": text: unset")] == []


_WITHOUT_REPLAY = ("import sys; sys.modules['lendcorpus_replay'] = None  # as if it were not installed\n"
                   "from lendcorpus.cli import main; sys.exit(main(sys.argv[1:]))")


def _run_without_replay(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LENDCORPUS_HOME": str(home)}
    env.pop("LENDCORPUS_DB", None)
    return subprocess.run([sys.executable, "-c", _WITHOUT_REPLAY, *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)


@pytest.mark.parametrize("args", [["demo"], ["replay", "--port", "0"], ["crawl", "jiedai_baike", "--replay"]])
def test_commands_that_serve_the_replay_say_how_to_install_it(args, tmp_path):
    proc = _run_without_replay(*args, home=tmp_path / "data")
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install -e ./replay" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "data").exists(), "nothing written: no run folder, no corpus"


def test_the_installed_package_crawls_a_running_replay_without_the_replay_package(replay, tmp_path):
    """``crawl --replay HOST:PORT`` needs only the download handler, which ships with lendcorpus."""
    from lc_testkit import FAST, archived

    proc = _run_without_replay("crawl", "liuyan", "--replay", replay.address, *FAST, home=tmp_path / "data")
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir,) = [p for p in (tmp_path / "data" / "archive").rglob("*") if p.is_dir() and list(p.glob("*.warc.gz"))]
    urls = [r.url for r in archived(run_dir) if r.rec_type == "response"]
    assert any(u.startswith("https://liuyan.people.com.cn/") for u in urls) and len(urls) > 5


def test_the_readme_commands_install_the_replay_and_ci_runs_them():
    """The README's first two commands are what a newcomer copies: both install ./replay, and CI
    runs the test command exactly as written."""
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), flags=re.S)
    demo, tests = blocks[0].strip(), blocks[1].strip()
    assert demo == "pip install -e . -e ./replay && lendcorpus demo"
    assert "pip install -e '.[test]' -e ./replay" in tests
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == tests
