"""The corpus explorer (`lendcorpus serve`) on the demo corpus: search and facets, the document
page, provenance, platform pages, hostile strings, masking, no write path, and a build that runs
while the explorer serves. HTTP through Starlette's client for the page contents; a real server
and Debian's Chromium (driven by Playwright) for the click-through."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from starlette.testclient import TestClient

from lc_testkit import FAST, REPO, query, run_cli

PHONE = "13987654321"  # invented
HOSTILE_TITLE = '<script>alert("t")</script>借呗催收<img src=x onerror=alert(1)>'
HOSTILE_TEXT = ('借呗逾期后催收爆通讯录，"><script>alert("x")</script><iframe src="javascript:alert(2)"></iframe>'
                f"催收员打{PHONE}骚扰我的家人，还威胁要上门。")
HOSTILE_URL = 'https://evil.example/"><script>alert(3)</script>'
ARTIFACTS = Path(os.environ.get("LENDCORPUS_TEST_ARTIFACTS", REPO / "build" / "test-artifacts")) / "explorer"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """The demo corpus plus one hostile document (inserted as a build would, then re-tagged)."""
    home = tmp_path_factory.mktemp("explorer")
    run_cli("demo", "--quiet", env={"LENDCORPUS_HOME": str(home)}, timeout=300)
    db = home / "corpus.duckdb"
    from lendcorpus.corpus import connect_write
    from lendcorpus.pipelines.search_index import SearchIndexPass
    from lendcorpus.pipelines.tag.corpus_pass import TagPass

    con = connect_write(db)
    path, offset = con.execute("SELECT archive_path, archive_offset FROM documents WHERE kind = 'complaint' "
                               "ORDER BY doc_id LIMIT 1").fetchone()
    con.execute("INSERT INTO documents (doc_id, source, kind, url, title, text, text_clean, text_simplified, "
                "extractor, archive_path, archive_offset) VALUES ('web:hostile', 'web', 'article', ?, ?, ?, ?, ?, "
                "'generic:test', ?, ?)", [HOSTILE_URL, HOSTILE_TITLE, HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT,
                                          path, offset])
    TagPass().run(con)
    SearchIndexPass().run(con)
    con.close()
    return home


@pytest.fixture(scope="module")
def db(home) -> Path:
    return home / "corpus.duckdb"


@pytest.fixture(scope="module")
def client(home, db):
    from lendcorpus.analysis.explorer import create_app

    return TestClient(create_app(db, archive_root=home / "archive"))


def test_search_one_hit_per_cluster_with_copies_and_facets_that_add_up(client, db):
    page = client.get("/", params={"q": "爆通讯录"})
    assert page.status_code == 200
    hits = re.findall(r'<div class="hit" data-doc="([^"]+)">', page.text)
    total = int(re.search(r'id="count">([\d,]+)', page.text).group(1).replace(",", ""))
    clusters = query(db, "SELECT count(DISTINCT coalesce(m.cluster_id, d.doc_id)) FROM documents d "
                         "LEFT JOIN dedup_members m USING (doc_id) WHERE d.doc_id IN "
                         "(SELECT doc_id FROM search_bm25('爆通讯录'))")[0][0]
    assert total == clusters > 0 and len(hits) == min(20, clusters)
    got_clusters = query(db, "SELECT count(DISTINCT coalesce(m.cluster_id, d.doc_id)) FROM documents d LEFT JOIN "
                             "dedup_members m USING (doc_id) WHERE d.doc_id IN (SELECT unnest(?))", [hits])[0][0]
    assert got_clusters == len(hits)  # never two copies of one article
    if "copies</span>" in page.text:
        n = int(re.search(r'(\d+) copies</span>', page.text).group(1))
        assert n > 1
    # every cluster has a kind: the kind counts cover the total; following one gives that count
    kinds = re.search(r'<ul data-facet="kind">(.*?)</ul>', page.text, re.S).group(1)
    pairs = re.findall(r'href="([^"]+)">(\w+)</a> <span class="meta">([\d,]+)</span>', kinds)
    assert sum(int(n.replace(",", "")) for _, _, n in pairs) >= total
    href, kind, n = pairs[0]
    sub = client.get(href.replace("&amp;", "&"))
    assert f"kind={kind}" in href and int(re.search(r'id="count">([\d,]+)', sub.text).group(1)) == int(n)


def test_filters_are_shareable_urls(client):
    url = "/?q=催收&kind=complaint&relevant=yes"
    a, b = client.get(url).text, client.get(url).text
    hits_a = re.findall(r'data-doc="([^"]+)"', a)
    assert hits_a and hits_a == re.findall(r'data-doc="([^"]+)"', b)
    assert all(d.split(":")[0] in ("heimao", "jutousu", "liuyan") for d in hits_a)


def test_document_page_highlights_evidence_and_shows_changes(client, db):
    doc_id = query(db, "SELECT t.doc_id FROM document_tags t JOIN documents d USING (doc_id) WHERE d.kind = 'article' "
                       "AND len(t.practices) > 0 AND d.pinyin_removed > 0 ORDER BY doc_id LIMIT 1")[0][0]
    page = client.get(f"/doc/{doc_id}").text
    spans = query(db, "SELECT count(*) FROM document_practices WHERE doc_id = ?", [doc_id])[0][0]
    tagged = page[page.index('id="tagged"'):page.index("</div>", page.index('id="tagged"'))]
    assert tagged.count('<mark class="practice"') == spans > 0
    diff = page[page.index('id="diff"'):]
    assert "<del" in diff  # inline pinyin struck through on the original side
    cluster = query(db, "SELECT count(*) FROM dedup_members WHERE cluster_id = (SELECT cluster_id FROM dedup_members "
                        "WHERE doc_id = ?)", [doc_id])[0][0]
    if cluster > 1:
        assert page.count('<a href="/doc/') >= cluster - 1 and 'id="cluster"' in page


def test_complaint_page_has_timeline_and_company_reply(client, db):
    cid = query(db, "SELECT complaint_id FROM complaint_events WHERE actor_role = 'company' ORDER BY 1 LIMIT 1")[0][0]
    page = client.get(f"/doc/{cid}").text
    timeline = page[page.index('id="timeline"'):]
    n = query(db, "SELECT count(*) FROM complaint_events WHERE complaint_id = ?", [cid])[0][0]
    assert timeline.count("<li>") >= n and "company" in timeline


def test_post_page_shows_the_threads_floors(client, db):
    post, thread = query(db, "SELECT post_id, thread_id FROM forum_posts p WHERE (SELECT count(*) FROM forum_posts q "
                             "WHERE q.thread_id = p.thread_id) > 2 ORDER BY 1 LIMIT 1")[0]
    page = client.get(f"/doc/{post}").text
    floors = query(db, "SELECT count(*) FROM forum_posts WHERE thread_id = ?", [thread])[0][0]
    assert page[page.index('id="floors"'):].count("<li") == min(floors, 300)


def test_provenance_page_and_sandboxed_archived_page(client, db):
    doc_id = query(db, "SELECT doc_id FROM documents WHERE source = 'jiedai_baike' ORDER BY 1 LIMIT 1")[0][0]
    page = client.get(f"/archive/{doc_id}")
    assert 'sandbox=""' in page.text and f'src="/archive-body/{doc_id}"' in page.text
    run = query(db, "SELECT f.run_id FROM documents d JOIN fetches f USING (archive_path, archive_offset) "
                    "WHERE d.doc_id = ?", [doc_id])[0][0]
    assert run in page.text and "Content-Type" in page.text
    body = client.get(f"/archive-body/{doc_id}")
    csp = body.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp and "script-src" not in csp
    assert "<html" in body.text.lower()
    # the raw record is personal data: refused unless --show-personal
    assert client.get(f"/archive-record/{doc_id}").status_code == 403


def test_raw_record_download_with_show_personal(home, db):
    from lendcorpus.analysis.explorer import create_app
    from lendcorpus.archive import iter_archive

    c = TestClient(create_app(db, show_personal=True, archive_root=home / "archive"))
    doc_id = query(db, "SELECT doc_id FROM documents WHERE source = 'jiedai_baike' ORDER BY 1 LIMIT 1")[0][0]
    resp = c.get(f"/archive-record/{doc_id}")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/warc")
    out = home / "one.warc.gz"
    out.write_bytes(resp.content)
    (rec,) = [r for r in iter_archive(out)]
    assert rec.url == query(db, "SELECT url FROM documents WHERE doc_id = ?", [doc_id])[0][0]


def test_platform_page_charts_and_numbers(client, db):
    pid, n = query(db, "SELECT platform, complaints FROM resolution_rates ORDER BY complaints DESC, platform LIMIT 1")[0]
    page = client.get(f"/platform/{pid}").text
    assert page.count('src="data:image/png;base64,') == 3
    assert f"{n:,} complaints" in page
    assert client.get("/platform/nosuch").status_code == 404


def test_hostile_strings_are_escaped_everywhere(client):
    for url in ("/?q=借呗催收", "/doc/web:hostile", "/archive/web:hostile"):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page and '<iframe src="javascript' not in page
        assert page.count("<script") == 0  # the explorer itself needs no script
    doc = client.get("/doc/web:hostile").text
    assert "&lt;script&gt;alert(" in doc
    assert 'href="https://evil.example' not in doc  # scraped URLs are shown, never linked


def test_personal_data_masked_unless_asked(home, db, client):
    assert PHONE not in client.get("/doc/web:hostile").text
    from lendcorpus.analysis.explorer import create_app

    shown = TestClient(create_app(db, show_personal=True, archive_root=home / "archive")).get("/doc/web:hostile").text
    assert PHONE in shown


def test_no_write_path_and_corpus_unchanged(client, db):
    before = _sha(db)
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/").status_code == 405
    client.get("/?q=DROP TABLE documents; --")
    client.get("/doc/x'; DELETE FROM documents; --")
    assert _sha(db) == before


# ----------------------------------------------------------------------------- a real server


def _listening_hosts(port: int) -> set[str]:
    """The addresses a listening TCP socket on ``port`` is bound to (from /proc/net/tcp*)."""
    import ipaddress

    hosts = set()
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                raw = bytes.fromhex(addr)
                # the kernel prints each 32-bit word in host (little-endian) order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                hosts.add(str(ipaddress.ip_address(raw)))
    return hosts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(home: Path):
    """Start `lendcorpus serve` on ``home``'s corpus; returns (process, base URL)."""
    import httpx

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lendcorpus.cli", "serve", "--port", str(port)],
                            env={**os.environ, "LENDCORPUS_HOME": str(home)}, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(base + "/platforms", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("the explorer did not start: " + proc.stderr.read().decode()[-2000:])


@pytest.fixture()
def server(tmp_path):
    """`lendcorpus serve` on a corpus of one farm site; yields (base URL, home)."""
    home = tmp_path / "data"
    run_cli("crawl", "jiedai_baike", "--replay", *FAST, env={"LENDCORPUS_HOME": str(home)}, timeout=300)
    run_cli("build", env={"LENDCORPUS_HOME": str(home)}, timeout=300)
    proc, base = _serve(home)
    yield base, home
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture()
def demo_server(home):
    proc, base = _serve(home)
    yield base
    proc.terminate()
    proc.wait(timeout=20)


def test_a_build_proceeds_while_the_explorer_serves(server):
    import threading

    import httpx

    base, home = server
    env = {"LENDCORPUS_HOME": str(home)}
    before = httpx.get(base + "/").text
    assert "jinrong_ribao" not in before
    run_cli("crawl", "jinrong_ribao", "--replay", *FAST, env=env, timeout=300)
    statuses: list[int] = []
    stop = threading.Event()

    def browse() -> None:
        while not stop.is_set():
            statuses.append(httpx.get(base + "/", timeout=30).status_code)

    t = threading.Thread(target=browse)
    t.start()
    try:
        build = run_cli("build", env=env, timeout=300, check=False)
    finally:
        stop.set()
        t.join()
    assert build.returncode == 0, build.stderr[-2000:]
    assert statuses and set(statuses) <= {200, 503}  # during the build: the page or "try again", never a 500
    after = httpx.get(base + "/").text
    assert "jinrong_ribao" in after  # the new corpus, without restarting the explorer


def test_click_through_in_chromium(demo_server, db):
    from playwright.sync_api import sync_playwright

    base = demo_server
    assert _listening_hosts(int(base.rsplit(":", 1)[1])) == {"127.0.0.1"}  # loopback only by default
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: run .ci/chromium.sh")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    responses: list[str] = []
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("response", lambda r: responses.append(r.url))
        page.on("console", lambda m: console.append(m.text))
        # search → a complaint
        page.goto(base + "/")
        page.fill("input[name=q]", "爆通讯录")
        page.click("button[type=submit]")
        page.wait_for_selector(".hit")
        assert "q=" in page.url and page.input_value("input[name=q]") == "爆通讯录"
        page.click("ul[data-facet=kind] a:text('complaint')")
        page.wait_for_selector(".hit")
        assert "kind=complaint" in page.url
        page.screenshot(path=str(ARTIFACTS / "1-search.png"), full_page=True)
        page.click(".hit h2 a")
        page.wait_for_selector("#tagged mark.practice")
        assert "/doc/" in page.url and page.query_selector("#timeline")
        page.screenshot(path=str(ARTIFACTS / "2-document.png"), full_page=True)
        doc_url = page.url
        # → the archived response
        page.click("#archive-link")
        frame_el = page.wait_for_selector("iframe#archived")
        assert frame_el.get_attribute("sandbox") == ""
        frame_el.content_frame().wait_for_load_state()
        page.screenshot(path=str(ARTIFACTS / "3-archive.png"), full_page=True)
        # → a platform the complaint names
        page.goto(doc_url)
        page.click("#tags a[href^='/platform/']")
        page.wait_for_selector("#chart-months img")
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        page.screenshot(path=str(ARTIFACTS / "4-platform.png"), full_page=True)
        # a farm article: the archived HTML page renders inside the sandbox
        art = query(db, "SELECT doc_id FROM documents WHERE source = 'jiedai_baike' ORDER BY 1 LIMIT 1")[0][0]
        page.goto(f"{base}/archive/{art}")
        frame = page.wait_for_selector("iframe#archived").content_frame()
        frame.wait_for_load_state()
        assert len(frame.inner_text("body")) > 100
        # a complaint's timeline with the company's reply, a thread's floors, the repairs by kind
        cid = query(db, "SELECT complaint_id FROM complaint_events WHERE actor_role = 'company' ORDER BY 1 LIMIT 1")[0][0]
        page.goto(f"{base}/doc/{cid}")
        assert "company" in page.inner_text("#timeline")
        page.screenshot(path=str(ARTIFACTS / "5-complaint-timeline.png"), full_page=True)
        post = query(db, "SELECT post_id FROM forum_posts p WHERE (SELECT count(*) FROM forum_posts q "
                         "WHERE q.thread_id = p.thread_id) > 2 ORDER BY 1 LIMIT 1")[0][0]
        page.goto(f"{base}/doc/{post}")
        assert len(page.query_selector_all("#floors > li")) > 2
        page.screenshot(path=str(ARTIFACTS / "6-thread-floors.png"), full_page=True)
        moji = query(db, "SELECT doc_id FROM documents WHERE repairs::VARCHAR LIKE '%mojibake%' ORDER BY 1 LIMIT 1")[0][0]
        page.goto(f"{base}/doc/{moji}")
        assert page.is_visible("#diff del.mojibake") and page.is_visible("#diff ins.mojibake")
        page.locator("#diff del.mojibake").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "7-repairs.png"))
        # hostile strings stay text
        page.goto(base + "/doc/web:hostile")
        page.goto(base + "/archive/web:hostile")
        page.wait_for_timeout(300)
        browser.close()
    assert not dialogs, f"a script ran: {dialogs}"
    # nothing outside the explorer answered, and the browser itself refused the archived page's
    # own stylesheet link because of the sandbox policy (not merely because the host is unreachable)
    assert all(u.startswith(base) or u.startswith("data:") for u in responses), \
        [u for u in responses if not u.startswith(base)][:5]
    assert any("Content Security Policy" in m for m in console), console[:5]
    assert (ARTIFACTS / "2-document.png").stat().st_size > 10_000


