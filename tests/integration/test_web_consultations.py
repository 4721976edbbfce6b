"""The consultation pages — threads, meetings, mediation — over a real hub and real nodes, on
SQLite and PostgreSQL.

Personas: leila, IRN's officer, reads and writes in IRN's name; victor, IRN's viewer, only
reads; RUS opens a thread with IRN and SAU; SAU convenes a bilateral meeting with IRN and is
IRN's counterpart in a dispute that QAT is asked to mediate; QAT is the outsider of the thread
and the meeting, and RUS of the mediation: their nodes hold nothing of them. The secretariat
reads every meeting on the hub's calendar; the public reads none. Leila convenes a meeting
with SAU from the pages, and opens a thread with SAU carrying a PDF and a text file.
"""

from __future__ import annotations

import hashlib
import html
import json
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
from gulfsec.domain.entry import SignedEntry, parse_signed_entry
from gulfsec.domain.forms.consultations import REPLY, THREAD
from gulfsec.domain.forms.decisions import DRAFT
from gulfsec.domain.forms.mediation import REQUEST
from gulfsec.domain.forms.meetings import MEETING, MEETING_REPLY
from gulfsec.domain.procedures.decisions import draft_audience
from gulfsec.services.hub import Hub
from gulfsec.services.node import Node
from gulfsec.services.shared.accounts import create_account

HOUR = timedelta(hours=1)
MEETING_BODY = {"title": "Hotline talks", "level": "expert", "starts_at": "2026-11-24T09:00:00Z",
                "timezone": "Asia/Tehran", "duration_minutes": 90, "place": "Muscat",
                "agenda": ["Opening", "The maritime hotline"]}


def signed_in(node: Node, name: str, role: str = "officer") -> Browser:
    add_user(node.engine, name, role)
    browser = node_browser(node)
    assert browser.sign_in(name).status_code == 303
    return browser


def sent(node: Node, form: str) -> list[SignedEntry]:
    """What ``node``'s party signed of ``form``, in order."""
    with node.uow() as uow:
        items = uow.repo.outbox_items()
    found = [parse_signed_entry(i.raw, max_bytes=1 << 22) for i in items]
    return [s for s in found if s.entry.form == form]


def unfolded(ics: str) -> str:
    """An iCalendar file with its long lines unfolded (RFC 5545 §3.1)."""
    return ics.replace("\r\n ", "")


def carried(page: str) -> list[str]:
    """The attachment objects a form on ``page`` carries back (its ticked boxes)."""
    return [html.unescape(v) for v in re.findall(r'name="attachment" value="([^"]+)"', page)]


