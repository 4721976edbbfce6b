"""The decision pages, rendered over a real hub and real nodes, on SQLite and PostgreSQL.

Personas: leila, IRN's officer, takes IRN's positions; victor, IRN's viewer, only reads; SAU and
QAT are IRN's fellow members of the ``regional`` format; RUS is not a member and its node holds
nothing of a regional draft; USA, registered but without a node, takes positions through the
hub's API; the secretariat chairs and signs outcomes; the public reads what is addressed to all.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from support.inprocess import (
    PASSWORD,
    Browser,
    NodeNet,
    TestClient,
    add_user,
    csrf_of,
    node_browser,
    text_of,
)

from gulfsec.adapters.clock import ManualClock
from gulfsec.domain.encoding import format_time
from gulfsec.domain.entry import parse_signed_entry
from gulfsec.domain.forms.decisions import DRAFT, OUTCOME, POSITION, STEPS
from gulfsec.domain.keys import SigningKey
from gulfsec.domain.procedures.decisions import draft_audience
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.participant import compose
from gulfsec.services.shared.accounts import create_account

HOUR = timedelta(hours=1)
DECISION = {DRAFT, *STEPS}


def propose(node: Node, title: str, *, fmt: str = "regional", procedure: str = "silence",
            hours: float = 24, kind: str = "text", content: dict[str, Any] | None = None,
            text: str = "The participants agree.") -> str:
    """``node``'s party proposes a draft, closing ``hours`` from now; its id."""
    body = {"kind": kind, "title": title, "text": text, "format": fmt,
            "procedure": procedure,
            "closes_at": format_time(node.clock.now() + timedelta(hours=hours)),
            "content": content or {}}
    return node.send(DRAFT, draft_audience(node.regime, fmt), body).id_hex


def take(node: Node, draft: str, position: str, fmt: str = "regional", **extra: str) -> str:
    return node.send(POSITION, draft_audience(node.regime, fmt),
                     {"draft": draft, "position": position, **extra}, refs=[draft]).id_hex


def outbox(node: Node) -> int:
    """How many decision entries (drafts and steps) the party signed: acknowledgements aside."""
    with node.uow() as uow:
        items = uow.repo.outbox_items()
    return sum(1 for item in items
               if parse_signed_entry(item.raw, max_bytes=1 << 22).entry.form in DECISION)


def signed_in(node: Node, name: str, role: str) -> Browser:
    add_user(node.engine, name, role)
    browser = node_browser(node)
    assert browser.sign_in(name).status_code == 303
    return browser


@pytest.fixture
def officer(net: NodeNet) -> Browser:
    return signed_in(net.nodes["IRN"], "leila", "officer")


@pytest.fixture
def drafts(net: NodeNet) -> dict[str, str]:
    """Three open regional drafts: SAU's under silence closing in 6 hours, QAT's by consensus
    in 2 days, IRN's own by consensus in 3 days."""
    found = {"hotline": propose(net.nodes["SAU"], "Maritime hotline", hours=6),
             "meeting": propose(net.nodes["QAT"], "Regional meeting", procedure="consensus",
                                hours=48),
             "shipping": propose(net.nodes["IRN"], "Statement on shipping",
                                 procedure="consensus", hours=72)}
    net.settle()
    return found


def position_fields(page: str, **fields: str) -> dict[str, str]:
    form = re.search(r'<form[^>]*id="position-form".*?</form>', page, re.S)
    assert form is not None, "no position form on the page"
    token = re.search(r'name="confirmation" value="([^"]+)"', form.group(0))
    assert token is not None
    return {"csrf_token": csrf_of(page), "confirmation": token.group(1), **fields}


def _order(page: str, table: str) -> list[str]:
    body = re.search(rf'<table id="{table}">.*?</table>', page, re.S)
    assert body is not None, table
    return re.findall(r'<a href="/decisions/[0-9a-f]{64}" dir="auto">([^<]+)</a>', body.group(0))


# -- the list --------------------------------------------------------------------------------------