# ----------------------------------------------------------------------------- repairs, by kind


def _doc_where(db: Path, where: str) -> tuple:
    rows = query(db, f"SELECT doc_id, text, text_clean, repairs, gaps, boilerplate_lines, pinyin_removed "
                     f"FROM documents WHERE {where} ORDER BY doc_id LIMIT 1")
    assert rows, f"the demo corpus has no document with {where}"
    doc_id, text, clean, repairs, gaps, bp, pinyin = rows[0]
    # repairs: a list of structs (migration 0024); gaps: JSON text
    return doc_id, text, clean, repairs or [], json.loads(gaps or "[]"), bp, pinyin


def test_every_repair_is_marked_with_its_kind(client, db):
    """Pinyin removed, mojibake repaired, gaps and boilerplate lines: each marked as what it is."""
    from markupsafe import escape

    # inline pinyin: every removed annotation struck through as pinyin, nothing else marked
    doc_id, text, clean, repairs, _, _, pinyin = _doc_where(
        db, "pinyin_removed > 0 AND repairs::VARCHAR NOT LIKE '%mojibake%'")
    page = client.get(f"/doc/{doc_id}").text
    left = page[page.index('id="diff"'):page.index("<h3>clean</h3>")]
    marked = re.findall(r'<del class="repair ([^"]+)" title="[^"]*">([^<]*)</del>', left)
    assert len(marked) == pinyin == len(repairs) > 0
    assert [m[1] for m in marked] == [str(escape(r["before"])) for r in repairs]
    assert {m[0] for m in marked} == {"pinyin"}
    # mojibake: the garbled original struck through, the repaired text inserted, both named
    doc_id, text, clean, repairs, _, _, _ = _doc_where(db, "repairs::VARCHAR LIKE '%mojibake%'")
    page = client.get(f"/doc/{doc_id}").text
    moji = [r for r in repairs if r["step"] == "mojibake"][0]
    assert re.search(r'<del class="repair mojibake[^"]*" title="mojibake repaired[^"]*">' + re.escape(
        str(escape(moji["before"]))), page)
    assert re.search(r'<ins class="repair mojibake[^"]*" title="mojibake repaired[^"]*">' + re.escape(
        str(escape(moji["after"]))), page)
    # gaps: marked on the clean side where the normaliser recorded them
    doc_id, text, clean, repairs, gaps, _, _ = _doc_where(
        db, "gaps::VARCHAR <> '[]' AND (repairs IS NULL OR repairs::VARCHAR = '[]') AND kind = 'article'")
    page = client.get(f"/doc/{doc_id}").text
    right = page[page.index("<h3>clean</h3>"):]
    got = re.findall(r'<mark class="gap" title="keyword-filter gap: ([^"]+)">', right)
    assert got == [g["kind"] for g in sorted(gaps, key=lambda g: g["start"]) if g["end"] > g["start"]] and got
    # boilerplate: every removed line struck through as boilerplate
    doc_id, *_, bp, _ = _doc_where(db, "boilerplate_lines > 0")
    page = client.get(f"/doc/{doc_id}").text
    assert page[page.index('id="boilerplate"'):].count('<del class="boilerplate"') == bp