def form_fields(page: str, form_id: str, **fields: str) -> dict[str, str]:
    """The CSRF and confirmation tokens of form ``form_id`` on ``page``, with ``fields``."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S)
    assert form is not None, f"no form {form_id} on the page"
    token = re.search(r'name="confirmation" value="([^"]+)"', form.group(0))
    assert token is not None
    return {"csrf_token": csrf_of(page), "confirmation": token.group(1), **fields}


@pytest.fixture
def officer(net: NodeNet) -> Browser:
    return signed_in(net.nodes["IRN"], "leila")


@pytest.fixture
def thread(net: NodeNet) -> str:
    """RUS opens a thread with IRN and SAU, with a note verbale attached."""
    rus = net.nodes["RUS"]
    note = rus.attach(b"Note verbale: the Russian Federation proposes talks.\n", "text/plain",
                      "note-verbale.txt")
    opened = rus.send(THREAD, ("IRN", "SAU"), {
        "subject": "Naval incidents at sea", "level": "senior-official",
        "text": "Shall our experts meet?\n\nWe propose January.", "attachments": [note]})
    net.settle()
    return opened.id_hex


@pytest.fixture
def meeting(net: NodeNet) -> str:
    """SAU convenes a bilateral meeting with IRN, tomorrow in Muscat."""
    convened = net.nodes["SAU"].send(MEETING, ("IRN",), MEETING_BODY)
    net.settle()
    return convened.id_hex


# -- threads -------------------------------------------------------------------------------------


def test_a_delegate_reads_a_thread_once_unread_then_replies_to_every_party_once(
        net: NodeNet, officer: Browser, thread: str) -> None:
    irn = net.nodes["IRN"]
    listing = officer.get("/threads")
    assert listing.status_code == 200
    assert 'id="nav-threads" aria-current="page"' in listing.text
    row = re.search(rf'<tr id="thread-{thread[:12]}" class="thread-row unread">.*?</tr>',
                    listing.text, re.S)
    assert row is not None
    assert "Naval incidents at sea" in row.group(0) and "IRN, RUS and SAU" in text_of(row.group(0))
    assert "1 unread." in text_of(listing.text)

    url = f"/threads/{thread}"
    page = officer.get(url)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Shall our experts meet?" in text and "We propose January." in text
    assert "Signature verified by this node against RUS's key" in text
    assert re.search(r"sequenced at index \d+ on 23 Nov 2026 12:00:\d\d UTC; final at", text)
    assert "A reply from IRN goes to every other party of the thread: RUS, SAU." in text
    link = re.search(r'<a href="(/v1/attachments/[0-9a-f]{64})" download="note-verbale.txt">',
                     page.text)
    assert link is not None
    download = officer.get(link.group(1))
    assert download.status_code == 200 and download.content.startswith(b"Note verbale")
    assert 'class="thread-row unread"' not in officer.get("/threads").text  # read now

    # The preview shows exactly what is signed, and signs nothing.
    fields = form_fields(page.text, "reply-form", text="Yes: at expert level, in Muscat.")
    shown = officer.post(url + "/reply", {**fields, "action": "preview"})
    assert shown.status_code == 200
    canonical = re.search(r'<pre class="canonical" id="reply-canonical"[^>]*>(.*?)</pre>',
                          shown.text, re.S)
    assert canonical is not None
    assert "reply@1" in canonical.group(0) and thread in canonical.group(0)
    assert "Nothing has been signed or sent yet" in text_of(shown.text)
    assert "Yes: at expert level, in Muscat." in shown.text  # kept in the form
    assert sent(irn, REPLY) == []

    # An empty reply names the field; then the reply is signed once, whatever the re-posts.
    empty = officer.post(url + "/reply", {**fields, "text": "  ", "action": "send"})
    assert empty.status_code == 422
    assert 'id="reply-text-error"' in empty.text and "write something here" in text_of(empty.text)
    done = officer.post(url + "/reply", {**fields, "action": "send"})
    assert done.status_code == 303 and done.headers["location"] == url + "?sent=1#reply"
    again = officer.post(url + "/reply", {**fields, "action": "send"})
    assert again.headers["location"] == url + "?sent=again#reply"
    [reply] = sent(irn, REPLY)
    assert reply.entry.audience == ("RUS", "SAU") and reply.entry.refs == (thread,)
    assert reply.entry.body == {"thread": thread, "text": "Yes: at expert level, in Muscat."}

    net.settle()
    page = officer.get(url)
    assert len(re.findall(r'<li id="message-\d+"', page.text)) == 2
    assert text_of(page.text).count("Signature verified by this node") == 2
    sau = signed_in(net.nodes["SAU"], "sara")
    other = sau.get("/threads")
    assert 'class="thread-row unread"' in other.text  # RUS's opening and IRN's reply
    assert "Yes: at expert level, in Muscat." in sau.get(url).text


def test_an_outsider_sees_no_thread_and_a_viewer_or_a_stray_form_signs_nothing(
        net: NodeNet, officer: Browser, thread: str) -> None:
    url = f"/threads/{thread}"
    outsider = signed_in(net.nodes["QAT"], "qasim")
    assert outsider.get(url).status_code == 404
    assert "Naval incidents" not in outsider.get("/threads").text
    refused = outsider.post(url + "/reply", {"csrf_token": outsider.csrf("/threads"),
                                             "confirmation": "q" * 24, "text": "Let us in."})
    assert refused.status_code == 404
    assert sent(net.nodes["QAT"], REPLY) == []

    viewer = signed_in(net.nodes["IRN"], "victor", "viewer")
    page = viewer.get(url)
    assert page.status_code == 200 and 'id="reply-form"' not in page.text
    assert "You are signed in as a viewer" in text_of(page.text)
    assert viewer.post(url + "/reply", {"csrf_token": csrf_of(page.text),
                                        "confirmation": "v" * 24,
                                        "text": "Signed?"}).status_code == 403
    fields = form_fields(officer.get(url).text, "reply-form", text="Forged?")
    assert officer.post(url + "/reply", {**fields, "csrf_token": "guessed"}).status_code == 403
    unconfirmed = {k: v for k, v in fields.items() if k != "confirmation"}
    assert officer.post(url + "/reply", unconfirmed).status_code == 422
    assert sent(net.nodes["IRN"], REPLY) == []


def test_opening_a_thread_names_each_mistake_then_signs_it_to_the_chosen_parties(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    page = officer.get("/threads/new").text
    base = form_fields(page, "thread-form", subject="Shipping lanes", level="expert",
                       text="A first exchange.", action="send")
    nobody = officer.post("/threads/new", {**base, "format": ""})
    assert nobody.status_code == 422
    assert "choose the parties the thread is between, or a format" in text_of(nobody.text)
    assert 'id="thread-parties-error"' in nobody.text and "A first exchange." in nobody.text
    done = officer.post("/threads/new", [*base.items(), ("format", ""), ("parties", "SAU"),
                                         ("parties", "QAT")])
    assert done.status_code == 303 and done.headers["location"] == "/threads?sent=1"
    [opened] = sent(irn, THREAD)
    assert opened.entry.audience == ("QAT", "SAU") and "format" not in opened.entry.body
    page = officer.get("/threads/new").text  # a new form: a new confirmation
    regional = officer.post("/threads/new", {**form_fields(page, "thread-form"),
                                             "format": "regional", "subject": "The Gulf",
                                             "level": "minister", "text": "All of us.",
                                             "action": "send"})
    assert regional.status_code == 303
    members = set(irn.regime.format_members("regional")) - {"IRN"}
    assert sent(irn, THREAD)[1].entry.audience == tuple(sorted(members))
    assert sent(irn, THREAD)[1].entry.body["format"] == "regional"
    net.settle()
    assert "Shipping lanes" in officer.get("/threads").text


# -- meetings ------------------------------------------------------------------------------------


def test_an_invited_delegate_accepts_once_and_the_meeting_goes_to_a_calendar(
        net: NodeNet, officer: Browser, meeting: str) -> None:
    irn = net.nodes["IRN"]
    listing = officer.get("/meetings")
    assert listing.status_code == 200
    upcoming = re.search(r'<table id="upcoming-meetings">.*?</table>', listing.text, re.S)
    assert upcoming is not None and "Hotline talks" in upcoming.group(0)
    assert "IRN has not answered" in text_of(upcoming.group(0))

    url = f"/meetings/{meeting}"
    page = officer.get(url)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "24 Nov 2026 09:00:00 UTC (24 Nov 2026 12:30 Asia/Tehran)" in text
    assert "Agenda (draft)" in text and "The maritime hotline" in text
    assert "no minutes circulated yet" in text
    assert all(f'id="{b}"' in page.text for b in ("accept", "decline", "propose-time"))
    assert 'id="update-form"' not in page.text  # SAU convened it, not IRN

    # Proposing another time without the time: the field is named, nothing is signed.
    fields = form_fields(page.text, "reply-form", note="Later suits us.")
    wrong = officer.post(url + "/reply", {**fields, "reply": "propose-time"})
    assert wrong.status_code == 422
    assert 'id="reply-proposed_at-error"' in wrong.text
    assert "proposing another time needs the time" in text_of(wrong.text)
    assert "Later suits us." in wrong.text
    assert sent(irn, MEETING_REPLY) == []

    done = officer.post(url + "/reply", {**fields, "reply": "accept"})
    assert done.status_code == 303 and done.headers["location"] == url + "?sent=1#reply"
    assert officer.post(url + "/reply", {**fields, "reply": "accept"}).headers[
        "location"] == url + "?sent=again#reply"
    [answer] = sent(irn, MEETING_REPLY)
    assert answer.entry.audience == ("SAU",) and answer.entry.refs == (meeting,)
    assert answer.entry.body == {"meeting": meeting, "reply": "accept", "note": "Later suits us."}
    net.settle()
    row = re.search(r'<tr id="reply-IRN">.*?</tr>', officer.get(url).text, re.S)
    assert row is not None and "accepted" in text_of(row.group(0))

    one = officer.get(url + "/calendar.ics")
    assert one.status_code == 200 and one.headers["content-type"].startswith("text/calendar")
    assert "attachment" in one.headers["content-disposition"]
    assert f"UID:{meeting}@gulfsec.invalid" in unfolded(one.text)
    assert "SUMMARY:Hotline talks" in one.text
    every = officer.get("/meetings/calendar.ics")
    assert every.status_code == 200 and f"UID:{meeting}@gulfsec.invalid" in unfolded(every.text)

    outsider = signed_in(net.nodes["QAT"], "qasim")
    assert outsider.get(url).status_code == 404
    assert outsider.get(url + "/calendar.ics").status_code == 404
    assert "Hotline talks" not in outsider.get("/meetings").text
    assert "Hotline talks" not in outsider.get("/meetings/calendar.ics").text


def test_the_convener_changes_and_cancels_a_meeting_and_circulates_minutes_after_it(
        net: NodeNet, officer: Browser, clock: ManualClock, api: TestClient, hub: Hub) -> None:
    irn = net.nodes["IRN"]
    convened = irn.send(MEETING, ("SAU",), {**MEETING_BODY, "title": "Border talks",
                                            "starts_at": "2026-11-23T15:00:00Z"})
    later = irn.send(MEETING, ("SAU",), {**MEETING_BODY, "title": "Follow-up"})
    net.settle()
    url = f"/meetings/{convened.id_hex}"
    page = officer.get(url).text
    assert 'id="update-form"' in page and 'id="cancel-form"' in page
    assert 'id="reply-form"' not in page  # the convener does not answer its own invitation
    nothing = officer.post(url + "/update", form_fields(page, "update-form", action="send"))
    assert nothing.status_code == 422 and "Nothing to send" in text_of(nothing.text)
    moved = officer.post(url + "/update", form_fields(page, "update-form", place="Doha",
                                                      agenda="Opening\nBorder crossings",
                                                      action="send"))
    assert moved.status_code == 303
    cancel_page = officer.get(f"/meetings/{later.id_hex}").text
    assert officer.post(f"/meetings/{later.id_hex}/cancel", form_fields(
        cancel_page, "cancel-form", note="Overtaken by events.")).status_code == 303
    net.settle()
    text = text_of(officer.get(url).text)
    assert "Doha" in text and "Agenda (final)" in text and "Border crossings" in text
    assert "Overtaken by events." in text_of(officer.get(f"/meetings/{later.id_hex}").text)
    cancelled = re.search(r'<table id="cancelled-meetings">.*?</table>',
                          officer.get("/meetings").text, re.S)
    assert cancelled is not None and "Follow-up" in cancelled.group(0)

    clock.advance(5 * HOUR)  # the meeting has been held
    officer.sign_in("leila")
    page = officer.get(url).text
    assert 'id="minutes-form"' in page
    fields = form_fields(page, "minutes-form", **{
        "minutes-format": "regional", "minutes-title": "Minutes: Border talks",
        "minutes-text": "The delegations met in Doha.", "minutes-closes": "2026-11-30 12:00"})
    unconfirmed = officer.post(url + "/minutes", fields)
    assert unconfirmed.status_code == 422 and 'id="minutes-confirm-error"' in unconfirmed.text
    assert officer.post(url + "/minutes", {**fields, "confirm": "yes"}).status_code == 303
    assert officer.post(url + "/minutes", {**fields, "confirm": "yes"}).headers[
        "location"].endswith("sent=again#minutes")
    [minutes] = sent(irn, DRAFT)
    assert minutes.entry.audience == draft_audience(irn.regime, "regional")
    assert minutes.entry.body["kind"] == "minutes"
    assert minutes.entry.body["content"] == {"meeting": convened.id_hex}
    net.settle()
    shown = officer.get(url).text
    assert f'<a href="/decisions/{minutes.id_hex}">draft minutes circulated' in shown
    assert 'id="minutes-form"' not in shown
    draft = officer.get(f"/decisions/{minutes.id_hex}").text  # names the meeting it records
    of = re.search(r'<dl class="meta" id="minutes-meeting">.*?</dl>', draft, re.S)
    assert of is not None
    assert f'<a href="/meetings/{convened.id_hex}" id="minutes-meeting-link" dir="auto">' \
           'Border talks</a>' in of.group(0)
    assert "23 Nov 2026 15:00:00 UTC (23 Nov 2026 18:30 Asia/Tehran)" in text_of(of.group(0))
    assert "Doha" in of.group(0)
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(api)
    staff.sign_in("sami")
    on_hub = staff.get(f"/secretariat/decisions/{minutes.id_hex}")
    assert on_hub.status_code == 200
    assert f"Of the meeting {convened.id_hex}" in text_of(on_hub.text)


def test_convening_a_meeting_takes_local_time_names_each_mistake_and_signs_once(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    listing = officer.get("/meetings").text
    assert '<a class="button primary" id="convene-link" href="/meetings/new">' in listing
    page = officer.get("/meetings/new")
    assert page.status_code == 200
    options = re.findall(r'<option value="([A-Z]+)"', page.text)
    assert "SAU" in options and "IRN" not in options
    base = form_fields(page.text, "convene-form", title="Fisheries talks", level="expert",
                       party="SAU", date="2026-11-25", time="12:30", timezone="Asia/Tehran",
                       duration_minutes="90", place="Doha",
                       agenda="Opening\n\n  The maritime hotline  \n", action="send")

    # An unknown zone and an empty agenda; then a time already past (it is 12:00 UTC, 15:30
    # in Tehran): each named at its field, nothing signed, what was typed kept.
    wrong = officer.post("/meetings/new", {**base, "timezone": "Mars/Olympus", "agenda": " "})
    assert wrong.status_code == 422
    assert 'id="convene-timezone-error"' in wrong.text and 'id="convene-agenda-error"' in wrong.text
    assert "unknown time zone 'Mars/Olympus': choose one from the list" in text_of(wrong.text)
    assert "write the draft agenda, one item per line" in text_of(wrong.text)
    assert 'value="Fisheries talks"' in wrong.text
    past = officer.post("/meetings/new", {**base, "date": "2026-11-23", "time": "15:00"})
    assert past.status_code == 422 and 'id="convene-date-error"' in past.text
    assert ("23 Nov 2026 15:00 Asia/Tehran (23 Nov 2026 11:30 UTC) is past"
            in text_of(past.text))
    nowhere = officer.post("/meetings/new", {**base, "place": "", "party": "IRN"})
    assert nowhere.status_code == 422
    assert 'id="convene-place-error"' in nowhere.text and 'id="convene-party-error"' in nowhere.text
    assert sent(irn, MEETING) == []

    # The preview shows the local time and the UTC time signed, and signs nothing.
    shown = officer.post("/meetings/new", {**base, "action": "preview"})
    assert shown.status_code == 200
    assert ("the meeting starts at 25 Nov 2026 12:30 Asia/Tehran — in UTC, as it is signed: "
            "25 Nov 2026 09:00 UTC") in text_of(shown.text)
    canonical = re.search(r'<pre class="canonical" id="convene-canonical"[^>]*>(.*?)</pre>',
                          shown.text, re.S)
    assert canonical is not None and "2026-11-25T09:00:00Z" in canonical.group(1)
    assert sent(irn, MEETING) == []

    done = officer.post("/meetings/new", base)
    assert done.status_code == 303 and done.headers["location"] == "/meetings?sent=1"
    assert officer.post("/meetings/new", base).headers["location"] == "/meetings?sent=again"
    [convened] = sent(irn, MEETING)
    assert convened.entry.audience == ("SAU",) and convened.entry.refs == ()
    assert convened.entry.body == {
        "title": "Fisheries talks", "level": "expert", "starts_at": "2026-11-25T09:00:00Z",
        "timezone": "Asia/Tehran", "duration_minutes": 90, "place": "Doha",
        "agenda": ["Opening", "The maritime hotline"]}
    waiting = officer.get("/meetings?sent=1").text
    assert "Signed and handed to the outbox" in text_of(waiting)
    assert f'href="/entries/{convened.id_hex}"' in waiting

    online = officer.post("/meetings/new", {
        **form_fields(officer.get("/meetings/new").text, "convene-form"),
        "title": "Follow-up", "level": "senior-official", "party": "SAU", "date": "2026-12-01",
        "time": "09:00", "timezone": "UTC", "duration_minutes": "60", "place": "",
        "online": "yes", "agenda": "Review", "action": "send"})
    assert online.status_code == 303
    assert sent(irn, MEETING)[1].entry.body["place"] == "online"
    net.settle()
    sau = signed_in(net.nodes["SAU"], "sara")
    page = sau.get(f"/meetings/{convened.id_hex}")
    assert page.status_code == 200
    assert "25 Nov 2026 09:00:00 UTC (25 Nov 2026 12:30 Asia/Tehran)" in text_of(page.text)
    assert all(f'id="{b}"' in page.text for b in ("accept", "decline", "propose-time"))


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


def test_a_thread_carries_a_pdf_and_a_text_file_to_its_parties_and_to_no_one_else(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    text = b"Talking points for the hotline.\n"
    page = officer.get("/threads/new").text
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    fields = form_fields(page, "thread-form", subject="Hotline papers", level="expert",
                         format="", parties="SAU", text="Our working paper and notes.",
                         action="preview")
    files = [("files", ("working-paper.pdf", PDF, "application/pdf")),
             ("files", ("points.txt", text, "application/octet-stream"))]  # by its extension
    shown = officer.post("/threads/new", fields, files=files)
    assert shown.status_code == 200, text_of(shown.text)
    listed = re.search(r'<ul class="attachments" id="thread-preview-files">.*?</ul>', shown.text,
                       re.S)
    assert listed is not None
    wanted = [{"name": "working-paper.pdf", "media_type": "application/pdf", "size": len(PDF),
               "sha256": hashlib.sha256(PDF).hexdigest()},
              {"name": "points.txt", "media_type": "text/plain", "size": len(text),
               "sha256": hashlib.sha256(text).hexdigest()}]
    for a in wanted:
        assert f"{a['name']} ({a['media_type']}, {a['size']} bytes) SHA-256 {a['sha256']}" in \
            text_of(listed.group(0))
    assert sent(irn, THREAD) == []

    # Sign and send: the files ride back in the form, not uploaded again.
    back = carried(shown.text)
    assert [json.loads(b) for b in back] == wanted
    done = officer.post("/threads/new", {**fields, "attachment": back, "action": "send"})
    assert done.status_code == 303, text_of(done.text)
    [opened] = sent(irn, THREAD)
    assert opened.entry.audience == ("SAU",) and opened.entry.body["attachments"] == wanted

    net.settle()
    sau = signed_in(net.nodes["SAU"], "sara")
    thread_page = sau.get(f"/threads/{opened.id_hex}").text
    for a, data in zip(wanted, (PDF, text), strict=True):
        assert f'<a href="/v1/attachments/{a["sha256"]}" download="{a["name"]}">' in thread_page
        got = sau.get(f"/v1/attachments/{a['sha256']}")
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"].startswith(a["media_type"])
    outsider = signed_in(net.nodes["QAT"], "qasim")
    assert outsider.get(f"/v1/attachments/{wanted[0]['sha256']}").status_code == 404


def test_a_file_that_is_not_what_it_says_or_a_forged_attachment_is_refused_by_name(
        net: NodeNet, officer: Browser, thread: str) -> None:
    irn = net.nodes["IRN"]
    url = f"/threads/{thread}"
    fields = form_fields(officer.get(url).text, "reply-form", text="See the map.",
                         action="send")
    lying = officer.post(url + "/reply", fields,
                         files=[("files", ("map.pdf", PNG, "application/pdf"))])
    assert lying.status_code == 422
    assert 'id="reply-files-error"' in lying.text
    assert "map.pdf: the file is not application/pdf" in text_of(lying.text)
    assert carried(lying.text) == [] and "See the map." in lying.text

    forged = json.dumps({"name": "forged.pdf", "media_type": "application/pdf", "size": 10,
                         "sha256": "ab" * 32})
    refused = officer.post(url + "/reply", {**fields, "attachment": forged})
    assert refused.status_code == 422 and 'id="reply-files-error"' in refused.text
    assert "forged.pdf: this node keeps no file with SHA-256 abababababababab" in \
        text_of(refused.text)
    note = irn.attach(PDF, "application/pdf", "paper.pdf")
    resized = officer.post(url + "/reply", {**fields,
                                            "attachment": json.dumps({**note, "size": 9})})
    assert resized.status_code == 422
    assert "paper.pdf: this node keeps the file" in text_of(resized.text)
    shapeless = officer.post(url + "/reply", {**fields, "attachment": '{"name": "x.pdf"}'})
    assert shapeless.status_code == 422
    assert "a file the form carried is not an attachment" in text_of(shapeless.text)
    assert sent(irn, REPLY) == []

    # The same reply with the file as it is: signed once, naming it.
    done = officer.post(url + "/reply", {**fields, "attachment": json.dumps(note)})
    assert done.status_code == 303
    [answer] = sent(irn, REPLY)
    assert answer.entry.body["attachments"] == [note]


# -- mediation -----------------------------------------------------------------------------------


def _mediation_page(browser: Browser, url: str) -> str:
    page = browser.get(url)
    assert page.status_code == 200, url
    return page.text


def test_mediation_is_active_once_every_party_asks_and_the_mediator_accepts(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    page = officer.get("/mediation").text
    base = form_fields(page, "request-form", note="On the islands.", action="send")
    wrong = officer.post("/mediation", [*base.items(), ("parties", "SAU"),
                                        ("mediator", "SAU")])
    assert wrong.status_code == 422
    assert 'id="request-mediator-error"' in wrong.text
    assert "the mediator is not a party to the dispute" in text_of(wrong.text)
    unnamed = officer.post("/mediation", [*base.items(), ("mediator", "QAT")])
    assert unnamed.status_code == 422 and 'id="request-parties-error"' in unnamed.text
    request = [*base.items(), ("parties", "SAU"), ("mediator", "QAT")]
    done = officer.post("/mediation", request)
    assert done.status_code == 303 and done.headers["location"] == "/mediation?sent=1"
    assert officer.post("/mediation", request).headers["location"] == "/mediation?sent=again"
    [asked] = sent(irn, REQUEST)
    assert asked.entry.audience == ("QAT", "SAU")
    assert asked.entry.body == {"parties": ["IRN", "SAU"], "mediator": "QAT",
                                "note": "On the islands."}
    net.settle()

    url = "/mediation/IRN+SAU/QAT"
    text = text_of(_mediation_page(officer, url))
    assert "Requested by IRN; not yet by SAU. QAT has not answered yet." in text
    outsider = signed_in(net.nodes["RUS"], "ruslan")
    assert outsider.get(url).status_code == 404
    assert "IRN – SAU" not in outsider.get("/mediation").text

    sau = signed_in(net.nodes["SAU"], "sara")
    sau_page = _mediation_page(sau, url)
    assert sau.post(url + "/request", form_fields(sau_page, "request-form")).status_code == 303
    qat = signed_in(net.nodes["QAT"], "qasim")
    qat_page = _mediation_page(qat, url)
    assert 'id="answer-accept"' in qat_page and 'id="request-form"' not in qat_page
    net.settle()
    qat_page = _mediation_page(qat, url)
    assert qat.post(url + "/answer", form_fields(qat_page, "answer-form",
                                                 answer="accept")).status_code == 303
    net.settle()
    text = text_of(_mediation_page(officer, url))
    assert "Active: every party asked for mediation and QAT accepted to mediate." in text

    qat_page = _mediation_page(qat, url)
    tabled = qat.post(url + "/propose", form_fields(qat_page, "propose-form",
                                                    title="Joint administration",
                                                    text="Both parties share the patrols.",
                                                    action="send"))
    assert tabled.status_code == 303
    net.settle()
    page = _mediation_page(officer, url)
    assert "Joint administration" in page
    form = re.search(r'<form[^>]*id="(respond-form-\d+)".*?name="proposal" value="([0-9a-f]+)"',
                     page, re.S)
    assert form is not None
    assert officer.post(url + "/respond", form_fields(page, form.group(1), response="accept",
                                                      proposal=form.group(2))
                        ).status_code == 303
    net.settle()
    page = _mediation_page(officer, url)
    assert "IRN: accepts; SAU: no response yet." in text_of(page)
    assert officer.post(url + "/withdraw", form_fields(page, "withdraw-form")).status_code == 303
    net.settle()
    assert "Ended" in text_of(_mediation_page(officer, url))


# -- the hub: the secretariat's calendar; nothing public -----------------------------------------


def test_the_secretariat_sees_every_meeting_and_the_public_sees_none(
        net: NodeNet, meeting: str, thread: str, api: TestClient, hub: Hub) -> None:
    public = Browser(api)
    assert public.get("/secretariat/meetings").status_code == 303
    assert public.get("/secretariat/meetings/calendar.ics").status_code == 303
    for path in ("/threads", "/meetings", "/mediation", f"/threads/{thread}"):
        assert public.get(path).status_code == 404, path
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(api)
    assert staff.sign_in("sami").status_code == 303
    page = staff.get("/secretariat/meetings")
    assert page.status_code == 200
    assert 'id="nav-meetings" aria-current="page"' in page.text
    upcoming = re.search(r'<table id="upcoming-meetings">.*?</table>', page.text, re.S)
    assert upcoming is not None and "Hotline talks" in upcoming.group(0)
    assert "0 accepted" in text_of(upcoming.group(0))
    assert "Not answered yet: IRN." in text_of(page.text)
    ics = staff.get("/secretariat/meetings/calendar.ics")
    assert ics.status_code == 200 and f"UID:{meeting}@gulfsec.invalid" in unfolded(ics.text)


# -- every page: one h1, headings in order, labels on every field, the reader's language ------


def test_every_consultation_page_is_accessible_and_in_the_readers_language(
        net: NodeNet, officer: Browser, thread: str, meeting: str, api: TestClient,
        hub: Hub) -> None:
    net.nodes["IRN"].send(REQUEST, ("QAT", "SAU"), {"parties": ["IRN", "SAU"],
                                                    "mediator": "QAT"})
    net.settle()
    paths = ["/threads", "/threads/new", f"/threads/{thread}", "/meetings", "/meetings/new",
             f"/meetings/{meeting}", "/mediation", "/mediation/IRN+SAU/QAT"]
    pages: dict[str, Any] = {p: officer.get(p) for p in paths}
    create_account(hub.engine, "sami", PASSWORD, "secretariat")
    staff = Browser(api)
    staff.sign_in("sami")
    pages["hub /secretariat/meetings"] = staff.get("/secretariat/meetings")
    for path, page in pages.items():
        assert page.status_code == 200, path
        levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", page.text)]
        assert levels.count(1) == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
        labels = set(re.findall(r'<label for="([^"]+)"', page.text))
        fields = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page.text))
        assert fields <= labels, (path, fields - labels)
    assert officer.get("/language?lang=fa&next=/meetings").status_code == 303
    persian = officer.get("/meetings").text
    assert '<html lang="fa" dir="rtl">' in persian
    assert '<h1>نشست‌ها</h1>' in persian
    assert "پیش رو" in persian
    assert officer.get("/language?lang=ar&next=/threads").status_code == 303
    assert '<h1>المشاورات</h1>' in officer.get("/threads").text
    assert officer.get("/language?lang=fr&next=/mediation").status_code == 303
    assert "Demander une médiation" in officer.get("/mediation").text
