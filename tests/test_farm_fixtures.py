"""The content-farm replay fixture (www.jiedai-baike.example) and its generator.

The committed site is evidence the spider, extractor and dedup tests rely on, so it must be
reproducible, agree with its rules file and manifest, carry only invented contacts, and have the
properties the fixture claims (valid pinyin readings, a charset liar that really lies, ...).
"""

from __future__ import annotations

import json
import re
import tomllib
import urllib.robotparser
from datetime import datetime
from pathlib import Path

import opencc
import pytest
from parsel import Selector
from pypinyin import Style, pinyin

from lendcorpus_replay import FARM_CORPUS_DIR, SITES_DIR, farmgen

REPO = Path(__file__).resolve().parent.parent
HOST = "www.jiedai-baike.example"
SITE = SITES_DIR / HOST
CORPUS = FARM_CORPUS_DIR
RULES_PATH = REPO / "crawler" / "sites" / "jiedai_baike.toml"
SEEDS = REPO.parent / "shared" / "seeds"

ANNOTATION = re.compile(r"([\u3400-\u9fff])\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ]+)\)")
HAN = re.compile(r"[\u4e00-\u9fff]")
HREF = re.compile(r'href="([^"]+)"')
KINDS = {"seed", "original", "spun", "simplified", "traditional", "pinyin", "unpinyin", "rewrapped",
         "recombined", "copy"}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_tree(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    assert sorted(got) == sorted(want)
    differing = [name for name in want if got[name] != want[name]]
    assert not differing, f"files differ from the committed site: {differing[:10]}"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((SITE / "_manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules() -> dict:
    return tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def routes() -> dict[str, dict]:
    data = tomllib.loads((SITE / "_routes.toml").read_text(encoding="utf-8"))
    return {r["path"]: r for r in data["route"]}


def page_text(raw: str, rules: dict) -> tuple[str, str, str]:
    """(title, body text, date text) found by the rules' selectors, drop selectors applied."""
    sel = Selector(text=raw)
    ex = rules["extract"]
    title = (sel.css(ex["title"]).xpath("string()").get() or "").strip()
    date = (sel.css(ex["date"]).xpath("string()").get() or "").strip()
    bodies = sel.css(ex["body"])
    assert len(bodies) == 1
    for css in ex.get("drop", []):
        for node in bodies.css(css):
            node.drop()
    return title, "".join(bodies.xpath(".//text()").getall()), date


def page_raw(entry: dict) -> str:
    return (SITE / entry["file"]).read_bytes().decode(entry["encoding"])


# --------------------------------------------------------------------------- reproducibility


def test_regenerating_reproduces_the_committed_site(tmp_path):
    out = tmp_path / HOST
    summary = farmgen.generate_farm_site(out, host=HOST, seed=0)
    assert_same_tree(tree(out), tree(SITE))
    assert summary["pages"] == sum(1 for name in tree(SITE) if name.endswith(".html"))


def test_shared_seeds_are_present():
    """The seed tests below need ../shared/seeds beside the checkout (CI provides it): missing is a failure."""
    assert SEEDS.is_dir(), f"{SEEDS} not found: clone the project with ../shared beside it"


def test_generating_from_the_shared_seeds_gives_the_same_site(tmp_path):
    out = tmp_path / HOST
    farmgen.generate_farm_site(out, host=HOST, seed=0, seeds_dir=SEEDS)
    assert_same_tree(tree(out), tree(SITE))


def test_corpus_seeds_are_the_shared_seeds_with_the_contact_replaced():
    for src in farmgen.load_sources():
        if not src.seed_file:
            continue
        original = (SEEDS / src.seed_file).read_text(encoding="utf-8")
        ours = (CORPUS / src.file).read_text(encoding="utf-8")
        assert ours == farmgen.sanitize_contacts(original)


def test_same_seed_same_site_other_seed_other_site(tmp_path):
    a, b, c = (tmp_path / n for n in ("a", "b", "c"))
    farmgen.generate_farm_site(a, host=HOST, seed=7, n_extra=25)
    farmgen.generate_farm_site(b, host=HOST, seed=7, n_extra=25)
    farmgen.generate_farm_site(c, host=HOST, seed=8, n_extra=25)
    assert tree(a) == tree(b)
    assert tree(a) != tree(c)


def test_clean_refuses_to_delete_a_folder_that_is_not_a_farm_site(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ValueError):
        farmgen.generate_farm_site(tmp_path, host=HOST, clean=True)
    assert (tmp_path / "precious.txt").exists()


def test_five_thousand_extra_articles(tmp_path):
    # how fast is a benchmark's business (benchmarks/bench_crawl.py uses this generator), not a test's
    out = tmp_path / "big"
    summary = farmgen.generate_farm_site(out, host="big.example", n_extra=5000, seed=3)
    man = json.loads((out / "_manifest.json").read_text(encoding="utf-8"))
    assert len(man["articles"]) == len(summary["article_ids"]) > 5000
    kinds = {k for entry in man["articles"].values() for k in entry["kinds"]}
    assert {"spun", "recombined", "simplified", "traditional", "pinyin", "rewrapped"} <= kinds
    locs = re.findall(r"<loc>([^<]+)</loc>", (out / "sitemap.xml").read_text(encoding="utf-8"))
    assert len(locs) == sum(e["in_sitemap"] for e in man["articles"].values())
    assert len(man["lists"]) == len(list(out.glob("list_*.html"))) + 1


# --------------------------------------------------------------------------- no real contacts


def _seed_contacts() -> set[str]:
    found: set[str] = set()
    for path in SEEDS.glob("*.txt"):
        for line in farmgen.strip_pinyin(path.read_text(encoding="utf-8")).splitlines():
            if "聯系方式" in line or "联系方式" in line:
                found.update(re.findall(r"(?<!\d)1\d{10}(?!\d)", line))
                found.update(re.findall(r"[\w.]+@qq\.com", line))
    return found


def test_no_real_contact_from_the_seeds_anywhere():
    contacts = _seed_contacts()
    assert len(contacts) >= 2, "expected the seeds' footer phone and QQ address"
    assert contacts.isdisjoint({farmgen.INVENTED_PHONE, farmgen.INVENTED_QQ})
    files = [*SITE.rglob("*"), *CORPUS.rglob("*"), RULES_PATH, Path(farmgen.__file__), Path(__file__)]
    for path in files:
        if not path.is_file():
            continue
        data = path.read_bytes()
        for value in contacts:
            assert value.encode("ascii") not in data, f"a real seed contact is in {path}"
    # and the invented one is what the footer shows
    assert farmgen.INVENTED_PHONE.encode() in (SITE / "index.html").read_bytes() or any(
        farmgen.INVENTED_PHONE.encode() in p.read_bytes() for p in (SITE / "a").iterdir()
    )


# --------------------------------------------------------------------------- rules vs site


def test_sitemap_articles_and_lists_match_the_rules(manifest, rules):
    articles = [re.compile(p) for p in rules["articles"]]
    follow = [re.compile(p) for p in rules["follow"]]
    sitemap = (SITE / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs
    for url in locs:
        assert any(p.search(url) for p in articles), url
        assert not any(p.search(url) for p in follow), url
    want = {f"https://{HOST}{e['path']}" for e in manifest["articles"].values() if e["in_sitemap"]}
    assert set(locs) == want
    for path in manifest["lists"]:
        url = f"https://{HOST}{path}"
        assert any(p.search(url) for p in follow), url
        assert not any(p.search(url) for p in articles), url
        assert (SITE / ("index.html" if path == "/" else path.lstrip("/"))).is_file()
    id_re = re.compile(rules["id_regex"])
    for key, entry in manifest["articles"].items():
        assert id_re.search(f"https://{HOST}{entry['path']}").group(1) == key


def test_robots_disallows_the_member_page_the_index_links_to(manifest):
    robots = urllib.robotparser.RobotFileParser()
    robots.parse((SITE / "robots.txt").read_text(encoding="utf-8").splitlines())
    member = manifest["special"]["robots_disallowed"]["path"]
    assert member.startswith("/member/")
    assert member in HREF.findall((SITE / "index.html").read_text(encoding="utf-8"))
    assert not robots.can_fetch("lendcorpus", f"https://{HOST}{member}")
    assert robots.can_fetch("lendcorpus", f"https://{HOST}/a/1001.html")
    assert robots.can_fetch("lendcorpus", f"https://{HOST}/list_2.html")
    assert robots.site_maps() == [f"https://{HOST}/sitemap.xml"]


def test_rule_selectors_find_title_body_and_date_on_every_article(manifest, rules):
    formats = rules["extract"]["date_formats"]
    for key, entry in manifest["articles"].items():
        title, body, date = page_text(page_raw(entry), rules)
        assert title == entry["title"], key
        assert len(HAN.findall(body)) > 500, key
        assert "分享到" not in body, key  # dropped by the rules
        parsed = None
        for fmt in formats:
            try:
                parsed = datetime.strptime(date, fmt)
                break
            except ValueError:
                continue
        assert parsed is not None, (key, date)
        assert f"{parsed:%Y-%m-%d %H:%M}" == entry["date"], key


def test_template_text_sits_inside_the_content_div(manifest, rules):
    # Documented choice: the farm's template lines are part of the body the rules extract.
    for key, entry in manifest["articles"].items():
        _, body, _ = page_text(page_raw(entry), rules)
        plain = opencc.OpenCC("t2s").convert(farmgen.strip_pinyin(body))  # either script
        for marker in ("精彩评论", "小编导语", "小编总结", "删帖举报联系方式"):
            assert marker in plain, (key, marker)
        assert f"{farmgen.INVENTED_PHONE} {farmgen.INVENTED_QQ}" in body, key


# --------------------------------------------------------------------------- pinyin


def test_every_pinyin_annotation_is_a_valid_reading(manifest, rules):
    seen = 0
    for key, entry in manifest["articles"].items():
        _, body, _ = page_text(page_raw(entry), rules)
        found = ANNOTATION.findall(body)
        assert bool(found) == entry["pinyin"], key
        for ch, reading in found:
            assert reading in pinyin(ch, style=Style.TONE, heteronym=True)[0], (key, ch, reading)
        seen += len(found)
    assert seen > 500


def test_added_annotations_mirror_the_seeds(manifest, rules):
    # Pages annotated by the generator: default reading, every occurrence of a chosen character,
    # 10-20% of the Han characters of the content area.
    added = [(k, e) for k, e in manifest["articles"].items() if "pinyin" in e["kinds"]]
    assert len(added) >= 4
    for key, entry in added:
        _, body, _ = page_text(page_raw(entry), rules)
        found = ANNOTATION.findall(body)
        chars = {ch for ch, _ in found}
        for ch, reading in found:
            assert reading == pinyin(ch, style=Style.TONE)[0][0], (key, ch)
        bare = ANNOTATION.sub("", body)
        assert not any(ch in bare for ch in chars), key
        ratio = len(found) / len(HAN.findall(ANNOTATION.sub(r"\1", body)))
        assert 0.10 <= ratio <= 0.20, (key, ratio)


# --------------------------------------------------------------------------- special pages


def test_charset_liar_is_gb18030_declared_utf8(manifest, routes):
    liar = manifest["special"]["charset_liar"]
    raw = (SITE / liar["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert '<meta charset="utf-8">' in text
    assert routes[liar["path"]]["content_type"] == "text/html; charset=utf-8"
    assert manifest["articles"][str(liar["id"])]["encoding"] == "gb18030"
    assert manifest["articles"][str(liar["id"])]["in_sitemap"]


def test_special_pages_are_routed_linked_and_kept_out_of_the_sitemap(manifest, routes):
    special = manifest["special"]
    assert set(special) == {"charset_liar", "not_found", "server_error", "empty_body", "no_body", "slow",
                            "redirect", "robots_disallowed", "robots_article"}
    sitemap = (SITE / "sitemap.xml").read_text(encoding="utf-8")
    lists = {p: (SITE / ("index.html" if p == "/" else p.lstrip("/"))).read_text(encoding="utf-8")
             for p in manifest["lists"]}
    robots = (SITE / "robots.txt").read_text(encoding="utf-8")
    assert f"Disallow: {special['robots_article']['path']}\n" in robots
    for kind, info in special.items():
        if kind in ("robots_disallowed", "robots_article"):
            assert info["path"] not in routes and f"{info['path']}<" not in sitemap
            assert (SITE / info["file"]).exists()
            continue
        route = routes[info["path"]]
        assert route.get("status", 200) == info["status"], kind
        assert info["path"] in HREF.findall(lists[info["linked_from"]]), kind
        assert (f"https://{HOST}{info['path']}<" in sitemap) == (kind == "charset_liar"), kind
    assert set(routes) == {info["path"] for kind, info in special.items()
                           if kind not in ("robots_disallowed", "robots_article")}

    assert not (SITE / special["not_found"]["path"].lstrip("/")).exists()
    assert routes[special["not_found"]["path"]]["status"] == 404
    assert routes[special["server_error"]["path"]]["status"] == 500
    assert routes[special["empty_body"]["path"]]["body"] == ""
    assert (SITE / special["no_body"]["file"]).read_bytes() == b"<html><head><title>x</title></head></html>"

    redirect = routes[special["redirect"]["path"]]
    assert redirect["status"] == 301
    target = redirect["headers"]["Location"]
    assert target == special["redirect"]["location"]
    assert any(e["path"] == target and e["special"] is None for e in manifest["articles"].values())

    slow = special["slow"]
    assert routes[slow["path"]]["delay"] == 30
    assert slow["linked_from"] == manifest["lists"][-1]
    linking = [p for p in SITE.rglob("*.html") if slow["path"] in HREF.findall(p.read_text(encoding="utf-8", errors="replace"))]
    assert [p.relative_to(SITE).as_posix() for p in linking] == [manifest["lists"][-1].lstrip("/")]


# --------------------------------------------------------------------------- manifest and corpus


def test_manifest_agrees_with_the_files(manifest):
    files = {p.relative_to(SITE).as_posix() for p in (SITE / "a").iterdir()}
    want = {e["file"] for e in manifest["articles"].values()} | {manifest["special"]["no_body"]["file"]}
    assert files == want
    bases = {s.key for s in farmgen.load_sources()}
    ids = sorted(int(k) for k in manifest["articles"])
    assert 24 <= len(ids) <= 40
    assert ids[0] >= 1001
    dates = [manifest["articles"][str(i)]["date"] for i in ids]
    assert dates == sorted(dates)
    per_base: dict[str, int] = {}
    for entry in manifest["articles"].values():
        assert entry["base"] in bases
        assert entry["kinds"] and set(entry["kinds"]) <= KINDS
        assert entry["script"] in ("hant", "hans")
        per_base[entry["base"]] = per_base.get(entry["base"], 0) + 1
    assert sum(1 for n in per_base.values() if n >= 2) >= 8  # near-duplicate positives
    assert {"seed", "original", "spun", "simplified", "pinyin", "unpinyin", "rewrapped"} <= {
        k for e in manifest["articles"].values() for k in e["kinds"]}
    n_entries = len(ids) + sum(1 for k in ("not_found", "server_error", "empty_body", "no_body", "redirect"))
    assert len(manifest["lists"]) == -(-n_entries // farmgen.PER_LIST_PAGE)
    for path in manifest["lists"]:
        html = (SITE / ("index.html" if path == "/" else path.lstrip("/"))).read_text(encoding="utf-8")
        assert ("下一頁" in html) == (path != manifest["lists"][-1])


def test_corpus_articles():
    sources = farmgen.load_sources()
    ours = [s for s in sources if not s.seed_file]
    assert len([s for s in sources if s.seed_file]) == 4
    assert len(ours) >= 10
    assert {s.script for s in ours} == {"hant", "hans"}
    assert len({s.key for s in sources}) == len(sources)
    same_platform = 0
    for s in ours:
        text = (CORPUS / s.file).read_text(encoding="utf-8")
        assert 800 <= len(text) <= 2500, s.file
        assert not ANNOTATION.search(text), s.file
        same_platform += "新橙分期" in text
    assert same_platform >= 3
    assert (CORPUS / "README.md").is_file()
