"""What a file must be to travel with an entry: its type's signature, not empty, at most
10 MiB (:mod:`gulfsec.domain.attachments`)."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from gulfsec.domain.attachments import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    TEXT,
    attachment_for,
    attachment_forms,
    check_attachment,
    declared_attachments,
    is_sha256,
)
from gulfsec.domain.forms._types import MAX_ATTACHMENT_BYTES, MEDIA_TYPES
from gulfsec.errors import AttachmentError, EntryError

PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(8) + b"\xff\xd9"
TEXT_BYTES = "Note verbale — مذكرة شفوية — یادداشت\n".encode()


def docx(members: tuple[str, ...] = ("[Content_Types].xml", "word/document.xml")) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member in members:
            archive.writestr(member, "<xml/>")
    return out.getvalue()


def refused(data: bytes, media_type: str, says: str) -> AttachmentError:
    with pytest.raises(AttachmentError) as caught:
        check_attachment(data, media_type)
    assert says in caught.value.message
    assert caught.value.code == "attachment"
    return caught.value


@pytest.mark.parametrize("data, media_type", [
    (PDF_BYTES, PDF), (PNG_BYTES, PNG), (JPEG_BYTES, JPEG), (docx(), DOCX), (TEXT_BYTES, TEXT),
])
def test_each_type_with_its_signature_is_accepted_and_named_by_its_sha256(
        data: bytes, media_type: str) -> None:
    assert check_attachment(data, media_type) == hashlib.sha256(data).hexdigest()


def test_every_media_type_an_attachment_may_be_is_checked() -> None:
    assert {PDF, PNG, JPEG, DOCX, TEXT} == set(MEDIA_TYPES)


def test_an_attachment_error_is_an_entry_error_with_the_code_attachment() -> None:
    err = refused(b"", PDF, "empty")
    assert isinstance(err, EntryError)
    assert err.to_dict()["error"] == "attachment"


def test_a_file_of_exactly_10_mib_is_accepted() -> None:
    data = b"%PDF-" + b"0" * (MAX_ATTACHMENT_BYTES - 5)
    assert len(data) == 10 * 1024 * 1024
    assert check_attachment(data, PDF) == hashlib.sha256(data).hexdigest()


def test_a_file_one_byte_over_10_mib_is_refused() -> None:
    data = b"%PDF-" + b"0" * (MAX_ATTACHMENT_BYTES - 4)
    refused(data, PDF, f"over the limit of {MAX_ATTACHMENT_BYTES} bytes")


def test_an_empty_file_is_refused_whatever_its_type() -> None:
    for media_type in MEDIA_TYPES:
        refused(b"", media_type, "empty")


def test_a_type_not_on_the_list_is_refused() -> None:
    refused(b"<html></html>", "text/html", "not accepted")
    refused(PDF_BYTES, "application/PDF", "not accepted")


def test_a_png_declared_as_a_pdf_is_refused_and_named() -> None:
    err = refused(PNG_BYTES, PDF, "not application/pdf")
    assert err.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert err.to_dict()["sha256"] == err.sha256


@pytest.mark.parametrize("data, media_type", [
    (PDF_BYTES, PNG), (JPEG_BYTES, PNG), (PNG_BYTES, JPEG), (PDF_BYTES, JPEG),
    (PDF_BYTES, DOCX), (PNG_BYTES, TEXT), (JPEG_BYTES, TEXT),
])
def test_bytes_of_one_type_declared_as_another_are_refused(data: bytes, media_type: str) -> None:
    refused(data, media_type, f"not {media_type}")


def test_a_signature_cut_short_is_refused() -> None:
    refused(b"%PDF", PDF, "not application/pdf")
    refused(PNG_BYTES[:7], PNG, "not image/png")
    refused(b"\xff\xd8", JPEG, "not image/jpeg")


def test_text_with_a_nul_is_refused() -> None:
    refused(b"minutes of the meeting\x00", TEXT, "no NUL")


def test_text_that_is_not_utf8_is_refused() -> None:
    refused("Procès-verbal".encode("latin-1"), TEXT, "UTF-8")


def test_a_zip_without_a_word_document_is_not_a_docx() -> None:
    refused(docx(("xl/workbook.xml",)), DOCX, "word/document.xml")


def test_bytes_that_start_like_a_zip_but_are_not_one_are_not_a_docx() -> None:
    refused(b"PK\x03\x04" + b"\x00" * 200, DOCX, "not application/vnd")


def test_the_attachment_object_carries_name_type_size_and_hash() -> None:
    assert attachment_for(PDF_BYTES, PDF, "note verbale 12.pdf") == {
        "name": "note verbale 12.pdf", "media_type": PDF, "size": len(PDF_BYTES),
        "sha256": hashlib.sha256(PDF_BYTES).hexdigest()}


@pytest.mark.parametrize("name", ["", "../secret.pdf", "a/b.pdf", "line\nbreak.pdf"])
def test_a_file_name_with_a_path_or_control_character_is_refused(name: str) -> None:
    with pytest.raises(AttachmentError, match="file name"):
        attachment_for(PDF_BYTES, PDF, name)


def test_the_attachments_of_a_body_are_read_in_order_and_odd_items_skipped() -> None:
    first, second = "a" * 64, "b" * 64
    body = {"attachments": [{"sha256": first, "name": "x"}, "junk", {"name": "no hash"},
                            {"sha256": second}]}
    assert [a["sha256"] for a in declared_attachments(body)] == [first, second]
    assert declared_attachments({"text": "none"}) == []
    assert declared_attachments({"attachments": "not a list"}) == []


def test_a_sha256_is_64_lowercase_hex_digits() -> None:
    assert is_sha256("0" * 64)
    assert not is_sha256("A" * 64)
    assert not is_sha256("0" * 63)


def test_the_forms_that_carry_attachments_are_found_in_the_registry() -> None:
    assert {"thread@1", "reply@1"} <= attachment_forms()
    assert "message@1" not in attachment_forms()
