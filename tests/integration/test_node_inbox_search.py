"""The inbox looks for words in what the node holds, and folds acknowledgements into the state
of what they acknowledge.

Personas: RUS and SAU write to IRN, whose inbox is read.
"""

from __future__ import annotations

from support.inprocess import NodeNet

from gulfsec.domain.entry import ALL
from gulfsec.domain.forms.acknowledgement import ACKNOWLEDGEMENT
from gulfsec.domain.regime import default_regime
from gulfsec.domain.search import fold, query_words
from gulfsec.services.node import views


def _found(net: NodeNet, text: str, **kw: object) -> set[str]:
    flt, problems = views.InboxFilter.parse({"q": text, **kw}, default_regime())  # type: ignore[arg-type]
    assert problems == []
    return {row.entry_id for row in views.inbox(net.nodes["IRN"], flt).rows}


def test_words_are_found_in_any_field_in_any_order_and_spelling(net: NodeNet) -> None:
    ferry = net.nodes["RUS"].send("message@1", ("IRN",),
                                  {"subject": "Ferry route", "text": "Patrols near Abu Musa."})
    arabic = net.nodes["SAU"].send("message@1", ALL,
                                   {"subject": "مناورة بحرية", "text": "إخطار مسبق بالمناورة."})
    chinese = net.nodes["SAU"].send("message@1", ALL,
                                    {"subject": "海上演习", "text": "提前通知。"})
    net.settle()
    assert _found(net, "ferry") == {ferry.id_hex}
    assert _found(net, "musa PATROLS") == {ferry.id_hex}            # any order, any case
    assert _found(net, "ferry nowhere") == set()                     # every word must be in it
    assert _found(net, "اخطار") == {arabic.id_hex}                   # alef with or without hamza
    assert _found(net, "مناوره") == {arabic.id_hex}                  # teh marbuta as heh
    assert _found(net, "演习") == {chinese.id_hex}                   # no spaces needed
    assert _found(net, "100%_") == set()                             # LIKE's wildcards are text
    assert ferry.id_hex in _found(net, "Ferry", sender="RUS")        # with the other filters


def test_acknowledgements_show_in_the_state_of_what_they_acknowledge_unless_asked_for(
        net: NodeNet) -> None:
    sent = net.nodes["IRN"].send("message@1", ALL, {"subject": "To all", "text": "Text."})
    net.settle()
    rows = views.inbox(net.nodes["IRN"], views.InboxFilter()).rows
    assert all(row.form != ACKNOWLEDGEMENT for row in rows)
    mine = next(row for row in rows if row.entry_id == sent.id_hex)
    assert set(mine.acknowledged_by) >= {"RUS", "SAU", "QAT"}
    asked = views.inbox(net.nodes["IRN"], views.InboxFilter(acks=True)).rows
    assert any(row.form == ACKNOWLEDGEMENT for row in asked)
    only = views.inbox(net.nodes["IRN"], views.InboxFilter(form=ACKNOWLEDGEMENT)).rows
    assert only and all(row.form == ACKNOWLEDGEMENT for row in only)


def test_a_query_is_folded_and_bounded() -> None:
    assert fold("  Ａｂｕ\tMUSA ") == "abu musa"
    assert fold("كـــيف") == fold("کیف")
    assert query_words("a " * 50) == ("a",)
    assert len(query_words(" ".join(f"w{i}" for i in range(30)))) == 8
    assert query_words("   ") == ()
