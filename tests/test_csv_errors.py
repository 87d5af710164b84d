"""Bad CSV files: each problem raises DataError, one sentence naming the file and the row, column
and value at fault (rows numbered as a spreadsheet shows them, the header being row 1)."""

from __future__ import annotations

import codecs
import os
import re
from typing import NamedTuple

import pytest

import deltaprop.data.csv as csv_module
from deltaprop.data import load_csv
from deltaprop.errors import ConfigError, DataError


class Case(NamedTuple):
    id: str
    content: str | bytes | None  # None: the case builds its own path (see `kind`)
    expected: tuple  # substrings the message must contain, besides the file's name
    kwargs: dict = {}
    kind: str = "file"  # "file", "missing", "directory" or "unreadable"


CASES = [
    # -- the file itself
    Case("file_not_found", None, ("no such file",), kind="missing"),
    Case("directory", None, ("is a directory",), kind="directory"),
    Case("unreadable", "a,b\n1,2\n", ("cannot be read", "permission denied"), kind="unreadable"),
    Case("not_utf8", b"a,b,c\n1,2,caf\xe9\n", ("not UTF-8", "0xe9", "byte offset 13", "line 2")),
    Case("not_utf8_after_bom", b"\xef\xbb\xbfa,b\n\xff,1\n", ("not UTF-8", "0xff", "byte offset 7", "line 2")),
    # UTF-16 and UTF-32 with their byte-order mark: named, whether the text holds NUL bytes (ASCII) or not
    Case("utf16_le_bom", codecs.BOM_UTF16_LE + "a,b,t\n1,2,0\n".encode("utf-16-le"),
         ("is UTF-16 text", "byte-order mark FF FE", "save the file as UTF-8")),
    Case("utf16_be_bom", codecs.BOM_UTF16_BE + "a,b,t\n1,2,0\n".encode("utf-16-be"),
         ("is UTF-16 text", "byte-order mark FE FF", "save the file as UTF-8")),
    Case("utf16_le_bom_without_ascii", codecs.BOM_UTF16_LE + "αβγ".encode("utf-16-le"),
         ("is UTF-16 text", "byte-order mark FF FE", "save the file as UTF-8")),
    Case("utf32_le_bom", codecs.BOM_UTF32_LE + "a,b,t\n1,2,0\n".encode("utf-32-le"),
         ("is UTF-32 text", "byte-order mark FF FE 00 00", "save the file as UTF-8")),
    Case("utf32_be_bom", codecs.BOM_UTF32_BE + "a,b,t\n1,2,0\n".encode("utf-32-be"),
         ("is UTF-32 text", "byte-order mark 00 00 FE FF", "save the file as UTF-8")),
    Case("empty_file", b"", ("empty",)),
    Case("blank_lines_only", "\n  \n\n", ("empty",)),
    # -- the header
    Case("header_only", "a,b,c\n", ("no data rows",)),
    Case("header_only_blank_rows_below", "a,b,c\n\n,,\n", ("no data rows",)),
    Case("header_only_without_target", "a,b,c\n", ("no data rows",), {"target": False}),
    Case("single_column", "price\n1\n2\n", ("single column", "'price'")),
    Case("no_header_row", "5.1,3.5,1.4,0.2,0\n4.9,3.0,1.4,0.2,0\n", ("row 1", "numbers", "header")),
    Case("duplicate_column_names", "a,b,a,t\n1,2,3,4\n", ("'a'", "twice", "columns 1 and 3")),
    Case("unnamed_column", ",a,b\n0,1,2\n", ("column 1", "no name")),
    Case("missing_target_name", "a,b,c\n1,2,3\n", ("'price'", "'a', 'b', 'c'"), {"target": "price"}),
    Case("target_index_out_of_range", "a,b,c\n1,2,3\n", ("column number 5", "'a', 'b', 'c'"), {"target": 5}),
    # -- the shape of the rows
    Case("ragged_row_short", "a,b,c\n1,2,3\n4,5\n", ("row 3", "2 fields", "header has 3")),
    Case("ragged_row_long", "a,b,c\n1,2,3,4\n5,6,7\n", ("row 2", "4 fields", "header has 3")),
    Case("ragged_rows_counted", "a,b,c\n1,2\n3,4\n5,6,7\n", ("row 2", "2 fields", "2 rows differ")),
    Case("unclosed_quote", 'a,b,c\n1,"2,3\n4,5,6\n', ("row 2", "2 fields", "quote")),
    Case("field_too_large", "a,b\n" + "x" * 200_000 + ",1\n", ("line 2", "field larger than field limit")),
    # -- the cells
    Case("non_numeric_cell", "x,y,label\n1,2,a\n3,abc,b\n", ("row 3", "column 'y'", "'abc'", "not a number")),
    Case("non_numeric_cell_without_target", "x,y\n1,2\n3,b\n", ("row 3", "column 'y'", "'b'"), {"target": False}),
    Case("non_numeric_first_in_row_order", "x,y,t\n1,2,0\n3,bad,1\nworse,4,1\n", ("row 3", "column 'y'", "'bad'")),
    Case("non_numeric_after_blank_line", "a,b,t\n1,2,0\n\n3,x,1\n", ("row 4", "column 'b'", "'x'")),
    Case("decimal_comma", "a;b;t\n1,5;2;0\n", ("row 2", "column 'a'", "'1,5'", "1.5")),
    Case("empty_cell", "a,b,t\n1,2,0\n3,,1\n5,6,\n",
         ("row 3", "column 'b'", "is empty", "2 rows", "drop_missing=True")),
    Case("nan_cell", "a,b,t\n1,NaN,0\n", ("row 2", "column 'b'", "'NaN'", "1 row has")),
    Case("inf_cell", "a,b,t\n1,2,0\n-inf,2,1\n", ("row 3", "column 'a'", "'-inf'", "infinite")),
    Case("missing_marker", "a,b,t\n1,2,0\n3,NA,1\n", ("row 3", "column 'b'", "'NA'")),
    Case("empty_class_name", "a,b,species\n1,2,setosa\n3,4,\n", ("row 3", "column 'species'", "is empty")),
    Case("empty_numeric_target", "a,b,t\n1,2,0.5\n3,4, \n", ("row 3", "column 't'", "is empty")),
    Case("every_row_dropped", "a,b,t\n1,,0\n,2,1\n", ("every one of its 2 data rows",), {"drop_missing": True}),
    Case("overflows_float32", "a,b,t\n1,2,0\n3,1e39,1\n", ("row 3", "column 'b'", "1e39", "float32")),
    Case("overflows_float64", "a,b,t\n1e400,2,0\n", ("row 2", "column 'a'", "1e400", "float32")),
    Case("target_overflows_float32", "a,b,t\n1,2,-5e38\n", ("row 2", "column 't'", "-5e38", "float32")),
    # every column the target or ignored: nothing to read the features from
    Case("no_feature_column_left", "a,t\n1,2\n", ("no feature column", "'a' ignored", "'t' the target"),
         {"ignore": ("a",)}),
    Case("no_feature_column_left_without_target", "t\nx\n", ("no feature column", "'t' ignored"),
         {"target": False, "ignore": ("t",)}),
]