def test_repair_marks_replay_the_log_exactly(db):
    """The marked pieces put together give back the original on one side and the clean text on
    the other, for every document with repairs; a change of one step inside another's is shown
    as both; a log that does not fit the text falls back to a plain diff."""
    from lendcorpus.analysis.explorer.render import _pieces, diff

    rows = query(db, "SELECT text, text_clean, repairs FROM documents WHERE repairs::VARCHAR <> '[]'")
    assert len(rows) > 5
    for text, clean, repairs in rows:
        pieces = _pieces(text, repairs)
        assert pieces is not None
        assert "".join(p[0] for p in pieces) == text and "".join(p[1] for p in pieces) == clean
    log = [{"step": "mojibake", "start": 2, "end": 3, "before": "錯", "after": "对(duì)"},
           {"step": "pinyin", "start": 3, "end": 8, "before": "(duì)", "after": ""}]
    assert _pieces("ab錯cd", log) == [["ab", "ab", []], ["錯", "对", ["mojibake", "pinyin"]], ["cd", "cd", []]]
    two = [{"step": "mojibake", "start": 1, "end": 2, "before": "X", "after": "甲(a)乙(b)"},
           {"step": "pinyin", "start": 2, "end": 5, "before": "(a)", "after": ""},
           {"step": "pinyin", "start": 6, "end": 9, "before": "(b)", "after": ""}]
    assert _pieces("aXc", two) == [["a", "a", []], ["X", "甲乙", ["mojibake", "pinyin"]], ["c", "c", []]]
    assert _pieces("abc", [{"step": "unicode", "start": 1, "end": 1, "before": "", "after": "Z"}]) == \
        [["a", "a", []], ["", "Z", ["unicode"]], ["bc", "bc", []]]
    assert _pieces("ab錯cd", [{"step": "pinyin", "start": 0, "end": 2, "before": "zz", "after": ""}]) is None
    left, right, n = diff("ab錯cd", "ab对cd", str, [{"step": "x", "start": 9, "end": 10, "before": "q", "after": ""}])
    assert n == 1 and 'class="repair"' in left and "对" in right