def test_drafts_waiting_for_the_partys_position_come_first_the_most_urgent_first(
        net: NodeNet, officer: Browser, drafts: dict[str, str]) -> None:
    page = officer.get("/decisions")
    assert page.status_code == 200
    assert 'id="nav-decisions" aria-current="page"' in page.text
    assert _order(page.text, "waiting-drafts") == ["Maritime hotline", "Regional meeting",
                                                   "Statement on shipping"]
    text = text_of(page.text)
    assert "6 hours" in text and "2 days" in text and "3 days" in text
    take(net.nodes["IRN"], drafts["meeting"], "join")
    net.settle()
    page = officer.get("/decisions").text
    assert _order(page, "waiting-drafts") == ["Maritime hotline", "Statement on shipping"]
    assert _order(page, "other-drafts") == ["Regional meeting"]
    row = re.search(r'<tr id="draft-' + drafts["meeting"][:12] + '".*?</tr>', page, re.S)
    assert row is not None and "joins" in text_of(row.group(0))
    assert 'id="propose-link"' in page


# -- taking a position ---------------------------------------------------------------------------


def test_an_officer_objects_with_a_reason_once_and_sees_the_silence_broken_at_closing(
        net: NodeNet, officer: Browser, drafts: dict[str, str], clock: ManualClock) -> None:
    irn = net.nodes["IRN"]
    url = f"/decisions/{drafts['hotline']}"
    page = officer.get(url)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Maritime hotline" in text and "silence procedure" in text
    assert "23 Nov 2026 18:00:00 UTC (6 hours left)" in text
    assert ("An objection signed one second before the closing time but final one second "
            "after it does not count: it does not break silence") in text
    assert all(f'id="{b}"' in page.text for b in ("join", "stand-aside", "object"))
    assert 'id="withdraw-form"' not in page.text  # SAU proposed it, not IRN

    # Objecting without a reason: the field is named, what was written is kept, nothing signed.
    fields = position_fields(page.text, position="object",
                             statement="Kept while the reason is missing")
    refused = officer.post(url + "/position", fields)
    assert refused.status_code == 422
    assert "an objection needs a reason" in text_of(refused.text)
    assert 'id="position-reason" name="reason"' in refused.text
    assert 'aria-invalid="true"' in refused.text and 'id="position-reason-error"' in refused.text
    assert "Kept while the reason is missing" in refused.text
    assert outbox(irn) == 1  # IRN's own draft only

    fields = position_fields(page.text, position="object", reason="The area is too wide.")
    sent = officer.post(url + "/position", fields)
    assert sent.status_code == 303 and sent.headers["location"] == url + "?sent=1#your-position"
    again = officer.post(url + "/position", fields)  # a double click, a reload of the POST
    assert again.headers["location"] == url + "?sent=again#your-position"
    assert outbox(irn) == 2
    assert "Signed and handed to the outbox" in text_of(officer.get(url + "?sent=1").text)

    net.settle()
    page = officer.get(url)
    row = re.search(r'<tr id="position-IRN">.*?</tr>', page.text, re.S)
    assert row is not None
    assert "objects" in text_of(row.group(0)) and "The area is too wide." in row.group(0)
    assert "IRN objects (log #" in text_of(page.text)
    assert re.search(r'class="step step-counts"', page.text)
    # A step's time reads as the page's other times do (the `when` filter), not as ISO; the
    # format by its name.
    assert re.search(r"counts \(final at 23 Nov 2026 \d\d:\d\d:\d\d UTC, by the closing time\)",
                     text_of(page.text))
    assert "regional states regional : members that decide" in text_of(page.text)
    assert "Not yet responded (no position that counts): SAU, QAT." in text_of(page.text)

    clock.advance(7 * HOUR)
    officer.sign_in("leila")
    closed = officer.get(url)
    text = text_of(closed.text)
    assert "not adopted" in text and "silence broken: IRN objected" in text
    assert "The entries that broke silence" in text
    assert 'id="position-form"' not in closed.text
    assert "The draft closed at 23 Nov 2026 18:00:00 UTC" in text
    late = officer.post(url + "/position", position_fields(
        page.text, position="join") | {"csrf_token": csrf_of(closed.text)})
    assert late.status_code == 409
    assert "Not sent: The draft closed at" in text_of(late.text)
    assert outbox(irn) == 2


