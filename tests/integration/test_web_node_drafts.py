"""The node's drafts queue on its pages, over a real hub and real nodes (SQLite and PostgreSQL).

Personas, all delegates of IRN's node: vali and vida are viewers (they prepare, never sign),
leila and omid are officers. A draft never leaves the node; an officer signs it on the usual
preview → confirm → send path, once per confirmation. Under the node's two-person rule, an
entry of a chosen form is prepared by one delegate and signed by another officer.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from support.databases import Databases
from support.inprocess import BASE_URL, Browser, NodeNet, add_user, node_browser, text_of

from gulfsec.adapters.storage import node as node_store
from gulfsec.adapters.storage.engine import create_db_engine
from gulfsec.adapters.storage.migrate import migrate
from gulfsec.bootstrap import build_node_app
from gulfsec.errors import ConfigError
from gulfsec.services.node import Node

SUBJECT = "Joint patrol in the Strait"
TEXT = "A proposal for a joint patrol."


def _browser(node: Node, name: str, role: str, two_person_forms: str = "") -> Browser:
    """A new delegate ``name`` of ``node``, signed in on pages under ``two_person_forms``."""
    add_user(node.engine, name, role)
    if two_person_forms:
        browser = Browser(TestClient(build_node_app(node, run_sync=False,
                                                    two_person_forms=two_person_forms),
                                     base_url=BASE_URL))
    else:
        browser = node_browser(node)
    assert browser.sign_in(name).status_code == 303
    return browser


def _fields(csrf: str, **fields: Any) -> dict[str, Any]:
    return {"csrf_token": csrf, "audience_kind": "parties", "audience_parties": ["RUS"],
            "body.subject": SUBJECT, "body.text": TEXT, **fields}


def _form_fields(page: str, form_id: str) -> list[tuple[str, str]]:
    form = re.search(rf'<form [^>]*id="{form_id}".*?</form>', page, re.S)
    assert form is not None, f"no form {form_id} on the page"
    return [(name, html.unescape(value)) for name, value in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))]


def _send_fields(page: str) -> list[tuple[str, str]]:
    return [*_form_fields(page, "send-form"), ("confirm", "yes")]


def _queue(browser: Browser, form: str = "message@1", **fields: Any) -> int:
    """Preview an entry of ``form`` and put it in the queue; the draft's id."""
    csrf = browser.csrf(f"/compose/{form}")
    preview = browser.post(f"/compose/{form}", _fields(csrf, **fields))
    assert preview.status_code == 200, text_of(preview.text)
    queued = browser.post(f"/compose/{form}/queue", _form_fields(preview.text, "queue-form"))
    assert queued.status_code == 303, text_of(queued.text)
    found = re.fullmatch(r"/drafts\?queued=(\d+)", queued.headers["location"])
    assert found is not None, queued.headers["location"]
    return int(found.group(1))


def _outbox(node: Node) -> int:
    with node.uow() as uow:
        return len(uow.repo.outbox_items())


def _preview_draft(browser: Browser, draft_id: int, **fields: Any) -> str:
    page = browser.get(f"/drafts/{draft_id}")
    assert page.status_code == 200, text_of(page.text)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    preview = browser.post(f"/drafts/{draft_id}", _fields(html.unescape(csrf.group(1)),
                                                          **fields))
    assert preview.status_code == 200, text_of(preview.text)
    return str(preview.text)


# -- a viewer prepares ---------------------------------------------------------------------------