# ----------------------------------------------------------------------------- what a user checks


def _count(page: str) -> int:
    return int(re.search(r'id="count">([\d,]+)', page).group(1).replace(",", ""))


def _facet_links(page: str, facet: str) -> list[tuple[str, str, int]]:
    block = re.search(rf'<ul data-facet="{facet}">(.*?)</ul>\s*(?:<h3>|</aside>)', page, re.S).group(1)
    return [(h.replace("&amp;", "&"), label, int(n.replace(",", ""))) for h, label, n in
            re.findall(r'href="([^"]+)">([^<]+)</a> <span class="meta">([\d,]+)</span>', block)]


@pytest.mark.parametrize("q", ["催收", ""])
def test_every_facet_value_leads_to_its_count(client, q):
    """Each of the six facets has counts, and following a value shows exactly that many clusters
    (the most and the least common value of each). A facet counts the clusters with a matching
    copy that has the value, so a value never promises more or fewer hits than it gives."""
    from urllib.parse import quote

    from lendcorpus.analysis.explorer.queries import FACETS

    page = client.get("/", params={"q": q}).text
    total = _count(page)
    assert total > 0
    for facet in FACETS:
        links = _facet_links(page, facet)
        assert links, facet
        # a cluster counts under each value one of its matching copies has
        assert all(0 < n <= total for *_, n in links), facet
        if facet in ("source", "kind", "relevant"):  # every copy has one: together they cover all
            assert sum(n for *_, n in links) >= total, facet
        for href, label, n in {links[0], links[-1]}:
            assert f"{facet}=" in href and (f"q={quote(q)}" in href or not q)
            sub = client.get(href).text
            assert _count(sub) == n, (facet, label)
            assert f'class="on" href' in sub  # the chosen value is shown as chosen


