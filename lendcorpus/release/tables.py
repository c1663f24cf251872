"""What a release contains: one spec per published table — its SQL, its id, every column's type and
meaning. The Parquet schema, the data dictionary and the verifier all come from these specs, so the
documentation cannot drift from the files.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from lendcorpus.pipelines.extract.sources import complaint_platforms, registry

TS = pa.timestamp("us", tz="UTC")
STR = pa.string()
LIST_STR = pa.list_(pa.string())

STATUS_ENUM = ["submitted", "assigned", "in_progress", "replied", "resolved", "closed", "unknown"]
REDACTIONS_DOC = ("redaction log: JSON object `{type: count}` of personal data replaced in this row's text "
                  "columns (types: mobile, landline, id_card, bank_card, email, qq, wechat, name, address, plate, "
                  "handle, publisher_contact); `{}` when nothing was replaced. Never the values.")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    meaning: str
    enum: tuple[str, ...] = ()
    scrub: bool = False  # free text: scrubbed, and scanned by the final gate
    gate: bool = False   # short strings (names of companies, forums): scanned by the gate only


@dataclass(frozen=True)
class TableSpec:
    name: str
    id_column: str
    about: str
    columns: tuple[Column, ...]
    sql: str
    #: hidden helper columns the SQL returns for scrubbing only (never written)
    hidden: tuple[str, ...] = ("_handles", "_contacts")
    source_column: str | None = None
    doc_ids: bool = True  # the id is a documents.doc_id (takedowns and clusters apply)

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, metadata={"description": c.meaning}) for c in self.columns])

    def render(self, relevant_only: bool) -> str:
        """The SQL to run: irrelevant documents kept or not, by the one definition of relevant."""
        from lendcorpus.pipelines.tag.relevance import relevant_sql

        return self.sql.replace("{rel}", "FALSE" if relevant_only else "TRUE").replace("{relevant}", relevant_sql("t"))

    @property
    def text_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.scrub]

    @property
    def gate_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.scrub or c.gate]


# Filters shared by the document tables: relevance (unless --all) and takedowns (always).
# {rel} is replaced by TRUE when irrelevant documents are kept.
_TAGS = "LEFT JOIN document_tags t ON t.doc_id = {id} LEFT JOIN dedup_members m ON m.doc_id = {id}"
_KEEP = "({rel} OR {relevant}) AND {id} NOT IN (SELECT id FROM release_takedown_ids)"
_CONTACTS = ("LEFT JOIN (SELECT source, list(contact ORDER BY contact) AS contacts FROM publishers GROUP BY source) pub "
             "ON pub.source = d.source")

COMPLAINTS = TableSpec(
    name="complaints",
    id_column="complaint_id",
    source_column="platform",
    about="One row per complaint or letter, every platform ("
          + ", ".join(s.name for s in registry().values() if "complaints" in s.row_tables) + ").",
    columns=(
        Column("complaint_id", STR, "stable id `<platform>:<native id>` (`heimao:{sn}`); never changes across releases"),
        Column("platform", STR, "where it was filed", complaint_platforms()),
        Column("native_id", STR, "the platform's own id"),
        Column("url", STR, "public page of the complaint"),
        Column("title", STR, "title (scrubbed)", scrub=True),
        Column("company", STR, "who the complaint is against (投诉对象 / merchant); for letters, the office addressed", gate=True),
        Column("issue", STR, "投诉问题 / problem labels, joined with `；` (scrubbed)", scrub=True),
        Column("demand", STR, "投诉要求 / 诉求: what the complainant asks for (scrubbed)", scrub=True),
        Column("amount_yuan", pa.float64(), "涉诉金额 in yuan (`2.3万元` → 23000); null when not stated"),
        Column("status", STR, "status, one enum across platforms", tuple(STATUS_ENUM)),
        Column("status_raw", STR, "the status as the platform shows it (已完成, 处理中 …)", gate=True),
        Column("created_at", TS, "when it was filed (UTC)"),
        Column("updated_at", TS, "last change seen (UTC)"),
        Column("narrative", STR, "the complainant's full text: the corpus's cleaned main text (`text_main`), scrubbed; "
               "null when only the list entry was collected", scrub=True),
        Column("upvotes", pa.int32(), "platform counter when shown"),
        Column("comments", pa.int32(), "platform counter when shown"),
        Column("lang", STR, "language of the narrative (`zh`, `und`, …)"),
        Column("script", STR, "script of the narrative", ("hans", "hant", "mixed", "none")),
        Column("relevance", pa.float64(), "0–1 topic relevance for lending / debt collection (relevant at ≥ 0.5)"),
        Column("platforms", LIST_STR, "lending platforms named in the text: ids of the `platforms` table"),
        Column("practices", LIST_STR, "collection practices found: codes of the `practices` table"),
        Column("cluster_id", STR, "near-duplicate cluster (`clusters.cluster_id`); null when the text was not clustered"),
        Column("fetched_at", TS, "when the row was last collected (UTC)"),
        Column("redactions", STR, REDACTIONS_DOC),
    ),
    sql="""
        SELECT c.complaint_id, c.platform, c.native_id, c.url, c.title, c.company, c.issue, c.demand,
               c.amount_yuan, c.status, c.status_raw, c.created_at, c.updated_at,
               CASE WHEN d.doc_id IS NULL THEN NULL ELSE coalesce(d.text_main, d.text_clean) END AS narrative,
               c.upvotes, c.comments, d.lang, d.script, t.relevance, t.platforms, t.practices, m.cluster_id,
               c.fetched_at, NULL AS redactions,
               CASE WHEN c.author IS NULL THEN [] ELSE [c.author] END AS _handles, pub.contacts AS _contacts
        FROM complaints c LEFT JOIN documents d ON d.doc_id = c.complaint_id
        LEFT JOIN document_tags t ON t.doc_id = c.complaint_id LEFT JOIN dedup_members m ON m.doc_id = c.complaint_id
        LEFT JOIN (SELECT source, list(contact ORDER BY contact) AS contacts FROM publishers GROUP BY source) pub
          ON pub.source = d.source
        WHERE ({rel} OR {relevant}) AND c.complaint_id NOT IN (SELECT id FROM release_takedown_ids)
        ORDER BY c.complaint_id
    """,
)

COMPLAINT_EVENTS = TableSpec(
    name="complaint_events",
    id_column="event_id",
    source_column="actor_role",
    doc_ids=False,
    about="One row per step of a released complaint's timeline: filing, review, the company's replies, the "
          "consumer's confirmation, official replies to letters.",
    columns=(
        Column("event_id", STR, "`<complaint_id>#<seq, 4 digits>`; stable across releases"),
        Column("complaint_id", STR, "the complaint (`complaints.complaint_id`)"),
        Column("platform", STR, "where it was filed", complaint_platforms()),
        Column("seq", pa.int32(), "position in the timeline, oldest first (0 = filed)"),
        Column("actor_role", STR, "who acted", ("consumer", "company", "platform", "official")),
        Column("actor", STR, "name shown for companies, platforms and offices; `consumer` for the complainant "
               "(never a person's name)", gate=True),
        Column("status_raw", STR, "the step as the platform labels it (发起投诉, 商家已回复 …)", gate=True),
        Column("event_at", TS, "when the step happened (UTC)"),
        Column("text", STR, "what was written at this step — for company and official steps, the reply (scrubbed)",
               scrub=True),
        Column("redactions", STR, REDACTIONS_DOC),
    ),
    sql="""
        SELECT e.complaint_id || '#' || lpad(e.seq::VARCHAR, 4, '0') AS event_id, e.complaint_id, c.platform,
               e.seq, e.actor_role, CASE WHEN e.actor_role = 'consumer' THEN 'consumer' ELSE e.actor END AS actor,
               e.status_raw, e.event_at, e.text, NULL AS redactions,
               CASE WHEN c.author IS NULL THEN [] ELSE [c.author] END AS _handles, []::VARCHAR[] AS _contacts
        FROM complaint_events e JOIN complaints c ON c.complaint_id = e.complaint_id
        LEFT JOIN document_tags t ON t.doc_id = e.complaint_id
        WHERE ({rel} OR {relevant}) AND e.complaint_id NOT IN (SELECT id FROM release_takedown_ids)
        ORDER BY event_id
    """,
)

ARTICLES = TableSpec(
    name="articles",
    id_column="doc_id",
    source_column="source",
    about="One row per article page (content farms and news portals); copies of one article share a `cluster_id`.",
    columns=(
        Column("doc_id", STR, "stable id `<site>:<native id>`; never changes across releases"),
        Column("source", STR, "site rules name (`jiedai_baike`, `jinrong_ribao`, …)"),
        Column("url", STR, "page fetched"),
        Column("title", STR, "title (scrubbed)", scrub=True),
        Column("text", STR, "main text: cleaned (encoding, mojibake, inline pinyin repaired), template lines and the "
               "publisher's contact footer removed, scrubbed; `''` when only boilerplate was left", scrub=True),
        Column("published_at", TS, "publication time from the page (UTC); null when absent"),
        Column("fetched_at", TS, "when the page was collected (UTC)"),
        Column("lang", STR, "language (`zh`, `und`, …)"),
        Column("script", STR, "script of the text as published", ("hans", "hant", "mixed", "none")),
        Column("pinyin_removed", pa.int32(), "inline pinyin annotations removed (`現(xiàn)` → `現`): a farm marker"),
        Column("cluster_id", STR, "near-duplicate cluster (`clusters.cluster_id`): copies and spun versions share it"),
        Column("is_canonical", pa.bool_(), "this page is its cluster's representative"),
        Column("relevance", pa.float64(), "0–1 topic relevance for lending / debt collection (relevant at ≥ 0.5)"),
        Column("platforms", LIST_STR, "lending platforms named: ids of the `platforms` table"),
        Column("practices", LIST_STR, "collection practices found: codes of the `practices` table"),
        Column("redactions", STR, REDACTIONS_DOC),
    ),
    sql="""
        SELECT d.doc_id, d.source, d.url, d.title, coalesce(d.text_main, d.text_clean) AS text, d.published_at,
               d.fetched_at, d.lang, d.script, d.pinyin_removed, m.cluster_id, m.is_canonical, t.relevance,
               t.platforms, t.practices, NULL AS redactions, []::VARCHAR[] AS _handles, pub.contacts AS _contacts
        FROM documents d LEFT JOIN document_tags t ON t.doc_id = d.doc_id LEFT JOIN dedup_members m ON m.doc_id = d.doc_id
        LEFT JOIN (SELECT source, list(contact ORDER BY contact) AS contacts FROM publishers GROUP BY source) pub
          ON pub.source = d.source
        WHERE d.kind = 'article' AND ({rel} OR {relevant})
          AND d.doc_id NOT IN (SELECT id FROM release_takedown_ids)
        ORDER BY d.doc_id
    """,
)

POSTS = TableSpec(
    name="posts",
    id_column="post_id",
    source_column="forum",
    about="One row per forum floor (百度贴吧 网贷吧, 催收吧, 逾期吧 …). User names are not published.",
    columns=(
        Column("post_id", STR, "stable id `tieba:<post id>`; never changes across releases"),
        Column("thread_id", STR, "thread (`tieba:<tid>`)"),
        Column("forum", STR, "forum name (网贷吧 …)", gate=True),
        Column("thread_title", STR, "the thread's title (scrubbed)", scrub=True),
        Column("floor", pa.int32(), "楼层: 1 = the opening post"),
        Column("by_thread_starter", pa.bool_(), "written by the thread's starter (楼主); replaces the user name"),
        Column("posted_at", TS, "when posted (UTC)"),
        Column("text", STR, "the floor's cleaned text, scrubbed (user names and @mentions → `[用户名]`)", scrub=True),
        Column("url", STR, "page of the floor"),
        Column("lang", STR, "language (`zh`, `und`, …)"),
        Column("script", STR, "script", ("hans", "hant", "mixed", "none")),
        Column("cluster_id", STR, "near-duplicate cluster (`clusters.cluster_id`)"),
        Column("relevance", pa.float64(), "0–1 topic relevance for lending / debt collection (relevant at ≥ 0.5)"),
        Column("platforms", LIST_STR, "lending platforms named: ids of the `platforms` table"),
        Column("practices", LIST_STR, "collection practices found: codes of the `practices` table"),
        Column("redactions", STR, REDACTIONS_DOC),
    ),
    sql="""
        WITH handles AS (
            SELECT thread_id, list(DISTINCT author ORDER BY author) AS names FROM (
                SELECT thread_id, author FROM forum_posts WHERE author IS NOT NULL
                UNION SELECT thread_id, author FROM forum_threads WHERE author IS NOT NULL) GROUP BY thread_id)
        SELECT p.post_id, p.thread_id, th.forum, th.title AS thread_title, p.floor,
               coalesce(p.author = th.author, p.floor = 1) AS by_thread_starter, p.posted_at,
               coalesce(d.text_main, d.text_clean) AS text, p.url, d.lang, d.script, m.cluster_id, t.relevance,
               t.platforms, t.practices, NULL AS redactions, coalesce(h.names, []) AS _handles, []::VARCHAR[] AS _contacts
        FROM forum_posts p JOIN documents d ON d.doc_id = p.post_id
        LEFT JOIN forum_threads th ON th.thread_id = p.thread_id LEFT JOIN handles h ON h.thread_id = p.thread_id
        LEFT JOIN document_tags t ON t.doc_id = p.post_id LEFT JOIN dedup_members m ON m.doc_id = p.post_id
        WHERE ({rel} OR {relevant}) AND p.post_id NOT IN (SELECT id FROM release_takedown_ids)
          AND p.thread_id NOT IN (SELECT id FROM release_takedown_ids)
        ORDER BY p.post_id
    """,
)

CLUSTERS = TableSpec(
    name="clusters",
    id_column="cluster_id",
    source_column="kind",
    doc_ids=False,
    about="One row per near-duplicate cluster with at least one released member.",
    columns=(
        Column("cluster_id", STR, "the id of the member collected first; a copy collected later never renames the cluster (the representative is `canonical_doc_id`)"),
        Column("canonical_doc_id", STR, "the representative member (earliest published, then smallest id)"),
        Column("kind", STR, "how members were joined", ("single", "exact", "near", "empty")),
        Column("members", pa.int32(), "members in this release"),
        Column("sources", pa.int32(), "distinct sites among the members in this release"),
        Column("member_ids", LIST_STR, "ids of the members in this release (articles.doc_id, posts.post_id or "
               "complaints.complaint_id), sorted"),
        Column("first_published_at", TS, "earliest publication time among all members in the corpus (UTC)"),
    ),
    hidden=(),
    sql="""
        SELECT c.cluster_id, c.canonical_doc_id, c.kind, count(*)::INTEGER AS members,
               count(DISTINCT r.source)::INTEGER AS sources, list(r.id ORDER BY r.id) AS member_ids,
               c.first_published_at
        FROM dedup_clusters c JOIN dedup_members m ON m.cluster_id = c.cluster_id
        JOIN release_ids r ON r.id = m.doc_id
        GROUP BY ALL ORDER BY c.cluster_id
    """,
)

PLATFORMS = TableSpec(
    name="platforms",
    id_column="platform",
    doc_ids=False,
    about="The lending-platform lexicon the tags refer to (datasets/lexicons/platforms.toml).",
    columns=(
        Column("platform", STR, "stable platform id"),
        Column("name", STR, "canonical name (Simplified)"),
        Column("aliases", LIST_STR, "other names people write (masked forms like 信*飞 are matched automatically)"),
        Column("parent", STR, "operating company or group, where well established"),
    ),
    hidden=(),
    sql="SELECT platform, name, aliases, parent FROM platforms ORDER BY platform",
)

PRACTICES = TableSpec(
    name="practices",
    id_column="code",
    doc_ids=False,
    about="The debt-collection practice taxonomy the tags refer to (datasets/lexicons/practices.toml).",
    columns=(
        Column("code", STR, "stable practice code"),
        Column("name", STR, "Chinese name"),
        Column("definition", STR, "what counts and what does not"),
    ),
    hidden=(),
    sql="SELECT code, name, definition FROM release_practices ORDER BY code",
)

TABLES: tuple[TableSpec, ...] = (COMPLAINTS, COMPLAINT_EVENTS, ARTICLES, POSTS, CLUSTERS, PLATFORMS, PRACTICES)
DOCUMENT_TABLES = (COMPLAINTS, ARTICLES, POSTS)