def test_a_viewer_a_form_from_elsewhere_and_a_party_outside_the_format_are_refused(
        net: NodeNet, officer: Browser, drafts: dict[str, str]) -> None:
    url = f"/decisions/{drafts['hotline']}"
    # A viewer reads the draft but sees no button, and a viewer's post signs nothing.
    viewer = signed_in(net.nodes["IRN"], "victor", "viewer")
    page = viewer.get(url)
    assert page.status_code == 200
    assert "You are signed in as a viewer" in text_of(page.text)
    for form in ("position-form", "amend-form", "withdraw-form"):
        assert f'id="{form}"' not in page.text
    assert 'id="propose-link"' not in viewer.get("/decisions").text
    refused = viewer.post(url + "/position", {"csrf_token": csrf_of(page.text),
                                              "confirmation": "x" * 24, "position": "join"})
    assert refused.status_code == 403
    own = viewer.post(f"/decisions/{drafts['shipping']}/withdraw",
                      {"csrf_token": csrf_of(page.text), "confirmation": "y" * 24})
    assert own.status_code == 403

    # An officer's form without the session's CSRF token is refused.
    fields = position_fields(officer.get(url).text, position="join")
    assert officer.post(url + "/position", {**fields, "csrf_token": "guessed"}
                        ).status_code == 403
    del fields["csrf_token"]
    assert officer.post(url + "/position", fields).status_code == 403
    assert officer.post("/decisions/new", {"kind": "text"}).status_code == 403
    assert outbox(net.nodes["IRN"]) == 1  # IRN's own draft only

    # RUS is no member of the regional format: its node holds nothing of the draft.
    outsider = signed_in(net.nodes["RUS"], "ruslan", "officer")
    assert outsider.get(url).status_code == 404
    assert "Maritime hotline" not in outsider.get("/decisions").text
    refused = outsider.post(url + "/position", {
        "csrf_token": outsider.csrf("/decisions"), "confirmation": "z" * 24,
        "position": "object", "reason": "Not ours to decide."})
    assert refused.status_code == 404
    assert outbox(net.nodes["RUS"]) == 0


def test_an_amendment_and_a_withdrawal_by_the_proposer(
        net: NodeNet, officer: Browser, drafts: dict[str, str]) -> None:
    meeting = f"/decisions/{drafts['meeting']}"
    page = officer.get(meeting).text
    form = re.search(r'<form[^>]*id="amend-form".*?</form>', page, re.S)
    assert form is not None
    token = re.search(r'name="confirmation" value="([^"]+)"', form.group(0))
    assert token is not None
    empty = officer.post(meeting + "/amend", {"csrf_token": csrf_of(page),
                                              "confirmation": token.group(1), "text": " "})
    assert empty.status_code == 422 and 'id="amend-text-error"' in empty.text
    sent = officer.post(meeting + "/amend", {
        "csrf_token": csrf_of(page), "confirmation": token.group(1),
        "text": "The participants agree to meet in Muscat.", "reason": "A neutral venue."})
    assert sent.status_code == 303

    shipping = f"/decisions/{drafts['shipping']}"
    own = officer.get(shipping).text
    form = re.search(r'<form[^>]*id="withdraw-form".*?</form>', own, re.S)
    assert form is not None
    token = re.search(r'name="confirmation" value="([^"]+)"', form.group(0))
    assert token is not None
    assert officer.post(shipping + "/withdraw", {
        "csrf_token": csrf_of(own), "confirmation": token.group(1),
        "reason": "Overtaken by events."}).status_code == 303
    net.settle()

    amended = text_of(officer.get(meeting).text)
    assert "Amendments" in amended and "The participants agree to meet in Muscat." in amended
    assert "IRN proposes an amendment" in amended
    withdrawn = officer.get(shipping).text
    assert "withdrawn by IRN" in text_of(withdrawn)
    assert 'id="position-form"' not in withdrawn and 'id="withdraw-form"' not in withdrawn