def test_a_viewer_puts_an_entry_in_the_queue_and_cannot_sign_it(net: NodeNet) -> None:
    irn = net.nodes["IRN"]
    vali = _browser(irn, "vali", "viewer")
    csrf = vali.csrf("/compose/message@1")
    preview = vali.post("/compose/message@1", _fields(csrf))
    assert preview.status_code == 200
    assert 'id="send-form"' not in preview.text
    text = text_of(preview.text)
    assert "Put in the drafts queue for an officer" in text
    assert "This does not sign or send anything" in text
    assert "never leaves this node" in text and "not e-mailed, exported" in text
    draft_id = _queue(vali)
    listing = vali.get("/drafts")
    row = re.search(rf'<tr id="draft-{draft_id}">.*?</tr>', listing.text, re.S)
    assert row is not None
    assert "vali" in text_of(row.group(0)) and "Consultation message" in text_of(row.group(0))
    assert SUBJECT in text_of(row.group(0))
    assert re.search(r'id="drafts-waiting">1<', listing.text)  # the nav's count
    forged = [("csrf_token", vali.csrf("/drafts")), ("body_json", '{"subject":"x","text":"y"}'),
              ("audience_kind", "parties"), ("audience_parties", "RUS"),
              ("confirmation", "forged-by-a-viewer"), ("confirm", "yes")]
    refused = vali.post(f"/drafts/{draft_id}/send", forged)
    assert refused.status_code == 403
    assert "Only an officer may sign" in text_of(refused.text)
    assert _outbox(irn) == 0
    assert "waits in this node's drafts queue" in text_of(vali.get(f"/drafts/{draft_id}").text)


def test_a_draft_needs_the_csrf_token_and_a_valid_entry(net: NodeNet) -> None:
    vali = _browser(net.nodes["IRN"], "vali", "viewer")
    csrf = vali.csrf("/compose/message@1")
    preview = vali.post("/compose/message@1", _fields(csrf))
    fields = [f for f in _form_fields(preview.text, "queue-form") if f[0] != "csrf_token"]
    assert vali.post("/compose/message@1/queue", fields).status_code == 403
    bad = [(n, '{"subject": ""}' if n == "body_json" else v)
           for n, v in _form_fields(preview.text, "queue-form")]
    answer = vali.post("/compose/message@1/queue", bad)
    assert answer.status_code == 422 and "Nothing was signed" in text_of(answer.text)
    assert "No draft is waiting." in text_of(vali.get("/drafts").text)


# -- an officer signs ----------------------------------------------------------------------------


def test_an_officer_opens_changes_and_signs_a_draft_once(net: NodeNet) -> None:
    irn = net.nodes["IRN"]
    vali = _browser(irn, "vali", "viewer")
    draft_id = _queue(vali)
    leila = _browser(irn, "leila", "officer")
    opened = leila.get(f"/drafts/{draft_id}")
    assert opened.status_code == 200
    assert f'value="{SUBJECT}"' in opened.text and TEXT in opened.text  # prefilled
    assert f'action="/drafts/{draft_id}"' in opened.text
    assert "prepared by vali" in text_of(opened.text)
    preview = _preview_draft(leila, draft_id, **{"body.text": "Changed by the officer."})
    assert f'action="/drafts/{draft_id}/send"' in preview
    sent = leila.post(f"/drafts/{draft_id}/send", _send_fields(preview))
    assert sent.status_code == 303, text_of(sent.text)
    location = sent.headers["location"]
    assert location.startswith("/entries/") and location.endswith("?sent=1")
    entry_id = location.split("/")[2].split("?")[0]
    again = leila.post(f"/drafts/{draft_id}/send", _send_fields(preview))
    assert again.status_code == 303
    assert again.headers["location"] == f"/entries/{entry_id}?sent=again"
    assert _outbox(irn) == 1
    net.settle()
    assert "Changed by the officer." in leila.get(f"/entries/{entry_id}").text
    listing = leila.get("/drafts")
    assert "No draft is waiting." in text_of(listing.text)
    row = re.search(rf'<tr id="draft-{draft_id}">.*?</tr>', listing.text, re.S)
    assert row is not None and "Signed by leila" in text_of(row.group(0))
    assert f'href="/entries/{entry_id}"' in row.group(0)
    assert 'id="drafts-waiting"' not in listing.text


