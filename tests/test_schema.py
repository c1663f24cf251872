"""One schema: the migrated database is the source of truth; what else states it is checked here.

- the data dictionary documents every table, view and column, with the database's types, and
  names nothing the database does not have;
- every Arrow schema the build loads through matches its table's columns and types;
- every release table's SQL runs on the schema and returns the columns its spec publishes.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
import pytest

from lc_testkit import REPO
from lendcorpus.corpus import connect_write
from lendcorpus.pipelines.normalize.chain import REPAIRS_ARROW_TYPE

DICTIONARY = REPO / "datasets" / "dictionary.md"
#: pyarrow type -> the DuckDB types it loads into
ARROW_TO_DUCKDB = {
    pa.string(): {"VARCHAR", "JSON"}, pa.int64(): {"BIGINT"}, pa.int32(): {"INTEGER"}, pa.int16(): {"SMALLINT"},
    pa.float64(): {"DOUBLE"}, pa.bool_(): {"BOOLEAN"}, pa.timestamp("us", tz="UTC"): {"TIMESTAMP WITH TIME ZONE"},
    pa.list_(pa.string()): {"VARCHAR[]"}, pa.binary(): {"BLOB"},
    REPAIRS_ARROW_TYPE: {'STRUCT(step VARCHAR, "start" BIGINT, "end" BIGINT, "before" VARCHAR, "after" VARCHAR, '
                         'note VARCHAR)[]'},
}
#: how the dictionary spells a type -> DuckDB's name
SPELLING = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict[str, dict[str, str]]:
    """relation -> {column: DuckDB type} of a freshly migrated corpus (tables and views)."""
    con = connect_write(tmp_path_factory.mktemp("schema") / "c.duckdb")
    try:
        out: dict[str, dict[str, str]] = {}
        for table, column, dtype in con.execute(
                "SELECT table_name, column_name, data_type FROM duckdb_columns() "
                "WHERE schema_name = 'main' AND NOT internal ORDER BY table_name, column_index").fetchall():
            if not table.startswith("_"):
                out.setdefault(table, {})[column] = dtype
        return out
    finally:
        con.close()


def dictionary_sections() -> dict[str, str]:
    """relation -> the text of every heading section that names it in backticks."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in DICTIONARY.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            current = [n for n in re.findall(r"`(\w+)`", line.split("(")[0] if "(`" not in line else line)
                       if not n.startswith("search_bm25")]
            for name in current:
                sections.setdefault(name, [])
        for name in current:
            sections[name].append(line)
    return {name: "\n".join(lines) for name, lines in sections.items()}


def documented_columns(section: str, schema: dict[str, dict[str, str]]) -> set[str]:
    names = set(re.findall(r"`(\w+)`", section))
    for inherited in re.findall(r"[Ee]very column of `(\w+)`", section):
        names |= set(schema.get(inherited, {}))
    return names


def typed_rows(section: str) -> list[tuple[str, str]]:
    """(column, type) from table rows such as ``| `a`, `b` | VARCHAR, BIGINT | … |``."""
    out = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`") or not cells[1]:
            continue
        names = re.findall(r"`(\w+)`", cells[0])
        # split at commas outside parentheses: STRUCT(a VARCHAR, b BIGINT)[] is one type
        types = [t.strip() for t in re.split(r",(?![^()]*\))", re.sub(r",\s*key\b", "", cells[1]))]
        if len(types) == 1:
            types = types * len(names)
        out += [(n, SPELLING.get(t, t)) for n, t in zip(names, types)]
    return out


def test_dictionary_documents_every_relation_and_column(schema):
    sections = dictionary_sections()
    missing = [f"{rel}.{col}" for rel, cols in schema.items() for col in cols
               if col not in documented_columns(sections.get(rel, ""), schema)]
    assert missing == [], "columns the data dictionary does not document"


def test_dictionary_types_and_names_are_the_databases(schema):
    sections = dictionary_sections()
    wrong = []
    for rel, section in sections.items():
        if rel not in schema:
            wrong.append(f"{rel}: a section for a relation the database does not have")
            continue
        for col, dtype in typed_rows(section):
            if col not in schema[rel]:
                wrong.append(f"{rel}.{col}: documented, not in the database")
            elif dtype != schema[rel][col]:
                wrong.append(f"{rel}.{col}: documented {dtype}, the database has {schema[rel][col]}")
    assert wrong == []


def test_the_dictionary_check_catches_a_wrong_type(schema):
    section = "| `doc_id` | INTEGER | id |\n| `title` | VARCHAR | t |"
    rows = dict(typed_rows(section))
    assert rows["doc_id"] != schema["documents"]["doc_id"] and rows["title"] == schema["documents"]["title"]


def test_the_dictionary_check_reads_a_struct_type_as_one_type(schema):
    section = ('| `repairs` | STRUCT(step VARCHAR, "start" BIGINT)[] | r |\n'
               "| `archive_path`, `archive_offset` | VARCHAR, BIGINT | where |")
    rows = dict(typed_rows(section))
    assert rows == {"repairs": 'STRUCT(step VARCHAR, "start" BIGINT)[]', "archive_path": "VARCHAR",
                    "archive_offset": "BIGINT"}
    assert rows["repairs"] != schema["documents"]["repairs"]  # a struct with fields left out is caught


def _arrow_schemas() -> dict[str, pa.Schema]:
    from lendcorpus.pipelines.boilerplate import corpus_pass as boilerplate
    from lendcorpus.pipelines.dedup import corpus_pass as dedup
    from lendcorpus.pipelines.record_stage import DOC_SCHEMA, FETCH_SCHEMA, REJECT_SCHEMA

    return {"fetches": FETCH_SCHEMA, "documents": DOC_SCHEMA, "rejects": REJECT_SCHEMA,
            "boilerplate_removed": boilerplate._REMOVED_SCHEMA, "dedup_signatures": dedup._SIG_SCHEMA}


@pytest.mark.parametrize("table", sorted(_arrow_schemas()))
def test_arrow_schemas_match_their_tables(schema, table):
    wrong = []
    for f in _arrow_schemas()[table]:
        have = schema[table].get(f.name)
        if have is None:
            wrong.append(f"{f.name}: not a column of {table}")
        elif have not in ARROW_TO_DUCKDB.get(f.type, set()):
            wrong.append(f"{f.name}: Arrow {f.type} into {have}")
    assert wrong == []


def test_release_sql_returns_the_published_columns(tmp_path):
    from lendcorpus.release.build import _register_practices, _register_release_ids, _register_takedowns
    from lendcorpus.release.tables import TABLES

    con = connect_write(tmp_path / "c.duckdb")
    try:
        _register_takedowns(con, [])
        _register_practices(con)
        _register_release_ids(con, [])
        for spec in TABLES:
            sql = spec.render(relevant_only=True)
            try:
                rel = con.sql(f"SELECT * FROM ({sql}) LIMIT 0")
            except duckdb.Error as exc:
                pytest.fail(f"{spec.name}: its SQL does not run on the schema: {exc}")
            returned = set(rel.columns)
            assert {c.name for c in spec.columns} <= returned, spec.name
    finally:
        con.close()


def test_one_definition_of_relevant(tmp_path):
    """Views, release, export, explorer and report all say "relevant" the same way: the macro the
    views use is the expression the code uses, and no SQL in the code spells its own."""
    import re as _re

    from lendcorpus.pipelines.tag.relevance import relevant_sql

    macro = (REPO / "datasets" / "views" / "00_relevance.sql").read_text(encoding="utf-8")
    assert "MACRO is_relevant(flag) AS " + relevant_sql("t").replace("t.relevant", "flag") + ";" in macro
    con = connect_write(tmp_path / "c.duckdb")
    try:
        assert con.execute("SELECT is_relevant(NULL), is_relevant(true), is_relevant(false)").fetchone() == \
            (False, True, False)
    finally:
        con.close()
    spelled = []
    for folder in ("lendcorpus", "analysis", "pipelines", "datasets/views"):
        for path in (REPO / folder).rglob("*"):
            if path.suffix not in (".py", ".sql") or path.name == "00_relevance.sql":
                continue
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _re.search(r"coalesce\(\w+\.relevant|WHERE \w+\.relevant\b|AND \w+\.relevant\b", line) \
                        and "def relevant_sql" not in line and 'return f"coalesce(' not in line:
                    spelled.append(f"{path.relative_to(REPO)}:{i}: {line.strip()}")
    assert spelled == []