def test_a_shared_url_restores_every_filter(client, db):
    """A URL with words, all six filters and a page opens that exact state, and every link on
    it (facets, pages) keeps the state."""
    doc_id, platform, practice, month = query(db, """
        SELECT d.doc_id, t.platforms[1], t.practices[1], strftime(d.published_at AT TIME ZONE 'UTC', '%Y-%m')
        FROM documents d JOIN document_tags t USING (doc_id)
        WHERE d.kind = 'complaint' AND t.relevant AND len(t.platforms) > 0 AND len(t.practices) > 0
          AND d.published_at IS NOT NULL ORDER BY d.doc_id LIMIT 1""")[0]
    source = doc_id.split(":")[0]
    params = {"q": "催收", "source": source, "kind": "complaint", "platform": platform, "practice": practice,
              "month": month, "relevant": "yes"}
    page = client.get("/", params=params).text
    for k, v in params.items():
        if k != "q":
            assert f'<span class="badge">{k}={v} ' in page  # shown as an active filter
    assert 'value="催收"' in page
    hits = re.findall(r'data-doc="([^"]+)"', page)
    assert hits and all(h.startswith(source + ":") for h in hits)
    from urllib.parse import parse_qs, urlsplit

    for href, _, _ in _facet_links(page, "month") + _facet_links(page, "practice"):
        kept = parse_qs(urlsplit(href).query)
        assert all(kept.get(k) == [v] for k, v in params.items() if k not in ("month", "practice")), href