# -- proposing -----------------------------------------------------------------------------------


def _propose_token(page: str) -> str:
    found = re.search(r'name="confirmation" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_proposing_a_draft_names_each_mistake_then_sends_it_once(
        net: NodeNet, officer: Browser, clock: ManualClock) -> None:
    irn = net.nodes["IRN"]
    page = officer.get("/decisions/new").text
    labels = set(re.findall(r'<label for="([^"]+)"', page))
    inputs = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page))
    assert inputs - {"lang-select"} <= labels
    base = {"csrf_token": csrf_of(page), "confirmation": _propose_token(page), "kind": "text",
            "format": "regional", "procedure": "consensus"}
    wrong = officer.post("/decisions/new", {**base, "title": "", "text": "Agreed text.",
                                            "closes_at": "2026-11-20 12:00"})
    assert wrong.status_code == 422
    text = text_of(wrong.text)
    assert "Nothing was signed" in text
    assert "the closing time must be after now (23 Nov 2026 12:00:00 UTC)" in text
    assert "write something here" in text  # the empty title
    assert "tick the box to confirm" in text
    assert "Agreed text." in wrong.text  # kept
    assert outbox(irn) == 0

    fields = {**base, "title": "Freedom of navigation", "text": "Agreed text.",
              "closes_at": "2026-11-25 12:00", "confirm": "yes"}
    sent = officer.post("/decisions/new", fields)
    assert sent.status_code == 303, text_of(sent.text)
    location = sent.headers["location"]
    draft = re.fullmatch(r"/decisions/([0-9a-f]{64})\?sent=1", location)
    assert draft is not None
    again = officer.post("/decisions/new", fields)
    assert again.headers["location"] == f"/decisions/{draft.group(1)}?sent=again"
    assert outbox(irn) == 1
    waiting = officer.get(location)  # sent, not yet synced back: said so, with the entry
    assert waiting.status_code == 200
    assert "Signed and handed to the outbox" in text_of(waiting.text)
    assert f'href="/entries/{draft.group(1)}"' in waiting.text
    net.settle()
    page = officer.get(f"/decisions/{draft.group(1)}").text
    assert "Freedom of navigation" in page and "25 Nov 2026 12:00:00 UTC" in text_of(page)
    with irn.uow() as uow:
        [item] = uow.repo.outbox_items()
    assert b'"closes_at":"2026-11-25T12:00:00Z"' in item.raw


