"""Site-rules files: parsed strictly, with errors that name the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lendcorpus.siterules import RulesError, load_all, parse_rules, rules_for_url

GOOD = """
name = "news_demo"
kind = "news"
allowed_domains = ["news.example.cn"]
start_urls = ["https://news.example.cn/"]
follow = ['^https://news\\.example\\.cn/(list_\\d+\\.html)?$']
articles = ['/art/\\d+\\.shtml$']
id_regex = '/art/(\\d+)\\.shtml'
[extract]
title = "h1"
body = "div.article"
"""


def test_page_kind_owner_and_native_id():
    r = parse_rules(GOOD, Path("news_demo.toml"))
    assert r.page_kind("https://news.example.cn/art/123.shtml") == "article"
    assert r.page_kind("https://news.example.cn/list_2.html") == "list"
    assert r.page_kind("https://news.example.cn/about.html") is None
    assert r.owns("https://m.news.example.cn/x") and not r.owns("https://evil-news.example.cn.example/x")
    assert r.native_id("https://news.example.cn/art/123.shtml") == "123"
    assert len(r.native_id("https://news.example.cn/other")) == 16  # URL hash


@pytest.mark.parametrize("text, message", [
    ("name = 'Bad Name'\nstart_urls=['x']\narticles=['a']", "'name'"),
    ("name = 'ok'\narticles=['a']", "start_urls"),
    ("name = 'ok'\nstart_urls=['x']", "articles"),
    ("name = 'ok'\nstart_urls=['x']\narticles=['(']", "bad regex"),
    ("name = ", "not valid TOML"),
])
def test_bad_rules_files_name_the_problem(text, message):
    with pytest.raises(RulesError, match=message):
        parse_rules(text, Path("broken.toml"))


def test_every_committed_rules_file_loads_and_owns_its_start_urls():
    rules = load_all()
    assert rules, "no site rules committed"
    for r in rules.values():
        for url in r.start_urls:
            assert r.owns(url), (r.name, url)
            assert rules_for_url(url, rules) is r
