"""Files carried with entries, on SQLite and on PostgreSQL: uploaded to the hub by a signed
request, named by an entry, given to that entry's parties only, and opened through a node.

Personas: IRN attaches a working paper to a thread with RUS; RUS, the addressee, fetches it; QAT
is the outsider, to whom the file does not exist — not even as a 403.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from support.databases import Databases
from support.inprocess import BASE_URL, NodeNet, TestClient

from gulfsec.adapters.clock import ManualClock
from gulfsec.adapters.hubclient import HubClient
from gulfsec.adapters.storage import hub as hub_store
from gulfsec.adapters.storage import node as node_store
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import Store, migrate
from gulfsec.bootstrap import build_node_app
from gulfsec.domain.attachments import DOCX, PDF, PNG, TEXT
from gulfsec.domain.forms._types import MAX_ATTACHMENT_BYTES
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.regime import Regime
from gulfsec.domain.request_auth import sign_request
from gulfsec.errors import AttachmentError, NotFound, RemoteError, TransportError
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node

PAPER = b"%PDF-1.7\n1 0 obj\n<< /Title (Working paper on incidents at sea) >>\nendobj\n%%EOF\n"
PAPER_SHA = hashlib.sha256(PAPER).hexdigest()
MAP = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(13)

Put = Callable[..., httpx.Response]
Signed = Callable[..., httpx.Response]


@pytest.fixture
def put(api: TestClient, party_keys: dict[str, SigningKey], clock: ManualClock) -> Put:
    """``put("IRN", data, "application/pdf")``: a signed upload (any status); ``sha256=`` puts
    it under another hash."""

    def upload(party: str, data: bytes, media_type: str, *, sha256: str | None = None,
               **headers: str) -> httpx.Response:
        target = f"/v1/blobs/{sha256 or hashlib.sha256(data).hexdigest()}"
        auth = sign_request(party_keys[party], party, "PUT", target, data, clock.now())
        return api.put(target, content=data,
                       headers={"Content-Type": media_type, **auth, **headers})

    return upload


def attachment(data: bytes = PAPER, media_type: str = PDF, name: str = "paper.pdf",
               **changes: Any) -> dict[str, Any]:
    return {"name": name, "media_type": media_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), **changes}


def thread(*attachments: dict[str, Any]) -> dict[str, Any]:
    return {"subject": "Incidents at sea", "level": "expert",
            "text": "Our working paper is attached.", "attachments": list(attachments)}


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    answer = dict(response.json())
    assert answer["error"] == code, answer
    return answer


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


# -- the hub -----------------------------------------------------------------------------------


def test_a_file_named_by_an_entry_goes_to_its_parties_and_to_no_one_else(
        hub: Hub, api: TestClient, put: Put, signed_get: Signed, writers: Any,
        as_party: Callable[..., HubClient]) -> None:
    uploaded = put("IRN", PAPER, PDF)
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json() == {"sha256": PAPER_SHA, "size": len(PAPER), "media_type": PDF}
    assert put("IRN", PAPER, PDF).status_code == 200  # again: harmless

    entry = writers["IRN"].entry("thread@1", ("RUS",), thread(attachment()))
    accepted = api.post("/v1/entries", content=entry.raw)
    assert accepted.status_code == 201, accepted.text

    assert as_party("RUS").blob(PAPER_SHA) == PAPER  # the addressee
    got = signed_get("IRN", f"/v1/blobs/{PAPER_SHA}")  # the sender, who uploaded it
    assert got.status_code == 200 and got.content == PAPER
    assert got.headers["content-type"] == PDF
    assert got.headers["x-content-type-options"] == "nosniff"

    # The outsider is told the same as of a file the hub never held.
    outsider = refused(signed_get("QAT", f"/v1/blobs/{PAPER_SHA}"), 404, "not_found")
    never = refused(signed_get("QAT", f"/v1/blobs/{'0' * 64}"), 404, "not_found")
    assert outsider["message"].replace(PAPER_SHA, "X") == never["message"].replace("0" * 64, "X")
    with pytest.raises(RemoteError) as caught:
        as_party("QAT").blob(PAPER_SHA)
    assert caught.value.status == 404
    refused(api.get(f"/v1/blobs/{PAPER_SHA}"), 401, "unauthenticated")


def test_a_file_to_all_goes_to_every_party(hub: Hub, api: TestClient, put: Put,
                                           signed_get: Signed, writers: Any) -> None:
    assert put("IRN", MAP, PNG).status_code == 201
    entry = writers["IRN"].entry("thread@1", "all", thread(attachment(MAP, PNG, "map.png")))
    assert api.post("/v1/entries", content=entry.raw).status_code == 201
    got = signed_get("QAT", f"/v1/blobs/{hashlib.sha256(MAP).hexdigest()}")
    assert got.status_code == 200 and got.content == MAP


def test_a_file_uploaded_but_named_by_no_entry_goes_only_to_those_who_uploaded_it(
        hub: Hub, put: Put, signed_get: Signed) -> None:
    assert put("IRN", PAPER, PDF).status_code == 201
    # Another party holding the same bytes learns nothing from the answer: it is new to it.
    assert put("SAU", PAPER, PDF).status_code == 201
    assert put("SAU", PAPER, PDF).status_code == 200
    for party in ("IRN", "SAU"):
        assert signed_get(party, f"/v1/blobs/{PAPER_SHA}").content == PAPER
    refused(signed_get("RUS", f"/v1/blobs/{PAPER_SHA}"), 404, "not_found")


def test_an_entry_naming_a_file_the_hub_does_not_hold_is_refused(
        hub: Hub, api: TestClient, writers: Any) -> None:
    entry = writers["IRN"].entry("thread@1", ("RUS",), thread(attachment()))
    answer = refused(api.post("/v1/entries", content=entry.raw), 422, "attachment")
    assert answer["sha256"] == PAPER_SHA and answer["entry_id"] == entry.id_hex
    assert hub.state.size == 6  # the genesis entry and the five registrations only


@pytest.mark.parametrize("changes", [{"size": len(PAPER) + 1}, {"media_type": TEXT}])
def test_an_entry_declaring_another_size_or_type_than_the_file_held_is_refused(
        hub: Hub, api: TestClient, put: Put, writers: Any, changes: dict[str, Any]) -> None:
    assert put("IRN", PAPER, PDF).status_code == 201
    entry = writers["IRN"].entry("thread@1", ("RUS",), thread(attachment(**changes)))
    answer = refused(api.post("/v1/entries", content=entry.raw), 422, "attachment")
    assert "held as application/pdf" in answer["message"]


def test_an_upload_that_is_not_the_file_its_hash_names_is_refused_and_not_kept(
        hub: Hub, put: Put, signed_get: Signed) -> None:
    other = hashlib.sha256(b"another file").hexdigest()
    answer = refused(put("IRN", PAPER, PDF, sha256=other), 422, "attachment")
    assert PAPER_SHA in answer["message"]
    refused(signed_get("IRN", f"/v1/blobs/{other}"), 404, "not_found")
    refused(signed_get("IRN", f"/v1/blobs/{PAPER_SHA}"), 404, "not_found")


def test_an_upload_of_another_type_than_declared_empty_or_too_large_is_refused(
        hub: Hub, put: Put) -> None:
    assert "not application/pdf" in refused(put("IRN", MAP, PDF), 422, "attachment")["message"]
    refused(put("IRN", b"", PDF), 422, "attachment")
    refused(put("IRN", PAPER, "application/zip"), 422, "attachment")
    big = b"%PDF-" + bytes(MAX_ATTACHMENT_BYTES - 4)
    assert "over the limit" in refused(put("IRN", big, PDF), 422, "attachment")["message"]
    assert put("IRN", docx(), DOCX).status_code == 201


def test_an_upload_declaring_too_large_a_body_is_refused_before_it_is_read(
        hub: Hub, api: TestClient, party_keys: dict[str, SigningKey],
        clock: ManualClock) -> None:
    target = f"/v1/blobs/{PAPER_SHA}"

    def stream() -> Any:  # a body that must never be read
        raise AssertionError("the body was read")
        yield b""

    auth = sign_request(party_keys["IRN"], "IRN", "PUT", target, PAPER, clock.now())
    answer = refused(api.put(target, content=stream(), headers={
        "Content-Type": PDF, "Content-Length": str(MAX_ATTACHMENT_BYTES + 1), **auth}),
        422, "attachment")
    assert "over the limit" in answer["message"]


def test_an_unsigned_upload_is_refused(hub: Hub, api: TestClient) -> None:
    refused(api.put(f"/v1/blobs/{PAPER_SHA}", content=PAPER,
                    headers={"Content-Type": PDF}), 401, "unauthenticated")


def test_the_client_refuses_bytes_that_are_not_the_file_it_asked_for(
        clock: ManualClock, party_keys: dict[str, SigningKey]) -> None:
    def lying_hub(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"%PDF-1.7 something else")

    client = HubClient(BASE_URL, party="RUS", key=party_keys["RUS"], clock=clock,
                       transport=httpx.MockTransport(lying_hub))
    with client, pytest.raises(AttachmentError, match="SHA-256"):
        client.blob(PAPER_SHA)


# -- through a node ----------------------------------------------------------------------------


def node_api(node: Node) -> TestClient:
    """A client on the node's API, presenting its API token."""
    token = f"token-of-{node.party}"
    with node.uow() as uow:
        uow.repo.set_meta("api_token_sha256", hashlib.sha256(token.encode()).hexdigest())
        uow.commit()
    return TestClient(build_node_app(node, run_sync=False), base_url=BASE_URL,
                      headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def trio(make_net: Callable[..., NodeNet]) -> NodeNet:
    network = make_net(["IRN", "RUS", "QAT"])
    for node in network.nodes.values():
        node.sync_once()
    return network


def test_a_node_attaches_a_file_and_the_addressees_node_opens_the_same_bytes(
        trio: NodeNet) -> None:
    irn, rus, qat = (trio.nodes[p] for p in ("IRN", "RUS", "QAT"))
    carried = irn.attach(PAPER, PDF, "Working paper — incidents.pdf")
    assert carried == attachment(name="Working paper — incidents.pdf")
    irn.send("thread@1", ("RUS",), thread(carried))
    for node in (rus, qat):
        node.sync_once()

    assert rus.attachment(PAPER_SHA) == (PAPER, PDF)  # fetched from the hub, checked, kept
    with rus.uow() as uow:
        kept = uow.repo.blob(bytes.fromhex(PAPER_SHA))
    assert kept is not None and kept.data == PAPER
    assert irn.attachment(PAPER_SHA) == (PAPER, PDF)  # its own copy
    with pytest.raises(NotFound):
        qat.attachment(PAPER_SHA)  # it holds no entry naming the file
    with pytest.raises(NotFound):
        rus.attachment("0" * 64)


def test_a_node_keeps_a_file_it_could_not_upload(
        regime: Regime, databases: Databases, party_keys: dict[str, SigningKey],
        log_key: SigningKey, clock: ManualClock) -> None:
    def away(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("the hub is away", request=request)

    engine = create_db_engine(databases.new("node_away"))
    migrate(engine, "node")
    client = HubClient(BASE_URL, party="IRN", key=party_keys["IRN"], clock=clock,
                       transport=httpx.MockTransport(away))
    node = Node(regime, engine, "IRN", party_keys["IRN"], client, log_key.verifier, clock)
    try:
        with pytest.raises(TransportError):
            node.attach(PAPER, PDF, "paper.pdf")
        with node.uow() as uow:
            kept = uow.repo.blob(bytes.fromhex(PAPER_SHA))
        assert kept is not None and kept.data == PAPER and kept.uploaded_at is None
    finally:
        node.close()


def test_the_node_api_takes_an_upload_and_gives_the_file_as_a_download(
        trio: NodeNet) -> None:
    irn, rus = node_api(trio.nodes["IRN"]), node_api(trio.nodes["RUS"])
    name = "Note verbale n° 12.pdf"
    sent = irn.post("/v1/attachments", files={"file": (name, PAPER, PDF)})
    assert sent.status_code == 201, sent.text
    assert sent.json() == attachment(name=name)
    raw = irn.post("/v1/attachments", params={"name": "map.png", "media_type": PNG},
                   content=MAP)
    assert raw.status_code == 201, raw.text
    assert raw.json()["sha256"] == hashlib.sha256(MAP).hexdigest()
    refused(irn.post("/v1/attachments", files={"file": ("map.pdf", MAP, PDF)}), 422,
            "attachment")
    refused(irn.post("/v1/attachments", content=PAPER, headers={"Content-Type": PDF}), 422,
            "attachment")  # unnamed

    trio.nodes["IRN"].send("thread@1", ("RUS",), thread(sent.json()))
    trio.nodes["RUS"].sync_once()
    got = rus.get(f"/v1/attachments/{PAPER_SHA}")
    assert got.status_code == 200 and got.content == PAPER
    assert got.headers["content-type"] == PDF
    assert got.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''Note%20verbale%20n%C2%B0%2012.pdf")
    assert got.headers["x-content-type-options"] == "nosniff"
    refused(node_api(trio.nodes["QAT"]).get(f"/v1/attachments/{PAPER_SHA}"), 404, "not_found")
    anonymous = TestClient(build_node_app(trio.nodes["RUS"], run_sync=False), base_url=BASE_URL)
    refused(anonymous.get(f"/v1/attachments/{PAPER_SHA}"), 401, "unauthenticated")
    refused(anonymous.post("/v1/attachments", params={"name": "x.pdf"}, content=PAPER),
            401, "unauthenticated")


# -- the schema --------------------------------------------------------------------------------


def test_the_migrations_make_the_tables_the_code_describes(database_url: str,
                                                           databases: Databases) -> None:
    mine = {"hub_blobs", "hub_blob_uploads", "hub_blob_refs", "hub_submissions", "node_blobs"}
    stores: list[tuple[Store, sa.MetaData, str]] = [
        ("hub", hub_store.metadata, database_url),
        ("node", node_store.metadata, databases.new("node_schema"))]
    for store, metadata, url in stores:
        engine = create_db_engine(url)
        try:
            migrate(engine, store)
            with engine.connect() as conn:
                diffs = compare_metadata(MigrationContext.configure(conn), metadata)
                tables = set(sa.inspect(conn).get_table_names())
        finally:
            engine.dispose()
        assert mine & tables == {t for t in mine if t.startswith(store)}
        touching = [d for d in diffs if any(table in repr(d) for table in mine)]
        assert touching == [], touching