def test_copies_and_cluster_members(client, db):
    """A cluster of copies is one hit saying how many copies matched, and each copy's page
    links to the others."""
    # an article copied to several sites, whose title no other cluster has
    members, title = query(db, """
        WITH c AS (SELECT m.cluster_id, list(m.doc_id ORDER BY m.doc_id) AS members, any_value(d.title) AS title
                   FROM dedup_members m JOIN documents d USING (doc_id) WHERE d.kind = 'article'
                   GROUP BY 1 HAVING count(*) > 1 AND count(DISTINCT d.title) = 1)
        SELECT members, title FROM c WHERE (SELECT count(DISTINCT m2.cluster_id) FROM documents d2
              JOIN dedup_members m2 USING (doc_id) WHERE d2.title = c.title) = 1
        ORDER BY len(members) DESC, cluster_id LIMIT 1""")[0]
    page = client.get("/", params={"q": title, "kind": "article"}).text
    blocks = re.findall(r'<div class="hit" data-doc="([^"]+)">(.*?)</p>\s*</div>', page, re.S)
    mine = [(d, b) for d, b in blocks if d in members]
    assert len(mine) == 1  # one hit for the whole cluster
    assert f"{len(members)} copies" in mine[0][1]
    for doc_id in members:
        doc = client.get(f"/doc/{doc_id}").text
        table = doc[doc.index('id="cluster"'):]
        others = [m for m in members if m != doc_id]
        assert all(f'<a href="/doc/{m}">' in table for m in others) and "<b>this</b>" in table


