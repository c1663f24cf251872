"""One configuration: every setting documented, and resolved as defaults < settings file <
environment < command line, for the crawl's settings and the corpus's alike."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from lc_testkit import REPO, run_cli
from lendcorpus import config

DOCS = REPO / "docs" / "configuration.md"


def crawl_defaults(cwd, env: dict[str, str] | None = None) -> dict:
    """crawler/settings.py as a fresh process sees it (the module reads file and environment once)."""
    code = ("import json, lendcorpus.crawler.settings as s; "
            "print(json.dumps({k: getattr(s, k) for k in dir(s) if k.isupper()}, default=str))")
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, env={**_base_env(), **(env or {})},
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("LENDCORPUS_")}


def test_every_setting_is_documented_and_every_documented_one_exists(tmp_path):
    names = set(config.CORE_DEFAULTS) | {k for k in crawl_defaults(tmp_path) if k.startswith("LENDCORPUS_")}
    documented = set(re.findall(r"`(LENDCORPUS_[A-Z_]+)`", DOCS.read_text(encoding="utf-8")))
    assert names - documented == set(), "settings the docs do not list"
    assert documented - names - set(config.ENVIRONMENT_ONLY) == set(), "documented settings the code does not have"
    assert config.crawl_setting_names() == {n for n in names if n not in config.CORE_DEFAULTS}


def _other_value(default):
    if isinstance(default, bool):
        return (not default), ("0" if default else "1")
    if isinstance(default, int):
        return default + 7, str(default + 7)
    if isinstance(default, float):
        return default + 1.5, str(default + 1.5)
    if isinstance(default, list):
        return ["a", "b"], "a,b"
    if isinstance(default, dict):
        return {"x": 1}, '{"x": 1}'
    return "changed", "changed"


def test_every_crawl_setting_is_overridable_by_the_environment(tmp_path):
    defaults = {k: v for k, v in crawl_defaults(tmp_path).items() if k.startswith("LENDCORPUS_")}
    want, env = {}, {}
    for name, default in defaults.items():
        want[name], env[name] = _other_value(default)
    got = crawl_defaults(tmp_path, env)
    assert {k: got[k] for k in want} == want


def test_file_then_environment_then_command_line(tmp_path):
    (tmp_path / "lendcorpus.toml").write_text(
        'LENDCORPUS_BLOCK_RETRIES = 9\nLENDCORPUS_DRIFT_MIN_PAGES = 11\nDOWNLOAD_DELAY = 4.0\n'
        'LENDCORPUS_REDIS_DOMAIN_DELAYS = { "tousu.sina.com.cn" = 2.0 }\n', encoding="utf-8")
    got = crawl_defaults(tmp_path, {"LENDCORPUS_DRIFT_MIN_PAGES": "12"})
    assert got["LENDCORPUS_BLOCK_RETRIES"] == 9  # file over default
    assert got["LENDCORPUS_DRIFT_MIN_PAGES"] == 12  # environment over file
    assert got["DOWNLOAD_DELAY"] == 4.0  # any Scrapy setting from the file
    assert got["LENDCORPUS_REDIS_DOMAIN_DELAYS"] == {"tousu.sina.com.cn": 2.0}
    # the command line over all: Scrapy's -s has 'cmdline' priority over the project settings
    from scrapy.settings import Settings

    s = Settings()
    s.setmodule("lendcorpus.crawler.settings", priority="project")
    s.set("LENDCORPUS_BLOCK_RETRIES", 2, priority="cmdline")
    assert s.getint("LENDCORPUS_BLOCK_RETRIES") == 2


def test_core_settings_in_the_same_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in config.CORE_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LENDCORPUS_CONFIG", raising=False)
    assert config.get("LENDCORPUS_LOCK_WAIT") == 30.0
    (tmp_path / "lendcorpus.toml").write_text('LENDCORPUS_LOCK_WAIT = 5\nLENDCORPUS_HOME = "from-file"\n')
    assert config.get("LENDCORPUS_LOCK_WAIT") == 5
    monkeypatch.setenv("LENDCORPUS_LOCK_WAIT", "7.5")
    assert config.get("LENDCORPUS_LOCK_WAIT") == 7.5
    from lendcorpus.paths import data_home, default_db

    assert data_home().name == "from-file" and default_db() == tmp_path.joinpath("from-file", "corpus.duckdb").relative_to(tmp_path)
    # a named file wins over the local one
    other = tmp_path / "elsewhere.toml"
    other.write_text('LENDCORPUS_HOME = "named"\n')
    monkeypatch.setenv("LENDCORPUS_CONFIG", str(other))
    assert data_home().name == "named"


def test_bad_settings_are_named_not_ignored(tmp_path):
    (tmp_path / "lendcorpus.toml").write_text("LENDCORPUS_BLOCK_RETRYS = 3\n")
    bad = run_cli("status", check=False, cwd=tmp_path, env={"LENDCORPUS_HOME": str(tmp_path / "d")})
    assert bad.returncode == 2 and "LENDCORPUS_BLOCK_RETRYS" in bad.stderr and "Traceback" not in bad.stderr
    (tmp_path / "lendcorpus.toml").write_text("not toml [\n")
    bad = run_cli("status", check=False, cwd=tmp_path)
    assert bad.returncode == 2 and "lendcorpus.toml" in bad.stderr
    with pytest.raises(config.ConfigError, match="LENDCORPUS_LOCK_WAIT"):
        config.coerce("LENDCORPUS_LOCK_WAIT", "soon", 30.0)
    with pytest.raises(config.ConfigError):
        config.coerce("LENDCORPUS_ARCHIVE_ENABLED", "perhaps", True)
