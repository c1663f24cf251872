"""The rule-driven sites and their replay fixtures (sitegen's five, and any other rules file).

- every rules file's CSS finds title, body and date on every article page its fixture labels;
- the five sitegen sites crawl and build into exactly the documents and rejects their manifests
  list, obey robots.txt and decode GBK/Big5 right;
- ``sitegen`` reproduces the committed folders byte for byte;
- every spider ``scrapy list`` shows has a replay folder for every host it crawls.
"""

from __future__ import annotations

import json
import os
import urllib.robotparser
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from lc_testkit import FAST, REPO, run_cli
from lendcorpus.archive import ArchivedRecord, iter_archive, warc_files
from lendcorpus_replay import sitegen
from lendcorpus.siterules import load_all
from lendcorpus_replay import SITES_DIR as REPLAY_SITES_DIR
from lendcorpus.pipelines.extract.dates import CHINA, parse_date
from lendcorpus.pipelines.extract.rules import extract_with_rules

RULES = load_all()
NEW_SITES = tuple(sitegen.HOSTS)

#: Text that lives outside the body in every layout (menus, footers, pagers, related lists,
#: share bars, captions, editor lines). None of it may reach a document's body.
CHROME = ("版权所有", "版權所有", "Copyright", "上一篇", "下一篇", "分享到", "相关推荐", "相关新闻", "相關問答",
          "延伸閱讀", "热门文章", "熱門問答", "热点排行", "推荐内容", "责任编辑", "示意圖", "当前位置",
          "您的位置", "网站地图", "網站地圖", "（来源：金融日报）", "列印本頁", "分隔线", "发表评论")


def _manifest(host: str) -> dict | None:
    path = REPLAY_SITES_DIR / host / "_manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _article_cases() -> list:
    """(rules name, article id) for every labelled article page with a file, over all rules."""
    cases = []
    for name, rules in sorted(RULES.items()):
        for host in rules.allowed_domains:
            m = _manifest(host)
            for a_id, a in sorted(((m or {}).get("articles") or {}).items()):
                if a.get("file") and (a.get("expect", "document") in ("document", "unreachable", "robots_forbidden")):
                    cases.append(pytest.param(name, host, a_id, id=f"{name}:{a_id}"))
    return cases


@pytest.fixture(scope="module")
def built_sites() -> dict:
    return sitegen.build_sites()