def test_a_draft_signed_meanwhile_is_not_signed_again_by_another_officer(net: NodeNet) -> None:
    irn = net.nodes["IRN"]
    draft_id = _queue(_browser(irn, "vali", "viewer"))
    leila, omid = _browser(irn, "leila", "officer"), _browser(irn, "omid", "officer")
    first, second = _preview_draft(leila, draft_id), _preview_draft(omid, draft_id)
    assert leila.post(f"/drafts/{draft_id}/send", _send_fields(first)).status_code == 303
    late = omid.post(f"/drafts/{draft_id}/send", _send_fields(second))
    assert late.status_code == 409
    assert "already signed by leila" in text_of(late.text)
    assert _outbox(irn) == 1


# -- discarding ----------------------------------------------------------------------------------


def test_a_viewer_discards_only_their_own_draft_and_an_officer_any(net: NodeNet) -> None:
    irn = net.nodes["IRN"]
    vali, vida = _browser(irn, "vali", "viewer"), _browser(irn, "vida", "viewer")
    mine, hers = _queue(vali), _queue(vida, **{"body.subject": "Vida's"})
    listing = vali.get("/drafts").text
    assert f'id="discard-{mine}"' in listing and f'id="discard-{hers}"' not in listing
    refused = vali.post(f"/drafts/{hers}/discard", {"csrf_token": vali.csrf("/drafts")})
    assert refused.status_code == 403
    assert "Only the delegate who prepared this draft, or an officer" in text_of(refused.text)
    done = vali.post(f"/drafts/{mine}/discard", {"csrf_token": vali.csrf("/drafts")})
    assert done.status_code == 303 and done.headers["location"] == f"/drafts?discarded={mine}"
    again = vali.post(f"/drafts/{mine}/discard", {"csrf_token": vali.csrf("/drafts")})
    assert again.status_code == 409 and "discarded by vali" in text_of(again.text)
    leila = _browser(irn, "leila", "officer")
    preview = _preview_draft(leila, hers)
    assert leila.post(f"/drafts/{hers}/discard",
                      {"csrf_token": leila.csrf("/drafts")}).status_code == 303
    late = leila.post(f"/drafts/{hers}/send", _send_fields(preview))
    assert late.status_code == 409 and _outbox(irn) == 0
    listing = leila.get("/drafts").text
    assert "Discarded by vali" in text_of(listing) and "Discarded by leila" in text_of(listing)
    assert "No draft is waiting." in text_of(listing)
    assert leila.get("/drafts/9999").status_code == 404


# -- the two-person rule -------------------------------------------------------------------------


def test_under_the_two_person_rule_the_preparer_cannot_sign_and_another_officer_can(
        net: NodeNet) -> None:
    irn = net.nodes["IRN"]
    leila = _browser(irn, "leila", "officer", two_person_forms="message@1")
    omid = _browser(irn, "omid", "officer", two_person_forms="message@1")
    form = leila.get("/compose/message@1")
    assert 'id="two-person-notice"' in form.text
    csrf = leila.csrf("/compose/message@1")
    preview = leila.post("/compose/message@1", _fields(csrf))
    assert 'id="send-form"' not in preview.text and 'id="queue-form"' in preview.text
    assert "two-person rule" in text_of(preview.text)
    direct = [*_form_fields(preview.text, "queue-form"), ("confirmation", "direct-try"),
              ("confirm", "yes")]
    refused = leila.post("/compose/message@1/send", direct)
    assert refused.status_code == 403 and "two-person rule" in text_of(refused.text)
    assert _outbox(irn) == 0

    draft_id = _queue(leila)
    own = _preview_draft(leila, draft_id)
    assert 'id="send-form"' not in own
    assert "You prepared this draft" in text_of(own)
    forged = [*_form_fields(own, "queue-form"), ("confirmation", "own-try"), ("confirm", "yes")]
    refused = leila.post(f"/drafts/{draft_id}/send", forged)
    assert refused.status_code == 403 and "You prepared this draft" in text_of(refused.text)
    assert _outbox(irn) == 0

    changed = _preview_draft(omid, draft_id, **{"body.text": "Changed by omid."})
    assert 'id="send-form"' not in changed and "You changed this draft" in text_of(changed)
    as_prepared = _preview_draft(omid, draft_id)
    sent = omid.post(f"/drafts/{draft_id}/send", _send_fields(as_prepared))
    assert sent.status_code == 303 and sent.headers["location"].endswith("?sent=1")
    assert _outbox(irn) == 1
    row = re.search(rf'<tr id="draft-{draft_id}">.*?</tr>', omid.get("/drafts").text, re.S)
    assert row is not None and "Signed by omid" in text_of(row.group(0))


