"""Packaging promises: one console script, Scrapy project conventions, no `datasets` shadowing."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from lc_testkit import REPO, run_cli
from lendcorpus.cli import COMMANDS


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_db(command):
    out = run_cli(command, "--help").stdout
    assert "--db" in out and "usage: lendcorpus " + command in out


def test_top_level_help_lists_commands():
    out = run_cli("--help").stdout
    for command in COMMANDS:
        assert command in out


def test_scrapy_list_from_the_checkout_shows_rule_spiders():
    from lendcorpus.siterules import load_all

    out = subprocess.run(["scrapy", "list"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert set(load_all()) <= set(out.split())


def test_datasets_folder_never_shadows_hugging_face_datasets():
    """Even with the checkout first on sys.path (as scrapy arranges), `import datasets` is Hugging
    Face's package (installed by the test extra), never our data folder."""
    code = f"import sys; sys.path.insert(0, {str(REPO)!r}); import datasets; " \
           "print(datasets.__file__); print(hasattr(datasets, 'load_dataset'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    where, has_loader = out.stdout.split()
    assert not Path(where).resolve().is_relative_to(REPO) and has_loader == "True"
    assert not (REPO / "datasets" / "__init__.py").exists()


def test_every_code_folder_is_a_listed_package():
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    dirs = {v: k for k, v in cfg["package-dir"].items()}
    for folder, package in dirs.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            name = ".".join([package, *rel.parts]) if rel.parts else package
            assert name in listed, f"{name} missing from [tool.setuptools] packages"


def test_test_files_have_unique_names():
    """pytest imports test files by base name (no packages under tests/): two with the same name
    break collection of the whole suite."""
    names = [p.name for p in (REPO / "tests").rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