def _published(entry: dict) -> datetime:
    if "published" in entry:
        return datetime.fromisoformat(entry["published"]).replace(tzinfo=CHINA)
    return datetime.strptime(entry["date"], "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)


# --------------------------------------------------------------------------- rules vs fixtures


def test_every_rules_file_has_labelled_article_pages():
    covered = {c.values[0] for c in _article_cases()}
    assert set(NEW_SITES) <= covered, set(NEW_SITES) - covered


@pytest.mark.parametrize("name, host, a_id", _article_cases())
def test_rules_find_title_body_and_date(name, host, a_id, built_sites):
    rules = RULES[name]
    entry = _manifest(host)["articles"][a_id]
    html = (REPLAY_SITES_DIR / host / entry["file"]).read_bytes().decode(entry["encoding"])
    assert rules.page_kind(f"https://{host}{entry['path']}") == "article"
    assert rules.native_id(f"https://{host}{entry['path']}") == a_id
    title, body, published = extract_with_rules(html, rules)
    assert title == entry["title"]
    assert body.strip(), "body selector found nothing"
    assert published == _published(entry)
    if name not in built_sites:
        return
    # sitegen sites: the exact body lines (the farm's own template lines included), no chrome,
    # and the date text matches a declared format (not only the generic fallback)
    page = next(e for e in built_sites[name].entries if e.id == a_id)
    assert body.split("\n") == page.lines
    assert [m for m in CHROME if m in body] == []
    assert any(_strptime_ok(page.date_text, f) for f in rules.extract.date_formats), page.date_text
    assert parse_date(page.date_text, rules.extract.date_formats) == published


def _strptime_ok(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", NEW_SITES)
def test_manifest_agrees_with_rules_and_robots(name):
    rules = RULES[name]
    host = sitegen.HOSTS[name]
    m = _manifest(host)
    assert m["generator"] == sitegen.GENERATOR and m["host"] == host and rules.allowed_domains == (host,)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse((REPLAY_SITES_DIR / host / "robots.txt").read_text(encoding="utf-8").splitlines())
    for a_id, a in m["articles"].items():
        allowed = robots.can_fetch("lendcorpus", a["url"])
        assert allowed == (a["expect"] != "robots_forbidden"), a["url"]
    for stage, reason, path in m["expected_rejects"]:
        assert rules.page_kind(f"https://{host}{path}") is not None, path  # the crawler would go there
    assert 8 <= len(m["articles"]) <= 20
    assert {r for _, r, _ in m["expected_rejects"]} & {"http_404", "empty_body", "no_html_body"}
    assert "robots_forbidden" in {r for _, r, _ in m["expected_rejects"]}


def test_sites_share_text_across_sites():
    """Cross-site near-duplicates exist: farm bases on several farms, copies of copies, reprints."""
    farms = [_manifest(sitegen.HOSTS[n]) for n in ("wangdai_zhishi", "yuqi_bangbang", "daikuan_wenda")]
    bases = [{a["base"] for a in m["articles"].values() if a["expect"] == "document"} for m in farms]
    assert len(bases[0] & bases[1] & bases[2]) >= 2
    assert min(len(bases[0] & bases[1]), len(bases[1] & bases[2]), len(bases[0] & bases[2])) >= 4
    assert all(any("copied_from" in a for a in m["articles"].values()) for m in farms[1:])
    assert any(a["pinyin"] for a in farms[1]["articles"].values()) and any(a["pinyin"] for a in farms[2]["articles"].values())
    news_tw = _manifest(sitegen.HOSTS["caixun_shibao"])["articles"].values()
    news_cn = {a["base"] for a in _manifest(sitegen.HOSTS["jinrong_ribao"])["articles"].values()}
    reprints = [a for a in news_tw if "reprint" in a["kinds"]]
    assert len(reprints) >= 3 and all(a["base"] in news_cn for a in reprints)


# --------------------------------------------------------------------------- regeneration


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_regenerating_reproduces_the_committed_folders(tmp_path):
    sitegen.generate_all(tmp_path)
    for host in sitegen.HOSTS.values():
        got, want = _tree(tmp_path / host), _tree(REPLAY_SITES_DIR / host)
        assert sorted(got) == sorted(want), host
        assert [f for f in want if got[f] != want[f]] == [], host


def test_regeneration_refuses_folders_it_did_not_write(tmp_path, built_sites):
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ValueError, match="refusing"):
        sitegen.write_site(built_sites["wangdai_zhishi"], tmp_path)
    assert (tmp_path / "precious.txt").exists()


# --------------------------------------------------------------------------- crawl + build


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def sites_crawl(tmp_path_factory, replay) -> dict:
    """The five sites crawled (in parallel, one process each) into one data home, then built."""
    home = tmp_path_factory.mktemp("sites-home")
    env = {"LENDCORPUS_HOME": str(home)}
    jobs = {n: home / "archive" / n / "test" for n in NEW_SITES}
    with ThreadPoolExecutor(max_workers=len(NEW_SITES)) as pool:
        list(pool.map(lambda n: run_cli("crawl", n, "--replay", replay.address, "--new", "--job", str(jobs[n]), *FAST,
                                        env=env, timeout=120), NEW_SITES))
    run_cli("build", env=env, timeout=120)
    records = {n: [r for f in warc_files(j) for r in iter_archive(f) if isinstance(r, ArchivedRecord)]
               for n, j in jobs.items()}
    return {"db": home / "corpus.duckdb", "records": records}


@pytest.mark.parametrize("name", NEW_SITES)
def test_crawl_builds_the_manifest_documents(sites_crawl, name):
    m = _manifest(sitegen.HOSTS[name])
    db = sites_crawl["db"]
    rows = _query(db, "SELECT doc_id, url, title, published_at, text FROM documents WHERE source = ?", [name])
    assert sorted(r[0] for r in rows) == m["expected_documents"]
    assert len({r[1] for r in rows}) == len(rows)  # no page twice
    by_id = {a_id: a for a_id, a in m["articles"].items()}
    for doc_id, url, title, published, text in rows:
        a = by_id[doc_id.split(":", 1)[1]]
        assert url == a["url"] and title == a["title"], doc_id
        assert published == datetime.fromisoformat(a["published"]).replace(tzinfo=CHINA)
        assert "\ufffd" not in text and "\ufffd" not in title


@pytest.mark.parametrize("name", NEW_SITES)
def test_crawl_records_the_manifest_rejects(sites_crawl, name):
    m = _manifest(sitegen.HOSTS[name])
    host = sitegen.HOSTS[name]
    got = _query(sites_crawl["db"], "SELECT stage, reason, url FROM rejects WHERE url LIKE ?", [f"https://{host}/%"])
    want = [(s, r, f"https://{host}{p}") for s, r, p in m["expected_rejects"]]
    assert Counter(got) == Counter(want)


@pytest.mark.parametrize("name", NEW_SITES)
def test_crawl_obeys_robots_and_fetches_each_url_once(sites_crawl, name):
    host = sitegen.HOSTS[name]
    m = _manifest(host)
    recs = sites_crawl["records"][name]
    urls = Counter(r.url for r in recs)
    assert [u for u, n in urls.items() if n > 1] == []
    assert all(urlsplit(u).hostname == host for u in urls)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse((REPLAY_SITES_DIR / host / "robots.txt").read_text(encoding="utf-8").splitlines())
    fetched = [r.url for r in recs if r.rec_type != "metadata"]
    assert f"https://{host}/robots.txt" in fetched
    assert [u for u in fetched if not robots.can_fetch("lendcorpus", u)] == []
    refused = {r.url for r in recs if r.rec_type == "metadata" and r.error == "robots_forbidden"}
    assert refused == {f"https://{host}{p}" for _, reason, p in m["expected_rejects"] if reason == "robots_forbidden"}
    # pages only reachable through a refused page are never fetched
    unreachable = {a["url"] for a in m["articles"].values() if a["expect"] == "unreachable"}
    assert not unreachable & set(urls)


@pytest.mark.parametrize("name, encodings", [("yuqi_bangbang", {"gbk", "gb18030"}), ("caixun_shibao", {"big5", "cp950"})])
def test_legacy_charsets_are_decoded_from_the_archived_bytes(sites_crawl, name, encodings):
    host = sitegen.HOSTS[name]
    m = _manifest(host)
    assert m["encoding"] in encodings
    pages = {r.url: r for r in sites_crawl["records"][name] if r.rec_type != "metadata" and r.status == 200 and r.body}
    for a in m["articles"].values():
        if a["expect"] == "document":  # archived byte-exact, and really in the legacy charset
            body = pages[a["url"]].body
            assert body == (REPLAY_SITES_DIR / host / a["file"]).read_bytes()
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
    rows = _query(sites_crawl["db"], "SELECT encoding, title, text FROM documents WHERE source = ?", [name])
    assert rows and {r[0] for r in rows} <= encodings
    titles = {a["title"] for a in m["articles"].values()}
    for enc, title, text in rows:
        assert title in titles and "\ufffd" not in text


# --------------------------------------------------------------------------- every spider has a fixture


def _spider_classes() -> dict[str, type]:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "lendcorpus.crawler.settings")
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        loader = get_spider_loader(get_project_settings())
        return {name: loader.load(name) for name in sorted(loader.list())}
    finally:
        os.chdir(cwd)


