"""One confirmation, one signed entry — even across a crash (a real node process, SIGKILLed).

A delegate confirms an entry on the node's page; the node signs it and stores it in its outbox
with the confirmation's token, then sends it to the hub. If the node dies after the entry
reached the outbox but before the delegate saw the answer, the delegate posts the same form
again once the node is back: the node must find the entry already signed and show it, not sign
the form again under the next sequence number.

The hub is frozen (SIGSTOP) while the send is in flight, so the node is caught exactly in that
window: the entry is in its outbox, the hub has not answered. Then the node is killed at random
moments of further sends, and every confirmation is posted again after each restart.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from support.inprocess import Browser
from support.processes import NodeProcess, ProcessNetwork, wait_until

from gulfsec.domain.entry import parse_signed_entry

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def net(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProcessNetwork]:
    # Three witnesses, so that the regime's quorum of three makes entries final.
    with ProcessNetwork(tmp_path, request.param, ["IRN", "RUS", "SAU"]) as network:
        secret = tmp_path / "password"
        secret.write_text(PASSWORD + "\n")
        network.nodes["IRN"].cli("node", "user", "add", "leila", "--role", "officer",
                                 "--password-file", str(secret))
        yield network


@pytest.fixture
def clients() -> Iterator[list[httpx.Client]]:
    made: list[httpx.Client] = []
    yield made
    for client in made:
        client.close()


def officer(node: NodeProcess, clients: list[httpx.Client]) -> Browser:
    """An officer signed in to ``node``'s pages over HTTP."""
    client = httpx.Client(base_url=node.url, timeout=60.0)
    clients.append(client)
    browser = Browser(client)  # type: ignore[arg-type]
    assert browser.sign_in("leila", PASSWORD).status_code == 303
    return browser


def send_form(browser: Browser, subject: str, token: str) -> dict[str, Any]:
    """What the preview page posts when the delegate ticks the box and signs."""
    return {"csrf_token": browser.csrf("/compose/message@1"),
            "body_json": json.dumps({"subject": subject, "text": "Dates and area attached.",
                                     "level": "expert"}),
            "audience_kind": "parties", "audience_format": "", "audience_parties": "RUS",
            "refs": "", "confirmation": token, "confirm": "yes"}


def outbox(node: NodeProcess) -> list[tuple[int, bytes]]:
    engine = node.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT seq, raw FROM node_outbox ORDER BY seq")).all()
    finally:
        engine.dispose()
    return [(int(seq), bytes(raw)) for seq, raw in rows]


def subjects(rows: list[tuple[int, bytes]]) -> list[str]:
    out = []
    for _seq, raw in rows:
        entry = parse_signed_entry(raw, max_bytes=1 << 20).entry
        if entry.form == "message@1":
            out.append(str(entry.body["subject"]))
    return out


def post_in_background(browser: Browser, data: dict[str, Any]) -> threading.Thread:
    def post() -> None:
        try:
            browser.post("/compose/message@1/send", data)
        except httpx.HTTPError:
            pass  # the node died under the request: the delegate never saw an answer

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def test_a_send_killed_after_the_outbox_is_signed_once_when_posted_again(
        net: ProcessNetwork, clients: list[httpx.Client]) -> None:
    node = net.nodes["IRN"]
    browser = officer(node, clients)
    form = send_form(browser, "Joint naval exercise", "confirmation-1")
    before = len(outbox(node))

    hub_pid = net.hub._proc.pid  # type: ignore[union-attr]
    os.kill(hub_pid, signal.SIGSTOP)  # the hub takes the request and never answers
    try:
        inflight = post_in_background(browser, form)
        wait_until(lambda: len(outbox(node)) == before + 1, 30,
                   "the entry to reach the node's outbox")
        node.kill()
        inflight.join(timeout=30)
    finally:
        os.kill(hub_pid, signal.SIGCONT)

    node.start()
    again = browser.post("/compose/message@1/send", form)
    assert again.status_code == 303, again.text
    assert again.headers["location"].endswith("?sent=again")
    shown = browser.get(again.headers["location"])
    assert "Joint naval exercise" in shown.text
    assert subjects(outbox(node)).count("Joint naval exercise") == 1
    net.settle()
    with net.client("RUS") as client:
        served = [e["entry"]["entry"] for e in client.entries(limit=1000)["entries"]]
    at_hub = [entry["body"]["subject"] for entry in served
              if entry["sender"] == "IRN" and entry["form"] == "message@1"]
    assert at_hub == ["Joint naval exercise"]


def test_every_confirmation_signs_one_entry_whatever_moment_the_node_dies(
        net: ProcessNetwork, clients: list[httpx.Client]) -> None:
    node = net.nodes["IRN"]
    rng = random.Random(8)
    posted: list[dict[str, Any]] = []
    for round_ in range(4):
        browser = officer(node, clients)
        forms = [send_form(browser, f"Report {round_}.{n}", f"confirmation-{round_}-{n}")
                 for n in range(3)]
        posted.extend(forms)
        threads = [post_in_background(browser, form) for form in forms]
        threading.Event().wait(rng.uniform(0.0, 0.4))
        node.kill()
        for thread in threads:
            thread.join(timeout=30)
        node.start()
        browser = officer(node, clients)
        for form in posted:  # every confirmation so far, posted again
            form = {**form, "csrf_token": browser.csrf("/compose/message@1")}
            answer = browser.post("/compose/message@1/send", form)
            assert answer.status_code == 303, answer.text
    net.settle()
    sent = subjects(outbox(node))
    wanted = [str(json.loads(form["body_json"])["subject"]) for form in posted]
    assert sorted(sent) == sorted(wanted)  # each exactly once: none lost, none twice
    seqs = [seq for seq, _raw in outbox(node)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
