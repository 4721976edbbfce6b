"""Events coded from English news sentences: who did what to whom, as PLOVER types."""

from __future__ import annotations

import pytest

from gulfsec.domain.news import EVENT_TYPES, Event, code_sentence, code_text

Triple = tuple[str, str, str]


def triples(sentence: str) -> set[Triple]:
    return {(e.source, e.target, e.type) for e in code_sentence(sentence)}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Bahrain and Iran agreed to start talks.", {("BHR", "IRN", "AGREE"),
                                                     ("IRN", "BHR", "AGREE")}),
        ("Zarif met Lavrov in Moscow.", {("IRN", "RUS", "CONSULT"), ("RUS", "IRN", "CONSULT")}),
        ("Riyadh welcomed Washington's decision.", {("SAU", "USA", "SUPPORT")}),
        ("Iran apologised to Kuwait for the incident.", {("IRN", "KWT", "CONCEDE")}),
        ("Iran and Russia held joint naval drills.", {("IRN", "RUS", "COOPERATE"),
                                                      ("RUS", "IRN", "COOPERATE")}),
        ("Iran sent food to Qatar.", {("IRN", "QAT", "AID")}),
        ("Iran released the British-flagged tanker.", {("IRN", "GBR", "RETREAT")}),
        ("Tillerson urged Saudi Arabia to ease the blockade.", {("USA", "SAU", "REQUEST")}),
        ("Pompeo blamed Iran for the attacks.", {("USA", "IRN", "ACCUSE")}),
        ("Tehran rejected the US accusation.", {("IRN", "USA", "REJECT")}),
        ("Khamenei threatened the United States.", {("IRN", "USA", "THREATEN")}),
        ("Iranian protesters stormed the Saudi embassy in Tehran.", {("IRN", "SAU", "PROTEST")}),
        ("Saudi Arabia cut diplomatic ties with Iran.", {("SAU", "IRN", "SANCTION")}),
        ("The Pentagon sent warships to the Gulf to deter Iran.", {("USA", "IRN", "MOBILIZE")}),
        ("The Revolutionary Guards seized a British tanker.", {("IRN", "GBR", "COERCE")}),
        ("Iran fired ballistic missiles at Israel.", {("IRN", "ISR", "ASSAULT")}),
    ],
)
def test_each_event_type_is_coded(sentence: str, expected: set[Triple]) -> None:
    assert triples(sentence) == expected


def test_every_coded_type_is_a_plover_type() -> None:
    assert len(EVENT_TYPES) == 16
    events = code_text("Iran seized a tanker. Britain condemned Iran. The US sanctioned Iran.")
    assert {e.type for e in events} <= set(EVENT_TYPES)


def test_the_source_is_the_subject_and_the_target_the_object() -> None:
    assert triples("Britain accused Iran.") == {("GBR", "IRN", "ACCUSE")}
    assert triples("Iran accused Britain.") == {("IRN", "GBR", "ACCUSE")}


def test_a_passive_takes_its_agent_as_the_source() -> None:
    assert triples("A British-flagged tanker was seized by Iran's Revolutionary Guards.") == {
        ("IRN", "GBR", "COERCE")
    }
    assert triples("An American drone was shot down by an Iranian missile.") == {
        ("IRN", "USA", "ASSAULT")
    }


def test_a_passive_without_an_agent_codes_nothing() -> None:
    assert triples("Two Saudi tankers were attacked off the Emirati coast.") == set()


def test_an_attack_named_after_its_author_has_that_author_as_source() -> None:
    assert triples("Soleimani was killed in an American drone strike.") == {
        ("USA", "IRN", "ASSAULT")
    }
    assert triples("Saudi Arabia condemned the Israeli attack on Iran.") == {
        ("SAU", "ISR", "ACCUSE"),
        ("ISR", "IRN", "ASSAULT"),
    }


def test_talks_between_two_states_go_both_ways() -> None:
    expected = {("SAU", "IRN", "CONSULT"), ("IRN", "SAU", "CONSULT")}
    assert triples("Saudi Arabia and Iran held talks in Baghdad.") == expected
    assert triples("Talks between Saudi Arabia and Iran opened in Baghdad.") == expected
    assert triples("The Saudi and Iranian foreign ministers spoke by phone.") == expected


