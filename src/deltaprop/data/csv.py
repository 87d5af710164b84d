"""``load_csv``: a user's CSV file as a :class:`Table`, or one sentence saying what is wrong with it.

The file needs a header row naming the columns; the features must be numbers; the target (by
default the last column) may be numbers or class names. Every problem raises
:class:`~deltaprop.errors.DataError` naming the file and, where there is one, the row as a
spreadsheet numbers it (the header is row 1), the column and the value.

Speed: the csv module splits the rows, then each column is converted by NumPy in one call. Only
when that call fails does a per-cell scan run, to find the cell to name.
"""

from __future__ import annotations

import codecs
import csv
import io
import os

import numpy as np

from ..errors import ConfigError, DataError
from .table import Table

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# Cells that mean "no value" in a numeric column. In a column of class names only an empty cell
# is missing: "NA" or "null" may well be a class there.
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "?"})

_INFINITY_SPELLINGS = frozenset({"inf", "infinity"})
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Whole numbers up to 2**53 are exact in float64, so a target made of them can be int64.
_EXACT_INTEGER_BOUND = 2.0**53
# How much of the file the delimiter is guessed from.
_SNIFF_CHARS = 65536
_SNIFF_LINES = 50


def load_csv(path, target=None, delimiter: str | None = None, drop_missing: bool = False,
             header_only: bool = False, ignore=()) -> Table:
    """Read ``path`` (UTF-8, a BOM allowed) into a :class:`Table`.

    ``target``: the column to predict, by name or by 0-based index (negative counts from the end;
    digits in a string are an index unless a column has that name);
    default the last column; ``False`` for a file without one (every column a feature, ``y`` None:
    data to predict on). ``delimiter``: one character, or None to detect a comma, semicolon, tab
    or pipe from the first lines. ``drop_missing``: drop rows with an empty, NaN or infinite cell
    (counted in ``Table.n_dropped``) instead of refusing the file. ``header_only``: check and read
    the header alone (``X`` then has no rows), to learn the column names of a large file cheaply.
    ``ignore``: names of columns to leave out unread (a column that is not there is no error), such
    as a target column in data to predict on.
    """
    _check_options(target, delimiter, drop_missing, header_only)
    ignore = {ignore} if isinstance(ignore, str) else set(ignore)
    name = os.fspath(path)
    text = _read_text(name)
    names, rows, row_numbers = _split_rows(text, name, delimiter, has_target=target is not False,
                                           header_only=header_only)
    t = None if target is False else _target_index(target, names, name)
    if t is not None and names[t] in ignore:
        raise ConfigError(f"load_csv: the target column {names[t]!r} cannot also be ignored")
    feature_columns = [j for j in range(len(names)) if j != t and names[j] not in ignore]
    if not feature_columns:
        roles = ", ".join(f"{n!r} the target" if j == t else f"{n!r} ignored" for j, n in enumerate(names))
        raise DataError(f"{name}: has no feature column left to read ({roles})")
    feature_names = [names[j] for j in feature_columns]
    target_name = None if t is None else names[t]
    if header_only:
        X = np.zeros((0, len(feature_columns)), dtype=np.float32)
        return Table(X=X, y=None, feature_names=feature_names, target_name=target_name)

    columns = list(zip(*rows))
    del rows
    where = _Where(name, names, row_numbers)
    features = [_numeric_column(columns[j]) for j in feature_columns]
    first_bad = [(i, j) for (_, i), j in zip(features, feature_columns) if i is not None]
    if first_bad:
        i, j = min(first_bad)
        cell = columns[j][i]
        raise DataError(f"{where.cell(i, j)}: {cell.strip()!r} is not a number{_decimal_comma_hint(cell)}")
    numeric = [(values, j) for (values, _), j in zip(features, feature_columns)]

    y, target_missing, class_names = None, np.zeros(len(row_numbers), dtype=bool), False
    if t is not None:
        y, bad = _numeric_column(columns[t])
        class_names = bad is not None
        if class_names:
            y = np.array([cell.strip() for cell in columns[t]])
            target_missing = y == ""
        else:
            target_missing = ~np.isfinite(y)
            numeric.append((y, t))
    for values, j in numeric:
        _check_float32_range(values, columns[j], j, where)

    X = np.column_stack([values for values, _ in features])
    missing = ~np.isfinite(X).all(axis=1) | target_missing
    n_dropped = int(missing.sum())
    if n_dropped and not drop_missing:
        i = int(np.flatnonzero(missing)[0])
        j = next(j for j in range(len(names)) if _cell_is_missing(columns[j][i], class_names and j == t))
        rows_word = "row has" if n_dropped == 1 else "rows have"
        raise DataError(
            f"{where.cell(i, j)} {_describe_missing(columns[j][i])}; {n_dropped} {rows_word} missing or "
            "infinite values (pass drop_missing=True to drop them)"
        )
    if n_dropped == len(X):
        raise DataError(
            f"{name}: every one of its {n_dropped} data rows has a missing or infinite value, so none is left"
        )
    keep = ~missing
    return Table(
        X=X[keep].astype(np.float32),
        y=None if y is None else _target_array(y[keep], numeric=not class_names),
        feature_names=feature_names,
        target_name=target_name,
        n_dropped=n_dropped,
    )


