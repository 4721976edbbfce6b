"""The pages of a served node (``gulfsec node serve``, real processes): the sync loop in the
node's process, the pages in page workers apart from it (``--workers``), or all in one process
(``--workers 0``). Either way a delegate signs in, reads the inbox and the compliance page, and
an officer's entry is signed once, sent, and reaches its addressee's node; the node's
``/metrics`` counts the pages, wherever they were answered.

Personas: IRN's officer uses IRN's node; RUS is addressed and writes back.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.processes import NodeProcess, ProcessNetwork, wait_until

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
_SIGNIN = re.compile(r'name="signin_token" value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Workers(NodeProcess):
    """A node served with ``--workers N`` (through its environment variable)."""

    workers = "2"

    def settings(self) -> dict[str, str]:
        return {**super().settings(), "GULFSEC_NODE_WORKERS": self.workers}


@pytest.fixture(params=["2", "0"], ids=["page workers", "one process"])
def network(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProcessNetwork]:
    net = ProcessNetwork(tmp_path, "sqlite", ["IRN", "RUS"])
    for party, node in list(net.nodes.items()):
        served = Workers(party, node.data_dir, node.database_url, port=node.port,
                         sync_interval_ms=node.sync_interval_ms)
        served.workers = request.param
        net.nodes[party] = served
        node.close()
    with net:
        secret = tmp_path / "password"
        secret.write_text(PASSWORD)
        net.nodes["IRN"].cli("node", "user", "add", "leila", "--role", "officer",
                             "--password-file", str(secret))
        yield net


def _signed_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    try:
        form = client.get("/sign-in")
        token = _SIGNIN.search(form.text)
        assert token is not None
        done = client.post("/sign-in", data={"signin_token": html.unescape(token.group(1)),
                                             "name": "leila", "password": PASSWORD,
                                             "next": ""})
        assert done.status_code == 303, done.text
    except BaseException:
        client.close()
        raise
    return client


def _timed(browser: httpx.Client, method: str, route: str) -> float:
    """How many requests for ``route`` the node's ``/metrics`` says were timed."""
    answer = browser.get("/metrics")
    assert answer.status_code == 200, answer.text
    return sum(sample.value for family in text_string_to_metric_families(answer.text)
               for sample in family.samples
               if sample.name == "gulfsec_http_request_duration_seconds_count"
               and sample.labels.get("method") == method and sample.labels.get("route") == route)


def test_a_delegate_reads_and_sends_through_a_served_node(network: ProcessNetwork) -> None:
    irn = network.nodes["IRN"]
    draft = network.root / "to-iran.json"
    draft.write_text(json.dumps({"form": "message@1", "audience": ["IRN"],
                                 "body": {"subject": "From Russia", "text": "Text."}}))
    network.nodes["RUS"].cli("node", "send", str(draft))
    wait_until(lambda: any(e["sender"] == "RUS" and e["form"] == "message@1"
                           for e in irn.entries()), 45, "the message in IRN's node")
    browser = _signed_in(irn.url)
    try:
        inbox = browser.get("/inbox")
        assert inbox.status_code == 200 and "From Russia" in inbox.text
        assert browser.get("/inbox?sender=RUS").status_code == 200
        assert browser.get("/compliance").status_code == 200
        csrf = _CSRF.search(browser.get("/compose/message@1").text)
        assert csrf is not None
        form = {"csrf_token": html.unescape(csrf.group(1)), "audience_kind": "parties",
                "audience_parties": "RUS", "body.subject": "From Iran's pages",
                "body.text": "Signed once."}
        preview = browser.post("/compose/message@1", data=form)
        assert preview.status_code == 200
        fields = dict(re.findall(r'name="(confirmation|body_json)" value="([^"]+)"',
                                 preview.text))
        send = {**form, "refs": "", "confirm": "yes",
                **{k: html.unescape(v) for k, v in fields.items()}}
        sent = browser.post("/compose/message@1/send", data=send)
        assert sent.status_code == 303, sent.text
        assert browser.post("/compose/message@1/send", data=send).status_code == 303
        entry_id = sent.headers["location"].split("/entries/")[1].split("?")[0]
        wait_until(lambda: entry_id in browser.get("/inbox?direction=sent").text, 45,
                   "the entry sent in IRN's inbox")
        # /metrics (the node's process) counts the pages the workers answered, by route.
        wait_until(lambda: _timed(browser, "GET", "/inbox") >= 3
                   and _timed(browser, "GET", "/compliance") >= 1, 10,
                   "the pages' timings in /metrics")
    finally:
        browser.close()
    wait_until(lambda: entry_id in {e["entry_id"] for e in network.nodes["RUS"].entries()},
               45, "the entry in RUS's node")
    mine = [e for e in irn.entries() if e["sender"] == "IRN" and e["form"] == "message@1"]
    assert [e["entry_id"] for e in mine] == [entry_id]  # signed once, for two clicks