def test_a_concept_version_and_a_designation_are_checked_field_by_field(
        net: NodeNet, officer: Browser) -> None:
    page = officer.get("/decisions/new?kind=concept").text
    assert 'name="sections"' in page
    base = {"csrf_token": csrf_of(page), "confirmation": _propose_token(page),
            "kind": "concept", "title": "Concept", "text": "A new version.", "format": "all",
            "procedure": "silence", "closes_at": "2026-11-30 12:00", "confirm": "yes"}
    loose = officer.post("/decisions/new", {**base, "sections": "Text before any heading"})
    assert loose.status_code == 422
    assert "line 1: begin each section with its heading" in text_of(loose.text)
    twice = officer.post("/decisions/new", {
        **base, "sections": "1 | Principles\nOne.\n\n1 | Again\nTwo.\n\n2. | Bad\nThree."})
    assert twice.status_code == 422
    assert 'id="f-sections-error"' in twice.text
    assert "1 | Again" in twice.text  # what was written is kept

    page = officer.get("/decisions/new?kind=designation").text
    assert 'option value="silence"' not in page  # a designation is by consensus only
    forced = officer.post("/decisions/new", {
        "csrf_token": csrf_of(page), "confirmation": _propose_token(page),
        "kind": "designation", "title": "Designate", "text": "Designated.", "format": "all",
        "procedure": "silence", "closes_at": "2026-11-30 12:00", "confirm": "yes",
        "name": "Example Group", "aliases": "no script here", "entity_type": "organisation",
        "grounds": "Attacks on shipping."})
    assert forced.status_code == 422
    assert "write each alias as “name | script”" in text_of(forced.text)
    designation = {
        "csrf_token": csrf_of(page), "confirmation": _propose_token(page),
        "kind": "designation", "title": "Designate", "text": "Designated.", "format": "all",
        "procedure": "silence", "closes_at": "2026-11-30 12:00", "confirm": "yes",
        "name": "Example Group", "aliases": "مجموعة المثال | Arab\nExample Grp | Latin",
        "entity_type": "organisation", "grounds": "Attacks on shipping.",
        "references": "UNSC report 2026/1\n\nCourt ruling 12"}
    wrong = text_of(officer.post("/decisions/new", designation).text)
    assert "a draft of kind designation is decided by consensus only" in wrong
    assert "alias 2: a script is an ISO 15924 code" in wrong
    sent = officer.post("/decisions/new", {**designation, "procedure": "consensus",
                                           "aliases": "مجموعة المثال | Arab"})
    assert sent.status_code == 303, text_of(sent.text)

    page = officer.get("/decisions/new?kind=convene").text
    sent = officer.post("/decisions/new", {
        "csrf_token": csrf_of(page), "confirmation": _propose_token(page), "kind": "convene",
        "title": "Convene the regional format", "text": "A meeting.", "format": "regional",
        "procedure": "silence", "closes_at": "2026-11-30 12:00", "confirm": "yes",
        "starts_at": "2026-12-10 09:00", "place": "Muscat", "agenda": "Hotline\nShipping"})
    assert sent.status_code == 303, text_of(sent.text)
    net.settle()
    shown = text_of(officer.get(sent.headers["location"].split("?")[0]).text)
    assert "The meeting to convene" in shown and "10 Dec 2026 09:00:00 UTC" in shown
    assert "Muscat" in shown and "Shipping" in shown
    designated = officer.get("/decisions").text
    assert "Designate" in designated
    assert outbox(net.nodes["IRN"]) == 2


# -- what was decided: the Concept and the designation list, on the node and in public ----------


def _chair(hub: Hub, keys: dict[str, SigningKey], clock: ManualClock, draft: str,
           outcome: str, fmt: str) -> None:
    seq = int(str(hub.party_status("SEC")["next_seq"]))
    signed = compose(keys["SEC"], "SEC", form=OUTCOME, audience=draft_audience(hub.regime, fmt),
                     body={"draft": draft, "outcome": outcome}, seq=seq, now=clock.now(),
                     refs=[draft])
    hub.submit(signed.raw)


def test_the_concepts_versions_and_their_diff_on_the_node_and_in_public(
        net: NodeNet, officer: Browser, api: TestClient, clock: ManualClock) -> None:
    irn, sau = net.nodes["IRN"], net.nodes["SAU"]
    first = propose(irn, "The Concept, first version", fmt="all", kind="concept", hours=1,
                    content={"sections": [
                        {"number": "1", "title": "Principles", "text": "Sovereignty."},
                        {"number": "2", "title": "Measures", "text": "Notify exercises."}]})
    second = propose(sau, "The Concept, second version", fmt="all", kind="concept", hours=2,
                     content={"sections": [
                         {"number": "1", "title": "Principles", "text": "Sovereignty."},
                         {"number": "2", "title": "Measures",
                          "text": "Notify exercises and flights."},
                         {"number": "3", "title": "Hotline", "text": "Always on."}]})
    net.settle()
    clock.advance(3 * HOUR)
    officer.sign_in("leila")
    page = officer.get("/concept")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Version 1" in text and "Version 2" in text
    assert "The current version: version 2" in text and "§ 3 Hotline" in text
    assert f'href="/decisions/{first}"' in page.text and f'href="/decisions/{second}"' in page.text
    diff = officer.get("/concept/diff?a=1&b=2")
    assert diff.status_code == 200
    assert "2 sections changed of 3" in text_of(diff.text)
    assert "<del>-Notify exercises.</del>" in diff.text
    assert "<ins>+Notify exercises and flights.</ins>" in diff.text
    assert officer.get("/concept/versions/1").status_code == 200
    assert officer.get("/concept/versions/3").status_code == 404
    assert officer.get("/concept/diff?a=1&b=9").status_code == 404

    public = Browser(api)
    shown = public.get("/concept")
    assert shown.status_code == 200 and "§ 3 Hotline" in text_of(shown.text)
    assert "<ins>+Notify exercises and flights.</ins>" in public.get(
        "/concept/diff?a=1&b=2").text
    version = public.get("/concept/versions/1")
    assert version.status_code == 200 and "Notify exercises." in version.text
    assert public.get("/concept/versions/0").status_code == 404
    adopted = public.get("/decisions").text
    assert "The Concept, first version" in adopted and "The Concept, second version" in adopted


