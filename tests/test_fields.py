"""Each 公文 field is declared once (archiver.fields); the model, the views, the table, the rules and
the pages take their names from there."""
import dataclasses

from archiver.classify import conditions, explain
from archiver.document import Metadata
from archiver.fields import ARCHIVAL_NAMES, BY_NAME, GONGWEN, GONGWEN_NAMES
from archiver.site.fields import LABELS
from archiver.storage.tables import DocumentRow
from archiver.storage.views import DocumentView


def test_every_layer_has_exactly_the_declared_fields():
    assert [f.name for f in dataclasses.fields(Metadata)] == [*GONGWEN_NAMES, "spans"]
    view = {f.name for f in dataclasses.fields(DocumentView)}
    assert set(GONGWEN_NAMES + ARCHIVAL_NAMES) <= view
    columns = set(DocumentRow.__table__.columns.keys())
    assert set(GONGWEN_NAMES + ARCHIVAL_NAMES) <= columns and "doc_date" not in columns
    assert conditions.FIELDS == GONGWEN_NAMES
    assert set(LABELS) == set(GONGWEN_NAMES + ARCHIVAL_NAMES)  # no label for a name that is no field


def test_column_types_follow_the_declaration():
    table = DocumentRow.__table__
    assert table.c.date.type.length == 10 and table.c.date.index
    assert table.c.doc_number.type.length == 200 and not table.c.doc_number.index
    assert table.c.archival_code.unique and table.c.year.type.python_type is int


def test_explain_lists_fields_in_reading_order_with_their_labels():
    doc = DocumentView(id=1, sha256="0" * 64, original_name="a.pdf", kind="pdf", size=1, page_count=1,
                       category=None, tags=(), archive_path="a.pdf", duplicate_of=None, duplicates=(),
                       created_at="2024", title="关于X的通知", date="2024-03-05", doc_type="通知")
    data = explain.explain_data(doc)
    assert [f["field"] for f in data["fields"]] == [f.name for f in GONGWEN]
    by = {f["field"]: f for f in data["fields"]}
    assert by["date"]["label"] == "成文日期" and by["date"]["value"] == "2024-03-05"
    assert by["doc_type"]["derived"] and not by["title"]["derived"]
    assert "  ← derived" in "\n".join(explain.explain_lines(doc))
    assert BY_NAME["date"].label == "成文日期 Date"


def test_joint_issuers_are_kept_as_published_and_listed():
    doc = DocumentView(id=1, sha256="0" * 64, original_name="a.pdf", kind="pdf", size=1, page_count=1,
                       category=None, tags=(), archive_path="a.pdf", duplicate_of=None, duplicates=(),
                       created_at="2024", issuer="国务院办公厅、中央军委办公厅")
    assert doc.issuer == "国务院办公厅、中央军委办公厅" and doc.issuers == ("国务院办公厅", "中央军委办公厅")
    assert DocumentView(**{**dataclasses.asdict(doc), "issuer": None}).issuers == ()
