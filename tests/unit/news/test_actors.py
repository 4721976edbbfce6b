"""Actors found in news text: names, adjectives, capitals, leaders, forces, bodies, in English,
Arabic and Persian; and sentences split out of a text."""

from __future__ import annotations

import pytest

from gulfsec.domain.news import actors_in, split_sentences
from gulfsec.domain.news.actors import actor_names
from gulfsec.domain.regime import default_regime


def codes(text: str, language: str | None = None) -> list[str]:
    return [code for code, _, _ in actors_in(text, language)]


def spans(text: str) -> list[tuple[str, str]]:
    return [(code, text[start:end]) for code, start, end in actors_in(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Iran and Saudi Arabia", ["IRN", "SAU"]),
        ("the United Arab Emirates and the UAE", ["ARE", "ARE"]),
        ("Kingdom of Saudi Arabia", ["SAU"]),
        ("the Islamic Republic of Iran", ["IRN"]),
        ("the United States, the U.S. and the US", ["USA", "USA", "USA"]),
        ("Britain, the United Kingdom and the UK", ["GBR", "GBR", "GBR"]),
    ],
)
def test_states_are_found_by_their_names(text: str, expected: list[str]) -> None:
    assert codes(text) == expected


def test_every_regime_participant_is_found_by_its_english_name() -> None:
    for code, participant in default_regime().participants.items():
        assert codes(participant.name) == [code], participant.name


def test_other_states_get_their_iso_alpha3_code_from_pycountry() -> None:
    assert codes("Chad, Peru and the Marshall Islands") == ["TCD", "PER", "MHL"]
    assert codes("Israel, Egypt and Turkey") == ["ISR", "EGY", "TUR"]


def test_adjectives_and_demonyms_name_their_state() -> None:
    text = "Iranian, Saudi, Emirati, Qatari, Omani, Iraqi, Kuwaiti, Bahraini envoys and Americans"
    assert codes(text) == ["IRN", "SAU", "ARE", "QAT", "OMN", "IRQ", "KWT", "BHR", "USA"]


def test_capitals_stand_for_their_state() -> None:
    assert codes("Riyadh said Tehran and Washington should talk") == ["SAU", "IRN", "USA"]
    assert codes("Abu Dhabi, Doha, Manama, Muscat and Baghdad") == [
        "ARE", "QAT", "BHR", "OMN", "IRQ",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Khamenei", "IRN"),
        ("Ayatollah Ali Khamenei", "IRN"),
        ("Hassan Rouhani", "IRN"),
        ("Zarif", "IRN"),
        ("Abbas Araghchi", "IRN"),
        ("Masoud Pezeshkian", "IRN"),
        ("Mohammed bin Salman", "SAU"),
        ("King Salman", "SAU"),
        ("Sheikh Tamim", "QAT"),
        ("MBZ", "ARE"),
        ("Trump", "USA"),
        ("Joe Biden", "USA"),
        ("Putin", "RUS"),
        ("Xi Jinping", "CHN"),
        ("Erdogan", "TUR"),
        ("Netanyahu", "ISR"),
    ],
)
def test_leaders_and_ministers_are_found_by_name(text: str, code: str) -> None:
    assert codes(text) == [code]


def test_titles_are_found_by_their_adjective() -> None:
    assert codes("the Iranian foreign minister met the Saudi crown prince") == ["IRN", "SAU"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("the Revolutionary Guards", "IRN"),
        ("the IRGC", "IRN"),
        ("the Quds Force", "IRN"),
        ("the Basij", "IRN"),
        ("the Pentagon", "USA"),
        ("CENTCOM", "USA"),
        ("the US Navy", "USA"),
        ("the Fifth Fleet", "USA"),
        ("the Royal Saudi Air Force", "SAU"),
        ("the Security Council", "UNSC"),
        ("the Arab League", "LAS"),
        ("the Gulf Cooperation Council", "GCC"),
        ("the Houthis", "YEM"),
        ("Hezbollah", "LBN"),
    ],
)
def test_armed_forces_and_bodies_name_their_actor(text: str, code: str) -> None:
    assert codes(text) == [code]


def test_the_longest_name_wins() -> None:
    assert spans("the Royal Saudi Air Force") == [("SAU", "Royal Saudi Air Force")]
    assert spans("Iran's Revolutionary Guards") == [
        ("IRN", "Iran"),
        ("IRN", "Revolutionary Guards"),
    ]


def test_places_and_papers_that_hold_a_name_are_not_actors() -> None:
    assert codes("tankers attacked in the Gulf of Oman") == []
    assert codes("the Washington Post reported from the Persian Gulf") == []


def test_a_pronoun_or_a_common_word_is_not_an_actor() -> None:
    assert codes("he told us that chad and china were words") == []


def test_spans_point_into_the_text() -> None:
    text = "Yesterday Riyadh said the U.S. was wrong."
    assert spans(text) == [("SAU", "Riyadh"), ("USA", "U.S.")]


def test_arabic_names_are_found_with_their_prefixes() -> None:
    text = "إيران والسعودية والولايات المتحدة، ومجلس الأمن يدعو لإيران والحرس الثوري"
    assert codes(text) == ["IRN", "SAU", "USA", "UNSC", "IRN", "IRN"]


def test_arabic_adjectives_are_found_in_their_forms() -> None:
    assert codes("الخارجية الإيرانية والوزير السعودي والقوات الأمريكية") == ["IRN", "SAU", "USA"]


def test_persian_names_are_found() -> None:
    text = "ایران، عربستان و آمریکا؛ سپاه پاسداران و شورای امنیت"
    assert codes(text) == ["IRN", "SAU", "USA", "IRN", "UNSC"]


def test_arabic_and_persian_names_of_other_states_come_from_pycountry() -> None:
    assert codes("باكستان") == ["PAK"]
    assert codes("اسپانیا") == ["ESP"]


def test_language_limits_the_script_looked_at() -> None:
    text = "Iran said: إيران"
    assert codes(text, "en") == ["IRN"]
    assert spans(text)[1] == ("IRN", "إيران")
    assert codes(text, "ar") == ["IRN"]
    assert len(actors_in(text, "ar")) == 1 and actors_in(text, "ar")[0][1] == text.index("إ")


def test_modifiers_are_still_mentions() -> None:
    assert codes("Iran-backed Houthis") == ["IRN", "YEM"]


def test_actor_names_lists_the_blocked_phrases_too() -> None:
    names = actor_names()
    assert ("OMN", "Oman") in names
    assert ("-", "Gulf of Oman") in names


def test_sentences_are_split_at_full_stops_but_not_after_titles_or_initials() -> None:
    text = (
        "Gen. Soleimani was killed on Jan. 3 near Baghdad. The U.S. President said so! "
        "Was it legal? J. Kerry doubted it.\n\nHeadline without a stop"
    )
    assert split_sentences(text) == [
        "Gen. Soleimani was killed on Jan. 3 near Baghdad.",
        "The U.S. President said so!",
        "Was it legal?",
        "J. Kerry doubted it.",
        "Headline without a stop",
    ]


def test_decimals_and_quotes_do_not_end_a_sentence_early() -> None:
    text = 'Oil rose 3.5 per cent. Iran said "no." Then it agreed.'
    assert split_sentences(text) == ["Oil rose 3.5 per cent.", 'Iran said "no."', "Then it agreed."]


def test_arabic_sentences_are_split_at_their_question_mark_too() -> None:
    assert split_sentences("هل تتفاوض إيران؟ نعم. ربما") == ["هل تتفاوض إيران؟", "نعم.", "ربما"]