def _make(case: Case, tmp_path, monkeypatch):
    path = tmp_path / f"{case.id}.csv"
    if case.kind == "missing":
        return path
    if case.kind == "directory":
        path.mkdir()
        return path
    content = case.content.encode("utf-8") if isinstance(case.content, str) else case.content
    path.write_bytes(content)
    if case.kind == "unreadable":
        os.chmod(path, 0)
        if os.geteuid() == 0:  # root reads any file: make the open fail the way it fails for a user

            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied", str(path))

            monkeypatch.setattr(csv_module, "open", refuse, raising=False)
    return path


def _is_one_sentence(message: str) -> bool:
    return "\n" not in message and re.search(r"[.!?]\s+[A-Z]", message) is None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_csv_names_file_row_column_and_value(case, tmp_path, monkeypatch):
    path = _make(case, tmp_path, monkeypatch)
    with pytest.raises(DataError) as info:
        load_csv(path, **case.kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    missing = [s for s in case.expected if s not in message]
    assert not missing, f"{missing} not in {message!r}"
    assert _is_one_sentence(message), message


def test_data_error_is_a_value_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,t\n1,x,0\n")
    with pytest.raises(ValueError, match="not a number"):
        load_csv(path)


def test_case_ids_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "kwargs, option",
    [
        ({"delimiter": ";;"}, "delimiter"),
        ({"delimiter": '"'}, "delimiter"),
        ({"delimiter": 5}, "delimiter"),
        ({"target": 1.5}, "target"),
        ({"target": True}, "target"),
        ({"drop_missing": "yes"}, "drop_missing"),
        ({"header_only": 1}, "header_only"),
    ],
)
def test_bad_options_raise_config_error_naming_the_option(kwargs, option, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match=option):
        load_csv(path, **kwargs)