SPIDERS = _spider_classes()


def _crawled_hosts(cls: type) -> tuple[set[str], set[str]]:
    """(exact hosts of start URLs and sitemaps, allowed domains) a spider class declares."""
    urls = list(getattr(cls, "start_urls", None) or [])
    rules = getattr(cls, "rules", None)
    if rules is not None and hasattr(rules, "start_urls"):
        urls += [*rules.start_urls, *rules.sitemaps]
    hosts = {(urlsplit(u).hostname or "").lower() for u in urls if isinstance(u, str)}
    domains = {d.lower() for d in (getattr(cls, "allowed_domains", None) or [])}
    return hosts - {""}, domains


def test_scrapy_list_shows_the_new_sites():
    assert set(NEW_SITES) <= set(SPIDERS)


@pytest.mark.parametrize("name", sorted(SPIDERS))
def test_every_spider_has_a_fixture_folder(name):
    """A spider without replay fixtures cannot be tested offline; this fails until one exists."""
    hosts, domains = _crawled_hosts(SPIDERS[name])
    assert hosts or domains, f"{name}: declares neither allowed_domains nor start URLs"
    folders = {p.name.lower() for p in REPLAY_SITES_DIR.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    missing = sorted(h for h in hosts if h not in folders)
    missing += sorted(f"*.{d} / {d}" for d in domains
                      if not any(f == d or f.endswith("." + d) for f in folders))
    assert not missing, f"{name}: no folder in {REPLAY_SITES_DIR} for {missing}"