def test_the_designation_list_on_the_node_and_in_public_with_its_downloads(
        net: NodeNet, officer: Browser, api: TestClient, clock: ManualClock,
        writers: dict[str, Any], hub: Hub) -> None:
    irn = net.nodes["IRN"]
    designation = propose(irn, "Designate the Example Group", fmt="all",
                          procedure="consensus", kind="designation", hours=2, content={
                              "name": "Example Group",
                              "aliases": [{"name": "مجموعة المثال", "script": "Arab"}],
                              "entity_type": "organisation", "grounds": "Attacks on shipping.",
                              "references": ["UNSC report 2026/1"]})
    private = propose(irn, "A regional matter", hours=2)
    net.settle()
    for party in ("IRN", "RUS", "SAU", "QAT"):
        take(net.nodes[party], designation, "join", fmt="all")
    hub.submit(writers["USA"].entry(form=POSITION, audience=draft_audience(hub.regime, "all"),
                                    body={"draft": designation, "position": "stand-aside"},
                                    refs=[designation]).raw)
    net.settle()
    clock.advance(3 * HOUR)
    officer.sign_in("leila")
    page = officer.get("/designations")
    text = text_of(page.text)
    assert "Example Group" in text and "مجموعة المثال (Arab)" in text
    assert '<span lang="und-Arab" dir="auto">مجموعة المثال</span>' in page.text
    history = re.search(r'id="designation-history".*?</table>', page.text, re.S)
    assert history is not None and "designated Example Group" in text_of(history.group(0))

    public = Browser(api)
    listing = public.get("/designations")
    assert listing.status_code == 200
    assert "Example Group" in text_of(listing.text)
    assert 'href="/v1/public/designations?format=json"' in listing.text
    assert 'href="/v1/public/designations?format=csv"' in listing.text
    adopted = public.get("/decisions").text
    assert "Designate the Example Group" in adopted and "A regional matter" not in adopted
    shown = public.get(f"/decisions/{designation}")
    assert shown.status_code == 200
    assert "adopted by consensus" in text_of(shown.text)
    assert public.get(f"/decisions/{private}").status_code == 404


# -- the secretariat ----------------------------------------------------------------------------


def test_the_secretariat_sees_drafts_in_progress_and_a_chair_contradicting_the_positions(
        net: NodeNet, drafts: dict[str, str], api: TestClient, hub: Hub,
        party_keys: dict[str, SigningKey], clock: ManualClock) -> None:
    public = Browser(api)
    assert public.get("/secretariat/decisions").status_code == 303
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(api)
    assert staff.sign_in("sami").status_code == 303
    take(net.nodes["QAT"], drafts["hotline"], "object", reason="Too soon.")
    net.settle()
    page = staff.get("/secretariat/decisions")
    assert page.status_code == 200
    assert [t for t in re.findall(r'dir="auto">([^<]+)</a>', page.text)] == [
        "Maritime hotline", "Regional meeting", "Statement on shipping"]
    row = re.search(r'<tr id="draft-' + drafts["meeting"][:12] + '">.*?</tr>', page.text, re.S)
    assert row is not None
    assert "IRN, SAU, QAT (0 of 3 responded)" in text_of(row.group(0))
    assert "2 days" in text_of(row.group(0))

    clock.advance(7 * HOUR)
    staff.sign_in("sami")
    _chair(hub, party_keys, clock, drafts["hotline"], "adopted", "regional")
    detail = staff.get(f"/secretariat/decisions/{drafts['hotline']}")
    assert detail.status_code == 200
    text = text_of(detail.text)
    assert "silence broken: QAT objected" in text
    assert 'role="alert" id="contradiction"' in detail.text
    assert "The chair's signed outcome contradicts the positions." in text
    assert public.get(f"/decisions/{drafts['hotline']}").status_code == 404  # not to all


