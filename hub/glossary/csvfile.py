"""Reading a glossary CSV: a header row of language codes, then one term per row.

    az,tr,ru,uz-Latn,uz-Cyrl,en
    İlham Əliyev,İlham Aliyev,Ильхам Алиев,Ilhom Aliyev,Илҳом Алиев,Ilham Aliyev
    Qarabağ,Karabağ,Карабах,Qorabogʻ,,Karabakh

Empty cells are allowed (a term need not have every language); blank rows are skipped.
A column may repeat to give a language more forms. The whole file is checked before
anything is stored, and the first problem is reported with its line number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from hub.glossary.forms import Forms, FormsError, language_of, normalize_forms

MAX_FILE_BYTES = 32 * 1024 * 1024


class GlossaryFileError(ValueError):
    """The file cannot be imported; the message names the line and what is wrong."""


@dataclass(frozen=True)
class GlossaryFile:
    terms: list[Forms]
    blank_rows: int


def parse_glossary_csv(data: bytes) -> GlossaryFile:
    if len(data) > MAX_FILE_BYTES:
        raise GlossaryFileError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        content = data.decode("utf-8-sig")  # a spreadsheet's byte-order mark is not part of the header
    except UnicodeDecodeError as exc:
        raise GlossaryFileError(f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8") from None
    try:
        reader = csv.reader(io.StringIO(content, newline=""), strict=True)
        # The line a row ends on (a quoted cell may span lines), for error messages.
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise GlossaryFileError(f"not a valid CSV file: {exc}") from None
    if not rows or not any(cell.strip() for cell in rows[0][1]):
        raise GlossaryFileError("no header row: the first line must name the languages, e.g. az,tr,ru,uz,en")
    header = [cell.strip() for cell in rows[0][1]]
    for column, name in enumerate(header, start=1):
        if not name:
            raise GlossaryFileError(f"line 1, column {column}: empty language code in the header")
        try:
            language_of(name)
        except FormsError as exc:
            raise GlossaryFileError(f"line 1, column {column}: {exc}") from None
    terms: list[Forms] = []
    blank = 0
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            blank += 1
            continue
        if len(row) > len(header):
            raise GlossaryFileError(f"line {line}: {len(row)} cells but the header names {len(header)} languages")
        try:
            terms.append(normalize_forms(zip(header, row, strict=False)))
        except FormsError as exc:
            raise GlossaryFileError(f"line {line}: {exc}") from None
    return GlossaryFile(terms, blank)