def test_platform_and_practice_evidence_is_highlighted_where_found(client, db):
    doc_id, column = query(db, """
        SELECT t.doc_id, t.text_column FROM document_tags t WHERE len(t.platforms) > 0 AND len(t.practices) > 0
        ORDER BY t.doc_id LIMIT 1""")[0]
    text = query(db, f"SELECT {column} FROM documents WHERE doc_id = ?", [doc_id])[0][0]
    page = client.get(f"/doc/{doc_id}").text
    tagged = page[page.index('id="tagged"'):page.index("</div>", page.index('id="tagged"'))]
    for cls, table, key in (("platform", "document_platforms", "platform"), ("practice", "document_practices",
                                                                                  "practice")):
        spans = query(db, f"SELECT {key}, start_pos, end_pos FROM {table} WHERE doc_id = ? ORDER BY 2", [doc_id])
        marks = re.findall(rf'<mark class="{cls}" title="{cls} ([^:]+): [^"]*">([^<]*)</mark>', tagged)
        assert marks and set(marks) <= {(k, text[s:e]) for k, s, e in spans}, cls


def test_provenance_shows_fetch_time_run_and_headers(client, db):
    doc_id = query(db, "SELECT doc_id FROM documents WHERE source = 'heimao' ORDER BY 1 LIMIT 1")[0][0]
    fetched, run, status = query(db, "SELECT f.fetched_at, f.run_id, f.status FROM documents d JOIN fetches f "
                                     "USING (archive_path, archive_offset) WHERE d.doc_id = ?", [doc_id])[0]
    from lendcorpus.analysis.explorer.app import _fmt_time

    page = client.get(f"/archive/{doc_id}").text
    assert _fmt_time(fetched) in page and run in page and f"HTTP {status}" in page
    headers = page[page.index("Response headers"):page.index("The page as archived")]
    assert "Content-Type" in headers and "Date" in headers


def test_hostile_query_strings_and_paths_stay_text(client):
    evil = '"><script>alert(9)</script><img src=x onerror=alert(8)>'
    for url, params in (("/", {"q": evil, "source": evil, "platform": evil, "page": "abc"}),
                        ("/", {"kind": evil}), (f"/doc/{evil}", None), (f"/archive/{evil}", None),
                        (f"/platform/{evil}", None)):
        resp = client.get(url, params=params)
        assert resp.status_code in (200, 404)
        assert "<script>alert(9)" not in resp.text and "<img src=x" not in resp.text
        assert "&lt;script&gt;alert(9)" in resp.text or resp.status_code == 404


def test_search_results_are_masked_too(home, db, client):
    """The phone in the hostile document's text is masked in its search snippet, shown only
    with --show-personal."""
    page = client.get("/", params={"q": "骚扰我的家人"}).text
    assert 'data-doc="web:hostile"' in page and PHONE not in page
    from lendcorpus.analysis.explorer import create_app

    shown = TestClient(create_app(db, show_personal=True, archive_root=home / "archive"))
    assert PHONE in shown.get("/", params={"q": "骚扰我的家人"}).text


def test_forum_user_names_only_with_show_personal(home, db, client):
    post, thread = query(db, "SELECT post_id, thread_id FROM forum_posts p WHERE (SELECT count(*) FROM forum_posts q "
                             "WHERE q.thread_id = p.thread_id) > 2 ORDER BY 1 LIMIT 1")[0]
    authors = {a for (a,) in query(db, "SELECT DISTINCT author FROM forum_posts WHERE thread_id = ? "
                                       "AND length(author) >= 3", [thread])}
    assert authors
    floors = client.get(f"/doc/{post}").text
    floors = floors[floors.index('id="floors"'):]
    assert not any(a in floors for a in authors)
    from lendcorpus.analysis.explorer import create_app

    shown = TestClient(create_app(db, show_personal=True, archive_root=home / "archive")).get(f"/doc/{post}").text
    assert any(a in shown[shown.index('id="floors"'):] for a in authors)