# -- every page: one h1, headings in order, labels on every field, the reader's language ------


def test_every_decision_page_is_accessible_and_in_the_readers_language(
        net: NodeNet, officer: Browser, drafts: dict[str, str], api: TestClient) -> None:
    node_pages = ["/decisions", f"/decisions/{drafts['hotline']}", "/decisions/new",
                  "/decisions/new?kind=concept", "/decisions/new?kind=designation",
                  "/decisions/new?kind=delisting", "/decisions/new?kind=convene",
                  "/concept", "/concept/diff", "/designations"]
    public = Browser(api)
    pages = {p: officer.get(p) for p in node_pages}
    pages.update({"hub " + p: public.get(p) for p in ("/decisions", "/concept",
                                                      "/designations")})
    for path, page in pages.items():
        assert page.status_code == 200, path
        levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", page.text)]
        assert levels.count(1) == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
        labels = set(re.findall(r'<label for="([^"]+)"', page.text))
        fields = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page.text))
        assert fields <= labels, (path, fields - labels)
    assert officer.get("/language?lang=fa&next=/decisions").status_code == 303
    persian = officer.get("/decisions").text
    assert '<html lang="fa" dir="rtl">' in persian
    assert '<h1>تصمیم‌ها</h1>' in persian
    assert "در انتظار موضع شما" in persian


def test_an_arabic_page_names_kinds_formats_outcomes_and_times_through_the_catalogs(
        net: NodeNet, officer: Browser, drafts: dict[str, str], clock: ManualClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Arabic as a pseudo-catalog that writes each message of the decisions' domain and web
    modules as ``«message»`` (the real catalog for the rest): what shows bare did not go through
    the catalogs."""
    import gettext
    from pathlib import Path

    from babel.messages.extract import extract_from_file

    import gulfsec
    from gulfsec import i18n

    src = Path(gulfsec.__file__).parent
    files = [*sorted((src / "domain/procedures/kinds").glob("*.py")),
             src / "domain/procedures/decisions.py", src / "web/decisions.py",
             src / "web/terms.py"]
    known = {str(m[1]) for f in files for m in extract_from_file(
        "python", str(f), keywords={"_": None, "N_": None})}
    real = i18n.catalog("ar")

    class Pseudo(gettext.NullTranslations):
        def __init__(self) -> None:
            super().__init__()
            self._catalog = {m: f"«{m}»" for m in known}
            self.add_fallback(real)

        def gettext(self, message: str) -> str:
            found = self._catalog.get(message)
            return real.gettext(message) if found is None else found

    pseudo, original = Pseudo(), i18n.catalog
    monkeypatch.setattr(i18n, "catalog", lambda code: pseudo if code == "ar" else original(code))
    i18n._problem_patterns.cache_clear()
    try:
        assert officer.get("/language?lang=ar&next=/decisions").status_code == 303
        new = text_of(officer.get("/decisions/new?kind=delisting").text)
        assert "«Delisting of a designated entity»" in new and "«Decision»" in new
        assert "«Removes an entity from the counter-terrorism designation list.»" in new
        assert "«all participants»" in new
        listing = text_of(officer.get("/decisions").text)
        assert "«regional states»" in listing and "«Decision»" in listing
        clock.advance(7 * HOUR)
        net.settle()
        officer.sign_in("leila")
        shown = officer.get(f"/decisions/{drafts['hotline']}")
        assert shown.status_code == 200, shown.headers
        page = text_of(shown.text)
        assert "«adopted: nobody broke silence before the expiry»" in page
        assert "«regional states»" in page and "«silence procedure»" in page
        assert "UTC" in page and not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", page)
    finally:
        i18n._problem_patterns.cache_clear()