def test_a_change_under_the_two_person_rule_goes_back_to_the_queue(net: NodeNet) -> None:
    irn = net.nodes["IRN"]
    leila = _browser(irn, "leila", "officer", two_person_forms="*")
    omid = _browser(irn, "omid", "officer", two_person_forms="*")
    first = _queue(leila)
    changed = _preview_draft(omid, first, **{"body.text": "Changed by omid."})
    back = omid.post(f"/drafts/{first}/queue", _form_fields(changed, "queue-form"))
    assert back.status_code == 303
    second = int(back.headers["location"].rsplit("=", 1)[1])
    assert second != first
    listing = leila.get("/drafts").text
    assert "Discarded by omid" in text_of(listing)
    opened = leila.get(f"/drafts/{second}").text
    assert "Changed by omid." in opened and "prepared by omid" in text_of(opened)
    preview = _preview_draft(leila, second, **{"body.text": "Changed by omid."})
    assert "Changed by omid." in preview and 'id="send-form"' in preview
    assert leila.post(f"/drafts/{second}/send", _send_fields(preview)).status_code == 303


def test_a_form_the_rule_does_not_name_is_signed_directly(net: NodeNet) -> None:
    irn = net.nodes["IRN"]
    leila = _browser(irn, "leila", "officer", two_person_forms="message@1")
    csrf = leila.csrf("/compose/annual-calendar@1")
    assert 'id="two-person-notice"' not in leila.get("/compose/annual-calendar@1").text
    preview = leila.post("/compose/annual-calendar@1", {
        "csrf_token": csrf, "audience_kind": "all",
        "_json": '{"year": 2027, "activities": []}'})
    assert preview.status_code == 200, text_of(preview.text)
    sent = leila.post("/compose/annual-calendar@1/send", _send_fields(preview.text))
    assert sent.status_code == 303 and sent.headers["location"].endswith("?sent=1")
    # and without the rule, an officer may sign a draft they prepared themselves
    plain = _browser(irn, "omid", "officer")
    draft_id = _queue(plain)
    own = _preview_draft(plain, draft_id)
    assert plain.post(f"/drafts/{draft_id}/send", _send_fields(own)).status_code == 303
    assert _outbox(irn) == 2


def test_the_rule_names_only_forms_written_on_the_compose_pages(net: NodeNet) -> None:
    with pytest.raises(ConfigError, match="GULFSEC_TWO_PERSON_FORMS: nope@1"):
        build_node_app(net.nodes["IRN"], run_sync=False, two_person_forms="nope@1")
    with pytest.raises(ConfigError, match="stands alone"):
        build_node_app(net.nodes["IRN"], run_sync=False, two_person_forms="*,message@1")


# -- the schema ----------------------------------------------------------------------------------


def test_the_migration_makes_the_drafts_table_the_code_describes(databases: Databases) -> None:
    engine = create_db_engine(databases.new("node_drafts_schema"))
    try:
        migrate(engine, "node")
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), node_store.metadata)
    finally:
        engine.dispose()
    touching = [d for d in diffs if "node_drafts" in repr(d)]
    assert touching == [], touching
