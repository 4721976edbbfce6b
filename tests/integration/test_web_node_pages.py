"""A node's pages, rendered over a real hub and real nodes: inbox, entry, compose, compliance,
alarms.

Personas: IRN's delegates read and write on IRN's node; RUS is addressed; QAT is the outsider
whose node holds nothing of a bilateral entry. An officer signs and sends; a viewer only reads.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from support.inprocess import (
    Browser,
    NodeNet,
    add_user,
    node_browser,
    text_of,
)

from gulfsec.adapters.clock import ManualClock
from gulfsec.domain.entry import ALL


@pytest.fixture
def officer(net: NodeNet) -> Browser:
    add_user(net.nodes["IRN"].engine, "leila", "officer")
    browser = node_browser(net.nodes["IRN"])
    assert browser.sign_in("leila").status_code == 303
    return browser


@pytest.fixture
def exchanged(net: NodeNet) -> dict[str, str]:
    """IRN writes to RUS and to all; RUS writes to IRN; everything becomes final and is
    acknowledged."""
    irn, rus = net.nodes["IRN"], net.nodes["RUS"]
    bilateral = irn.send("message@1", ("RUS",), {"subject": "Joint naval exercise",
                                                  "text": "Dates and area attached."})
    to_all = irn.send("message@1", ALL, {"subject": "Confidence-building in the Gulf",
                                         "text": "A proposal to all participants."})
    reply = rus.send("message@1", ("IRN",), {"subject": "Re: Joint naval exercise",
                                             "text": "Agreed."}, refs=[bilateral.id_hex])
    net.settle()
    return {"bilateral": bilateral.id_hex, "to_all": to_all.id_hex, "reply": reply.id_hex}


# -- the inbox -----------------------------------------------------------------------------------


def test_the_inbox_lists_sent_and_received_entries_with_their_state_in_words(
        officer: Browser, exchanged: dict[str, str]) -> None:
    page = officer.get("/inbox")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Joint naval exercise" in text and "Re: Joint naval exercise" in text
    assert "Confidence-building in the Gulf" in text
    assert "acknowledged" in text
    assert f'href="/entries/{exchanged["reply"]}"' in page.text


def test_inbox_filters_by_direction_sender_form_and_status(
        officer: Browser, exchanged: dict[str, str]) -> None:
    received = officer.get("/inbox?direction=received&form=message@1").text
    assert exchanged["reply"] in received and exchanged["bilateral"] not in received
    sent = officer.get("/inbox?direction=sent&form=message@1").text
    assert exchanged["bilateral"] in sent and exchanged["reply"] not in sent
    from_rus = officer.get("/inbox?sender=RUS").text
    assert exchanged["reply"] in from_rus and exchanged["to_all"] not in from_rus
    acknowledged = officer.get("/inbox?status=acknowledged&form=message@1").text
    assert exchanged["bilateral"] in acknowledged
    overdue = officer.get("/inbox?status=overdue").text
    assert "No entry matches these filters." in text_of(overdue)


def test_inbox_filters_by_date_range(officer: Browser, exchanged: dict[str, str]) -> None:
    today = officer.get("/inbox?since=2026-11-23&until=2026-11-23").text
    assert exchanged["reply"] in today
    tomorrow = officer.get("/inbox?since=2026-11-24").text
    assert exchanged["reply"] not in tomorrow
    backwards = officer.get("/inbox?since=2026-11-24&until=2026-11-01")
    assert "the end date is before the start date" in text_of(backwards.text)


def test_a_bad_filter_is_named_and_ignored(officer: Browser, exchanged: dict[str, str]) -> None:
    page = officer.get("/inbox?sender=XXX&status=lost&since=yesterday")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "'XXX' is not a party of the regime" in text
    assert "unknown status 'lost'" in text
    assert "is not a date written YYYY-MM-DD" in text


def test_an_unacknowledged_entry_becomes_overdue_after_a_day(
        net: NodeNet, officer: Browser, clock: ManualClock) -> None:
    irn = net.nodes["IRN"]
    sent = irn.send("message@1", ("USA",), {"subject": "To a party with no node",
                                            "text": "Nobody acknowledges this."})
    net.settle()
    row = _row_of(officer.get("/inbox").text, sent.id_hex)
    assert "awaiting USA" in row
    clock.advance(timedelta(hours=25))
    assert officer.get("/inbox").status_code == 303  # the session ran out meanwhile
    officer.sign_in("leila")
    overdue = officer.get("/inbox?status=overdue").text
    row = _row_of(overdue, sent.id_hex)
    assert "acknowledgement overdue" in row and "awaiting USA" in row


def _row_of(page: str, entry_id: str) -> str:
    for row in re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S):
        if entry_id in row:
            return text_of(row)
    raise AssertionError(f"no row for {entry_id}")


def test_the_live_refresh_endpoint_and_fragment(officer: Browser,
                                                exchanged: dict[str, str]) -> None:
    state = officer.get("/inbox/updates.json").json()
    assert state["latest"] >= 0 and state["alarms"] == 0
    fragment = officer.get("/inbox?fragment=rows")
    assert fragment.text.lstrip().startswith("<tr")
    assert "<html" not in fragment.text


# -- one entry -----------------------------------------------------------------------------------


def test_an_entry_page_shows_its_verification_body_and_acknowledgements(
        officer: Browser, exchanged: dict[str, str]) -> None:
    page = officer.get(f"/entries/{exchanged['bilateral']}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Signature valid" in text
    assert re.search(r"Included at index \d+ in checkpoint of size \d+", text)
    assert re.search(r"Cosigned by [34] witnesses", text)
    assert "Subject" in text and "Dates and area attached." in text
    assert "RUS: acknowledgement at index" in text
    assert "The signed entry as JSON" in text and "&#34;signatures&#34;" in page.text


def test_a_received_entry_offers_a_reply_and_links_its_references(
        officer: Browser, exchanged: dict[str, str]) -> None:
    page = officer.get(f"/entries/{exchanged['reply']}").text
    assert f"ref={exchanged['reply']}" in page and "to=RUS" in page
    assert f'href="/entries/{exchanged["bilateral"]}"' in page


def test_an_entry_the_node_does_not_hold_is_not_found(net: NodeNet,
                                                       exchanged: dict[str, str]) -> None:
    add_user(net.nodes["QAT"].engine, "qasim", "viewer")
    outsider = node_browser(net.nodes["QAT"])
    assert outsider.sign_in("qasim").status_code == 303
    assert outsider.get(f"/entries/{exchanged['bilateral']}").status_code == 404
    assert exchanged["bilateral"] not in outsider.get("/inbox").text
    assert outsider.get(f"/entries/{exchanged['to_all']}").status_code == 200


# -- compose -------------------------------------------------------------------------------------


def _compose_fields(csrf: str, **fields: Any) -> dict[str, Any]:
    return {"csrf_token": csrf, "audience_kind": "parties", "audience_parties": ["RUS"],
            **fields}


def test_every_composable_form_renders_as_a_web_form(officer: Browser) -> None:
    index = officer.get("/compose").text
    form_ids = re.findall(r'href="/compose/([a-z0-9-]+@\d+)"', index)
    assert "message@1" in form_ids and "activity-notification@1" in form_ids
    assert not [f for f in form_ids if f.startswith("key-")]
    for form_id in form_ids:
        page = officer.get(f"/compose/{form_id}")
        assert page.status_code == 200, form_id
        labels = set(re.findall(r'<label for="([^"]+)"', page.text))
        inputs = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page.text))
        hidden = set(re.findall(r'<input type="hidden"[^>]* id="([^"]+)"', page.text))
        assert inputs - hidden <= labels, (form_id, (inputs - hidden) - labels)


def test_a_message_is_previewed_exactly_then_signed_and_sent(
        net: NodeNet, officer: Browser) -> None:
    csrf = officer.csrf("/compose/message@1")
    preview = officer.post("/compose/message@1", _compose_fields(
        csrf, **{"body.subject": "Hotline test", "body.text": "Testing the line.",
                 "body.level": "expert"}))
    assert preview.status_code == 200, text_of(preview.text)
    text = text_of(preview.text)
    assert "Nothing has been signed or sent yet." in text
    canonical = re.search(r'<pre class="canonical" id="canonical-entry"[^>]*>(.*?)</pre>',
                          preview.text, re.S)
    assert canonical is not None
    entry = json.loads(_unescape(canonical.group(1)))
    assert entry["body"] == {"level": "expert", "subject": "Hotline test",
                             "text": "Testing the line."}
    assert entry["audience"] == ["RUS"] and entry["sender"] == "IRN"
    sent = officer.post("/compose/message@1/send", _confirm_fields(preview.text))
    assert sent.status_code == 303
    location = sent.headers["location"]
    assert location.startswith("/entries/") and location.endswith("?sent=1")
    net.settle()
    page = officer.get(location.split("?")[0]).text
    assert "Hotline test" in page and "Signature valid" in text_of(page)
    again = officer.post("/compose/message@1/send", _confirm_fields(preview.text))
    assert again.headers["location"].endswith("?sent=again")
    assert net.nodes["IRN"].status()["outbox_pending"] == 0


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _confirm_fields(preview_page: str) -> list[tuple[str, str]]:
    form = re.search(r'<form method="post" action="[^"]+/send".*?</form>', preview_page, re.S)
    assert form is not None, "no send form on the preview"
    fields = [(name, _unescape(value)) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))]
    return [*fields, ("confirm", "yes")]


def test_field_errors_are_shown_next_to_their_fields_and_nothing_is_signed(
        net: NodeNet, officer: Browser) -> None:
    csrf = officer.csrf("/compose/activity-notification@1")
    page = officer.post("/compose/activity-notification@1", _compose_fields(
        csrf, **{"body.kind": "naval", "body.name": "Velayat", "body.purpose": "Exercise",
                 "body.start": "2026-12-10", "body.end": "2026-12-01",
                 "body.area.@": "circle", "body.area.@circle.centre.lat": "26.5",
                 "body.area.@circle.centre.lon": "56.2",
                 "body.area.@circle.radius_km": "lots",
                 "body.forces.troops": "9000"}))
    assert page.status_code == 422
    text = text_of(page.text)
    assert "Nothing was signed: there is a problem" in text
    assert 'id="f-body-end-error"' in page.text
    assert 'id="f-body-area--circle-radius_km-error"' in page.text
    assert "expected a number" in text
    assert 'value="Velayat"' in page.text  # what was typed is kept
    assert net.nodes["IRN"].status()["outbox_pending"] == 0


def test_rows_are_added_and_removed_without_javascript(officer: Browser) -> None:
    csrf = officer.csrf("/compose/annual-calendar@1")
    page = officer.post("/compose/annual-calendar@1", _compose_fields(
        csrf, **{"body.year": "2027", "body.activities.0.ref": "", "_add": "body.activities"}))
    assert page.status_code == 200
    assert 'name="body.activities.1.ref"' in page.text
    assert 'value="2027"' in page.text
    removed = officer.post("/compose/annual-calendar@1", _compose_fields(
        csrf, **{"body.year": "2027", "body.activities.0.ref": "A1",
                 "body.activities.1.ref": "A2", "_remove": "body.activities.0"}))
    assert 'value="A2"' in removed.text and 'value="A1"' not in removed.text


def test_a_polygon_area_in_an_array_row_is_read_into_the_body(net: NodeNet,
                                                               officer: Browser) -> None:
    csrf = officer.csrf("/compose/activity-notification@1")
    ring = [(26.0, 56.0), (26.0, 56.5), (26.5, 56.5), (26.0, 56.0)]
    fields = {"body.kind": "naval", "body.name": "Velayat", "body.purpose": "Exercise",
              "body.start": "2026-12-10", "body.end": "2026-12-12", "body.area.@": "circle",
              "body.area.@circle.centre.lat": "26.5", "body.area.@circle.centre.lon": "56.2",
              "body.area.@circle.radius_km": "40", "body.forces.major_surface_combatants": "6",
              "body.live_firing.0.area.@": "polygon",
              "body.live_firing.0.distance_to_territorial_sea_nm": "15",
              "body.live_firing.0.nearest_participant": "ARE",
              "body.participating_states": ["RUS"]}
    for i, (lat, lon) in enumerate(ring):
        fields[f"body.live_firing.0.area.@polygon.points.{i}.lat"] = str(lat)
        fields[f"body.live_firing.0.area.@polygon.points.{i}.lon"] = str(lon)
    page = officer.post("/compose/activity-notification@1", _compose_fields(csrf, **fields))
    assert page.status_code == 200, text_of(page.text)
    canonical = re.search(r'id="canonical-entry"[^>]*>(.*?)</pre>', page.text, re.S)
    assert canonical is not None
    body = json.loads(_unescape(canonical.group(1)))["body"]
    assert body["live_firing"][0]["area"]["kind"] == "polygon"
    assert len(body["live_firing"][0]["area"]["points"]) == 4
    assert body["participating_states"] == ["RUS"] and body["forces"] == {
        "major_surface_combatants": 6}


def test_the_body_can_be_written_as_json_instead(officer: Browser) -> None:
    csrf = officer.csrf("/compose/message@1")
    page = officer.post("/compose/message@1", _compose_fields(
        csrf, _json='{"subject": "As JSON", "text": "Written by hand."}'))
    assert page.status_code == 200
    assert "As JSON" in page.text and "Exactly what will be signed" in text_of(page.text)
    bad = officer.post("/compose/message@1", _compose_fields(csrf, _json="{not json"))
    assert bad.status_code == 422 and "not valid JSON" in text_of(bad.text)


def test_an_audience_and_unknown_references_are_checked_before_signing(
        officer: Browser) -> None:
    csrf = officer.csrf("/compose/message@1")
    nobody = officer.post("/compose/message@1", {
        "csrf_token": csrf, "audience_kind": "parties", "body.subject": "x", "body.text": "y"})
    assert nobody.status_code == 422
    assert "choose at least one addressee" in text_of(nobody.text)
    unknown = officer.post("/compose/message@1", _compose_fields(
        csrf, **{"body.subject": "x", "body.text": "y", "refs": "ab" * 32}))
    assert unknown.status_code == 422
    assert "not entries in the log" in text_of(unknown.text)
    fmt = officer.post("/compose/message@1", {
        "csrf_token": csrf, "audience_kind": "format", "audience_format": "gcc",
        "body.subject": "x", "body.text": "y"})
    assert fmt.status_code == 200
    assert "BHR, KWT, OMN, QAT, SAU" in text_of(fmt.text)


def test_changing_an_entry_from_its_preview_keeps_what_was_written(officer: Browser) -> None:
    csrf = officer.csrf("/compose/message@1")
    preview = officer.post("/compose/message@1", _compose_fields(
        csrf, **{"body.subject": "Keep me", "body.text": "And me."}))
    fields = [f for f in _confirm_fields(preview.text) if f[0] not in ("confirmation", "confirm")]
    back = officer.post("/compose/message@1", [*fields, ("_back", "1")])
    assert back.status_code == 200
    assert 'value="Keep me"' in back.text and "And me." in back.text
    assert 'id="audience-party-RUS" name="audience_parties" value="RUS" checked' in back.text


# -- compliance and alarms -----------------------------------------------------------------------


def test_the_compliance_page_lists_findings_overdue_first_with_evidence_links(
        net: NodeNet, officer: Browser, clock: ManualClock) -> None:
    irn = net.nodes["IRN"]
    irn.send("message@1", ("USA",), {"subject": "Unanswered", "text": "No node."})
    net.settle()
    clock.advance(timedelta(days=2))
    officer.sign_in("leila")
    page = officer.get("/compliance?party=ALL")
    assert page.status_code == 200
    rows = re.findall(r'<tr class="finding([^"]*)">(.*?)</tr>', page.text, re.S)
    assert rows
    classes = [" overdue" in cls for cls, _ in rows]
    assert classes == sorted(classes, reverse=True)  # overdue first
    assert any(" overdue" in cls for cls, _ in rows)
    assert re.search(r'href="/entries/[0-9a-f]{64}"', page.text)
    own = officer.get("/compliance").text
    assert 'option value="IRN" selected' in own


def test_no_alarm_means_no_banner(officer: Browser) -> None:
    page = officer.get("/alarms")
    assert "No alarm" in text_of(page.text)
    assert 'id="alarm-banner"' not in page.text


def test_a_split_view_raises_a_banner_on_every_page_and_shows_both_checkpoints(
        net: NodeNet, officer: Browser) -> None:
    irn = net.nodes["IRN"]
    with irn.uow() as uow:
        held = uow.repo.latest_checkpoint()
        assert held is not None
        forged = held.note.replace(held.note.split("\n")[1], str(held.size + 99), 1)
        irn.core.alarm(uow.repo, "split_view", "the hub signed two different trees (at size 9)",
                  {"checkpoint": held.note, "conflicting_checkpoint": forged})
        uow.commit()
    for path in ("/inbox", "/compose", "/compliance", "/alarms"):
        page = officer.get(path).text
        assert 'id="alarm-banner"' in page and 'role="alert"' in page, path
    alarms = officer.get("/alarms").text
    assert "Split view: the hub showed different logs" in alarms
    assert "Checkpoint the hub served" in alarms and "Conflicting checkpoint" in alarms
    assert str(held.size + 99) in alarms
    assert officer.get("/inbox/updates.json").json()["alarms"] == 1


# -- the node's own API ----------------------------------------------------------------------


def test_the_nodes_api_serves_what_the_party_holds_only_to_its_own_delegates(
        net: NodeNet, exchanged: dict[str, str], officer: Browser) -> None:
    import hashlib

    node = net.nodes["IRN"]
    stranger = node_browser(node)
    assert stranger.get("/v1/entries").status_code == 401
    assert stranger.get("/v1/alarms").status_code == 401
    assert stranger.get("/v1/entries", headers={"Authorization": "Bearer wrong"}
                        ).status_code == 401
    with node.uow() as uow:
        uow.repo.set_meta("api_token_sha256", hashlib.sha256(b"right-token").hexdigest())
        uow.commit()
    served = stranger.get("/v1/entries", headers={"Authorization": "Bearer right-token"})
    assert served.status_code == 200
    assert exchanged["bilateral"] in {e["entry_id"] for e in served.json()["entries"]}
    assert officer.get("/v1/entries").status_code == 200  # a signed-in delegate
    assert stranger.get("/v1/witness").status_code == 200  # peers compare views: public


def test_a_sent_entry_the_hub_sequenced_reads_sequenced_before_the_node_syncs(
        net: NodeNet, officer: Browser) -> None:
    csrf = officer.csrf("/compose/message@1")
    preview = officer.post("/compose/message@1", _compose_fields(
        csrf, **{"body.subject": "One state only", "body.text": "Never two at once.",
                 "body.level": "expert"}))
    sent = officer.post("/compose/message@1/send", _confirm_fields(preview.text))
    where = sent.headers["location"].split("?")[0]
    net.nodes["IRN"].flush_outbox()          # the hub has sequenced it; the node not synced
    text = text_of(officer.get(where).text)
    assert "Sequenced by the hub at index" in text
    assert "sequenced, not yet final" in text and "waiting to be sent" not in text


def test_the_signed_entry_is_the_previewed_one_or_the_delegate_sees_the_final_version_first(
        net: NodeNet, officer: Browser) -> None:
    csrf = officer.csrf("/compose/message@1")
    fields = _compose_fields(csrf, **{"body.subject": "As previewed", "body.text": "Exactly.",
                                      "body.level": "expert"})
    preview = officer.post("/compose/message@1", fields)
    shown = json.loads(_unescape(re.search(r'<pre class="canonical" id="canonical-entry"[^>]*>'
                                           r'(.*?)</pre>', preview.text, re.S).group(1)))
    net.nodes["IRN"].send("message@1", ("RUS",), {"subject": "Meanwhile", "text": "CLI."})
    refused = officer.post("/compose/message@1/send", _confirm_fields(preview.text))
    assert refused.status_code == 409
    assert 'id="preview-changed"' in refused.text
    again = json.loads(_unescape(re.search(r'<pre class="canonical" id="canonical-entry"[^>]*>'
                                           r'(.*?)</pre>', refused.text, re.S).group(1)))
    assert again["seq"] == shown["seq"] + 1
    sent = officer.post("/compose/message@1/send", _confirm_fields(refused.text))
    assert sent.status_code == 303
    net.settle()
    signed = text_of(officer.get(sent.headers["location"].split("?")[0]).text)
    assert f'"seq": {again["seq"]}' in signed and f'"time": "{again["time"]}"' in signed


def test_a_removed_row_does_not_come_back_after_a_validation_error(officer: Browser) -> None:
    csrf = officer.csrf("/compose/activity-notification@1")
    fresh = officer.get("/compose/activity-notification@1").text
    assert 'name="body.live_firing.0.' in fresh                      # a first blank row
    # Every live-firing row removed (in the browser), then a mistake elsewhere: the page
    # comes back with the mistake named and no live-firing row put back.
    page = officer.post("/compose/activity-notification@1", _compose_fields(
        csrf, **{"body.name": "Exercise", "body.start": "not a date"}))
    assert page.status_code == 422
    assert 'name="body.live_firing.0.' not in page.text


def test_a_party_is_not_offered_among_the_other_parties_and_cannot_name_itself_there(
        officer: Browser) -> None:
    page = officer.get("/compose/activity-notification@1").text
    states = re.search(r'<fieldset[^>]*id="f-body-participating_states".*?</fieldset>', page,
                       re.S)
    assert states is not None
    offered = set(re.findall(r'value="([A-Z]{3,6})"', states.group(0)))
    assert "RUS" in offered and "IRN" not in offered
    body = {"kind": "land", "name": "Exercise", "purpose": "Training.", "start": "2027-03-01",
            "end": "2027-03-04", "forces": {"troops": 3000}, "participating_states": ["IRN"],
            "area": {"kind": "circle", "centre": {"lat": 27.0, "lon": 56.0}, "radius_km": 20}}
    csrf = officer.csrf("/compose/activity-notification@1")
    named = officer.post("/compose/activity-notification@1", _compose_fields(
        csrf, **{"_json": json.dumps(body)}))
    assert named.status_code == 422, text_of(named.text)
    assert "the party writing" in text_of(named.text)