def test_a_signed_agreement_goes_both_ways() -> None:
    assert triples("Iran and China signed a 25-year cooperation agreement.") == {
        ("IRN", "CHN", "AGREE"),
        ("CHN", "IRN", "AGREE"),
    }


def test_joint_drills_go_both_ways_between_every_pair() -> None:
    coded = triples("Iran, Russia and China began joint naval drills in the Gulf of Oman.")
    assert coded == {(a, b, "COOPERATE") for a in ("IRN", "RUS", "CHN")
                     for b in ("IRN", "RUS", "CHN") if a != b}  # fmt: skip


def test_a_compound_source_gives_one_event_per_member() -> None:
    assert triples("Saudi Arabia, the UAE and Bahrain cut ties with Qatar.") == {
        ("SAU", "QAT", "SANCTION"),
        ("ARE", "QAT", "SANCTION"),
        ("BHR", "QAT", "SANCTION"),
    }


def test_a_host_receives_the_visitor() -> None:
    assert triples("Mohammed bin Salman hosted Iranian President Ebrahim Raisi.") == {
        ("IRN", "SAU", "CONSULT")
    }


def test_a_visit_goes_from_the_visitor_to_the_host() -> None:
    events = code_sentence("Japan's prime minister visited Tehran.")
    assert [(e.source, e.target, e.type, e.mode) for e in events] == [
        ("JPN", "IRN", "CONSULT", "visit")
    ]


def test_a_mediator_consults_each_party() -> None:
    assert triples("Kuwait's emir flew to Jeddah to mediate between Saudi Arabia and Qatar.") == {
        ("KWT", "SAU", "CONSULT"),
        ("KWT", "QAT", "CONSULT"),
    }


@pytest.mark.parametrize(
    "sentence",
    [
        "Iran did not attack the American warship.",
        "Iran has not seized any British tankers, Zarif insisted.",
        "Tehran denied any role in the attack on Saudi Arabia.",
        "Trump called off strikes on three Iranian sites.",
        "Saudi Arabia never recognised Israel.",
    ],
)
def test_negated_events_are_not_coded(sentence: str) -> None:
    assert triples(sentence) == set()


@pytest.mark.parametrize(
    "sentence",
    [
        "Oil prices jumped four per cent after the seizure was reported.",
        "Hundreds of thousands of mourners filled the streets of Tehran.",
        "The rial fell to a record low against the dollar.",
        "Iran held presidential elections.",
        "Analysts said the agreement could ease the war in Yemen.",
        "A drone launched by Iran-backed militants killed three soldiers.",
    ],
)
def test_sentences_without_an_event_code_nothing(sentence: str) -> None:
    assert triples(sentence) == set()


def test_one_sentence_can_hold_several_events() -> None:
    coded = triples(
        "Iran seized a British tanker, and Britain condemned the seizure and summoned Iran's envoy."
    )
    assert ("IRN", "GBR", "COERCE") in coded
    assert ("GBR", "IRN", "ACCUSE") in coded


def test_a_second_verb_joined_by_and_keeps_the_subject() -> None:
    assert triples("Sultan Haitham visited Tehran and met Khamenei.") == {
        ("OMN", "IRN", "CONSULT"),
        ("IRN", "OMN", "CONSULT"),
    }


def test_what_a_verb_governs_is_not_coded_apart() -> None:
    assert triples("Houthi leaders threatened to strike US warships.") == {
        ("YEM", "USA", "THREATEN")
    }
    assert triples("Trump accused Qatar of funding terrorism.") == {("USA", "QAT", "ACCUSE")}


def test_a_promised_retreat_is_a_concession() -> None:
    assert triples("Iran agreed to release five American citizens.") == {
        ("IRN", "USA", "CONCEDE")
    }


def test_force_under_a_modal_is_a_threat() -> None:
    assert triples("Trump said the US would hit Iranian sites very hard.") == {
        ("USA", "IRN", "THREATEN")
    }


def test_future_cooperation_is_an_agreement() -> None:
    assert triples("The UAE said its ambassador would return to Tehran.") == {
        ("ARE", "IRN", "AGREE")
    }


