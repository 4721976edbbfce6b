"""The inbox's pages, read page by page from the database: every entry once, newest first,
whatever the filter (a sender's entries are read along its sequence numbers).

Personas: RUS and SAU write to IRN, whose inbox is read; IRN writes to all.
"""

from __future__ import annotations

from dataclasses import replace

from support.inprocess import NodeNet

from gulfsec.domain.entry import ALL
from gulfsec.services.node import views


def _pages(net: NodeNet, flt: views.InboxFilter, limit: int) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        page = views.inbox(net.nodes["IRN"], flt, limit=limit)
        pages.append([row.entry_id for row in page.rows])
        if page.next_before is None:
            return pages
        flt = replace(flt, before=page.next_before)


def test_paging_through_the_inbox_shows_every_entry_once_newest_first(net: NodeNet) -> None:
    sent: dict[str, list[str]] = {"RUS": [], "SAU": [], "IRN": []}
    for i in range(9):
        for party, audience in (("RUS", ("IRN",)), ("SAU", ALL), ("IRN", ALL)):
            signed = net.nodes[party].send("message@1", audience,
                                           {"subject": f"{party} {i}", "text": "Text."})
            sent[party].append(signed.id_hex)
    net.settle()
    for sender in ("RUS", "SAU"):
        pages = _pages(net, views.InboxFilter(sender=sender, form="message@1"), limit=4)
        assert [len(p) for p in pages] == [4, 4, 1]
        assert [eid for page in pages for eid in page] == sent[sender][::-1]
        received = _pages(net, views.InboxFilter(direction="received", sender=sender,
                                                 form="message@1"), limit=5)
        assert [eid for page in received for eid in page] == sent[sender][::-1]
    mine = _pages(net, views.InboxFilter(direction="sent", form="message@1"), limit=4)
    assert [eid for page in mine for eid in page] == sent["IRN"][::-1]
    everything = _pages(net, views.InboxFilter(form="message@1"), limit=10)
    listed = [eid for page in everything for eid in page]
    assert sorted(listed) == sorted(sent["RUS"] + sent["SAU"] + sent["IRN"])
    assert len(listed) == len(set(listed))