def _check_options(target, delimiter, drop_missing, header_only) -> None:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n"):
        raise ConfigError(
            f"load_csv: delimiter must be one character other than a quote or a newline, got {delimiter!r}"
        )
    for option, value in (("drop_missing", drop_missing), ("header_only", header_only)):
        if not isinstance(value, (bool, np.bool_)):
            raise ConfigError(f"load_csv: {option} must be True or False, got {value!r}")
    is_index = isinstance(target, (int, np.integer)) and not isinstance(target, (bool, np.bool_))
    if not (target is None or target is False or isinstance(target, str) or is_index):
        raise ConfigError(
            f"load_csv: target must be a column name, a column index, None (the last column) or False "
            f"(no target), got {target!r}"
        )


class _Where:
    """Names a cell the way a spreadsheet shows it: file, row number (header = 1), column name."""

    def __init__(self, name: str, names: list, row_numbers: list):
        self.name, self.names, self.row_numbers = name, names, row_numbers

    def row(self, i: int) -> str:
        return f"{self.name}: row {self.row_numbers[i]}"

    def cell(self, i: int, j: int) -> str:
        return f"{self.row(i)}, column {self.names[j]!r}"


# -- reading the bytes ------------------------------------------------------------------------------

# The marks that open a text file saved as UTF-16 or UTF-32 (spreadsheets' "Unicode text"): the
# UTF-32 ones first, since the little-endian one begins with UTF-16's.
_OTHER_BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                           (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def _read_text(name: str) -> str:
    if os.path.isdir(name):
        raise DataError(f"{name}: is a directory, not a CSV file")
    try:
        with open(name, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DataError(f"{name}: no such file") from None
    except PermissionError:
        raise DataError(f"{name}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    for mark, encoding in _OTHER_BYTE_ORDER_MARKS:
        if data.startswith(mark):
            raise DataError(f"{name}: is {encoding} text (it starts with the byte-order mark "
                            f"{mark.hex(' ').upper()}), not UTF-8; save the file as UTF-8")
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    # No text holds NUL, yet a NUL is valid UTF-8: UTF-16 without a BOM would read as a mess of
    # cells, and NumPy's text arrays drop trailing NULs ('cat\0' would silently be the class 'cat').
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DataError(
            f"{name}: holds a NUL byte (byte offset {nul}, line {line}), which text never does; is it UTF-16 or "
            "a binary file? save the file as UTF-8"
        )
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise DataError(
            f"{name}: is not UTF-8 text (byte 0x{data[offset]:02x} at byte offset {offset}, line {line}, "
            "cannot be decoded); save the file as UTF-8"
        ) from None
    if not text.strip():
        raise DataError(f"{name}: the file is empty")
    return text


# -- rows and the header ----------------------------------------------------------------------------

def _detect_delimiter(text: str) -> str | None:
    """The candidate that splits the header into most agreement with the lines below it."""
    lines = text[:_SNIFF_CHARS].splitlines()
    if len(text) > _SNIFF_CHARS and len(lines) > 1:
        lines = lines[:-1]  # cut short by the sample
    lines = [line for line in lines if line.strip()][: _SNIFF_LINES + 1]
    if not lines:
        return None
    header, body = lines[0], lines[1:]
    best, best_score = None, None
    for delimiter in DELIMITERS:
        width = len(next(csv.reader([header], delimiter=delimiter)))
        if width < 2:
            continue
        agreeing = sum(len(next(csv.reader([line], delimiter=delimiter))) == width for line in body)
        score = (agreeing, width)
        if best_score is None or score > best_score:  # ties keep the earlier candidate
            best, best_score = delimiter, score
    return best


def _split_rows(text: str, name: str, delimiter: str | None, has_target: bool, header_only: bool):
    """The header's column names, the data rows (lists of strings) and their spreadsheet row numbers."""
    detected = delimiter or _detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detected or ",")
    header, header_number, rows, row_numbers = None, 0, [], []
    try:
        # Spreadsheet rows count records, blank ones included; a row of empty cells is blank too.
        for number, record in enumerate(reader, start=1):
            # any() first: it settles almost every row in C; the join only runs on rows of blanks.
            if not any(record) or (not record[0].strip() and not "".join(record).strip()):
                continue
            if header is None:
                header, header_number = record, number
                if header_only:
                    break
            else:
                rows.append(record)
                row_numbers.append(number)
    except csv.Error as exc:
        raise DataError(f"{name}: line {reader.line_num} cannot be parsed as CSV ({exc})") from None
    if header is None:  # only delimiters and blanks, such as ",\n,,"
        raise DataError(f"{name}: the file is empty (its rows hold no values)")

    names = [cell.strip() for cell in header]
    if has_target and len(names) < 2:
        tried = DELIMITERS[delimiter] if delimiter else "comma, semicolon, tab or pipe"
        raise DataError(
            f"{name}: has a single column ({names[0]!r}; no {tried} delimiter in the header), "
            "but it needs at least one feature column besides the target"
        )
    if all(_is_number(cell) for cell in names):
        raise DataError(
            f"{name}: row {header_number} ({', '.join(names[:4])}{', ...' if len(names) > 4 else ''}) holds "
            "numbers, not column names; "
            "the first row must be a header naming the columns"
        )
    for j, column in enumerate(names):
        if not column:
            raise DataError(f"{name}: column {j + 1} of the header row has no name; name every column")
    seen = {}
    for j, column in enumerate(names):
        if column in seen:
            raise DataError(
                f"{name}: the header names column {column!r} twice (columns {seen[column] + 1} and {j + 1}); "
                "column names must be unique"
            )
        seen[column] = j
    if header_only:
        return names, rows, row_numbers
    if not rows:
        raise DataError(f"{name}: has a header row but no data rows")
    widths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    ragged = np.flatnonzero(widths != len(names))
    if len(ragged):
        i = int(ragged[0])
        others = f" ({len(ragged)} rows differ)" if len(ragged) > 1 else ""
        # A quote left open makes the csv module read on to the next quote or the end of the file.
        opened = any("\n" in field or "\r" in field for field in rows[i])
        quote = ", probably a quote opened there and never closed" if opened else ""
        raise DataError(
            f"{name}: row {row_numbers[i]} has {widths[i]} field{'s' if widths[i] != 1 else ''} but the header "
            f"has {len(names)}{others}{quote}"
        )
    return names, rows, row_numbers


def _target_index(target, names: list, name: str) -> int:
    m = len(names)
    if target is None:
        return m - 1
    if isinstance(target, str):
        if target in names:  # a column named "2020" is that column, whatever the index 2020 would be
            return names.index(target)
        if not (target.isascii() and target.lstrip("-").isdigit()):  # not '²' or '٣', which int() refuses or reads
            raise DataError(f"{name}: has no column named {target!r}; its columns are {_list_names(names)}")
        target = int(target)  # an index written as text, as on the command line
    t = int(target) + m if target < 0 else int(target)
    if not 0 <= t < m:
        raise DataError(
            f"{name}: has no column number {int(target)} (0-based); its {m} columns are {_list_names(names)}"
        )
    return t


def _list_names(names: list, limit: int = 20) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


# -- cells ------------------------------------------------------------------------------------------

def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _numeric_column(cells: tuple):
    """``(values, None)`` with missing cells as NaN, or ``(None, i)`` for the first non-number at row i."""
    try:
        return np.array(cells, dtype=np.float64), None
    except ValueError:
        pass
    # NumPy refused some cell: find it, letting missing-value markers through as NaN.
    values = np.empty(len(cells))
    for i, cell in enumerate(cells):
        try:
            values[i] = float(cell)
        except ValueError:
            if cell.strip().lower() not in MISSING_MARKERS:
                return None, i
            values[i] = np.nan
    return values, None


def _check_float32_range(values: np.ndarray, cells: tuple, j: int, where: _Where) -> None:
    """Refuse numbers float32 cannot hold (the text parsed to inf counts too, unless it spells inf)."""
    too_big = np.abs(values) > _FLOAT32_MAX  # NaN compares False
    for i in np.flatnonzero(too_big):
        text = cells[i].strip()
        if text.lower().lstrip("+-") not in _INFINITY_SPELLINGS:
            raise DataError(
                f"{where.cell(int(i), j)}: {text} is too large for float32 (largest magnitude {_FLOAT32_MAX:.4g})"
            )


def _cell_is_missing(cell: str, is_class_name: bool) -> bool:
    text = cell.strip()
    if is_class_name:
        return text == ""
    if text.lower() in MISSING_MARKERS:
        return True
    try:
        return not np.isfinite(float(text))
    except ValueError:
        return False


def _describe_missing(cell: str) -> str:
    text = cell.strip()
    return "is empty" if not text else f"holds {text!r}"


def _decimal_comma_hint(cell: str) -> str:
    text = cell.strip()
    head, comma, tail = text.partition(",")
    if comma and head.lstrip("+-").isdigit() and tail.isdigit():
        return f" (a decimal comma? write {head}.{tail})"
    return ""


def _target_array(values: np.ndarray, numeric: bool) -> np.ndarray:
    """Whole numbers as int64, other numbers as float64: a target may be class labels (1.00000001
    and 1.00000002 are two classes, which float32 would merge, and 0.1 should read back as 0.1),
    and a regression target is rounded to the network's dtype where it is trained on."""
    if not numeric:
        return values
    if np.all(values == np.round(values)) and np.all(np.abs(values) < _EXACT_INTEGER_BOUND):
        return values.astype(np.int64)
    return values.astype(np.float64)