def test_a_condition_is_not_an_event() -> None:
    assert ("IRN", "USA", "ASSAULT") not in triples(
        "Trump warned that the US would respond if Iran struck any Americans."
    )


def test_places_are_not_targets_unless_nothing_else_is() -> None:
    assert triples("Biden met Mohammed bin Salman in Jeddah.") == {
        ("USA", "SAU", "CONSULT"),
        ("SAU", "USA", "CONSULT"),
    }
    assert triples("Israeli warplanes struck military sites in Iran.") == {
        ("ISR", "IRN", "ASSAULT")
    }


def test_backers_are_not_actors_of_the_event() -> None:
    assert triples("Iran-backed Houthi rebels fired missiles at Riyadh.") == {
        ("YEM", "SAU", "ASSAULT")
    }


def test_troops_sent_to_a_named_state_are_military_aid() -> None:
    events = code_sentence("The Pentagon ordered more troops and air defences to Saudi Arabia.")
    assert [(e.source, e.target, e.type, e.mode) for e in events] == [
        ("USA", "SAU", "AID", "military")
    ]


def test_a_show_of_force_without_a_named_adversary_keeps_an_empty_target() -> None:
    events = code_sentence("Britain is sending a second warship to the Gulf.")
    assert [(e.source, e.target, e.type, e.mode) for e in events] == [
        ("GBR", "", "MOBILIZE", "naval")
    ]


@pytest.mark.parametrize(
    ("sentence", "kind", "mode"),
    [
        ("Macron and Rouhani spoke by telephone.", "CONSULT", "phone"),
        ("The Revolutionary Guards seized a South Korean tanker.", "COERCE", "seize"),
        ("Iran detained ten American sailors.", "COERCE", "arrest"),
        ("Houthi drones hit a Saudi oil pipeline.", "ASSAULT", "drone"),
        ("Iran fired missiles at Israel.", "ASSAULT", "missile"),
        ("Iran held naval exercises near the Strait of Hormuz.", "MOBILIZE", "exercise"),
    ],
)
def test_modes_are_given_where_the_sentence_says(sentence: str, kind: str, mode: str) -> None:
    events = [e for e in code_sentence(sentence) if e.type == kind]
    assert events and {e.mode for e in events} == {mode}


def test_code_text_numbers_the_sentences() -> None:
    events = code_text("Oil prices rose. Iran seized a Greek tanker. Greece condemned Iran.")
    assert [(e.sentence, e.source, e.target, e.type) for e in events] == [
        (1, "IRN", "GRC", "COERCE"),
        (2, "GRC", "IRN", "ACCUSE"),
    ]
    assert events[0].text == "Iran seized a Greek tanker."


def test_an_event_serialises_to_json() -> None:
    event = Event("IRN", "USA", "ASSAULT", "drone", 0, "Iran shot down a US drone.")
    assert event.to_json() == {
        "source": "IRN", "target": "USA", "type": "ASSAULT", "mode": "drone", "sentence": 0,
        "text": "Iran shot down a US drone.",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("هاجمت إيران ناقلة نفط سعودية.", None),
        ("ایران یک نفتکش انگلیسی را توقیف کرد.", None),
        ("Iran seized a British tanker.", "ar"),
        ("Iran seized a British tanker.", "fa"),
    ],
)
def test_arabic_and_persian_text_is_not_coded_yet(text: str, language: str | None) -> None:
    assert code_text(text, language=language) == []


def test_english_given_as_language_is_coded() -> None:
    assert len(code_text("Iran seized a British tanker.", language="en")) == 1


def test_actors_named_with_their_titles_are_named_together() -> None:
    assert triples("Qatar's emir and the Iranian president discussed the crisis by phone.") == {
        ("QAT", "IRN", "CONSULT"),
        ("IRN", "QAT", "CONSULT"),
    }


def test_a_reason_given_for_a_sanction_is_not_coded_as_done() -> None:
    assert triples(
        "The United States designated four Iranian companies for supplying drones to Russia."
    ) == {("USA", "IRN", "SANCTION")}


def test_a_possible_sanction_is_a_threat() -> None:
    assert triples("Washington could impose further sanctions on Tehran.") == {
        ("USA", "IRN", "THREATEN")
    }
