"""The regime file: the default has the numbers of DESIGN.md §6, and every mistake is refused
with one RegimeError naming the file, the dotted key and the problem."""

from __future__ import annotations

from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

import pytest

from gulfsec import i18n
from gulfsec.domain.regime import (
    MonthDay,
    Regime,
    default_regime,
    load_regime,
    parse_regime,
)
from gulfsec.errors import AudienceError, RegimeError, UnknownSender

DEFAULT_TEXT = files("gulfsec").joinpath("regimes/gulf.toml").read_text("utf-8")
MINIMAL = Path(__file__).parent / "regimes" / "minimal.toml"
EDITED = "edited.toml"

# The key of sum.golang.org, a real C2SP verifier key (its key id checks out).
GO_SUMDB_KEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
HUB_KEY_LINE = '# hub_key = "gulfsec.example/gulf-log+0123abcd+AQ..."'


def edited(old: str, new: str) -> str:
    """The default regime with the one occurrence of ``old`` replaced by ``new``."""
    assert DEFAULT_TEXT.count(old) == 1, f"{old!r} must occur once in gulf.toml"
    return DEFAULT_TEXT.replace(old, new)


def refusal(text: str) -> RegimeError:
    with pytest.raises(RegimeError) as caught:
        parse_regime(text, EDITED)
    assert caught.value.file == EDITED
    assert str(caught.value).startswith(f"{EDITED}: {caught.value.key}: ")
    return caught.value


# --- the default regime -------------------------------------------------------------------


def test_default_regime_loads_from_the_package() -> None:
    regime = default_regime()

    assert regime.id == "gulf"
    assert regime.version == "1.0"
    assert regime.log_origin == "gulfsec.example/gulf-log"
    assert regime.hub_key is None
    assert regime.source.endswith("gulf.toml")
    assert len(regime.digest) == 64


def test_default_regime_is_read_once() -> None:
    assert default_regime() is default_regime()


def test_loading_the_packaged_file_by_path_gives_the_same_regime() -> None:
    regime = load_regime(default_regime().source)

    assert regime == default_regime()
    assert hash(regime) == hash(default_regime())


def test_default_participants_are_in_file_order_with_their_status() -> None:
    regime = default_regime()

    assert tuple(regime.participants) == (
        *("IRN", "IRQ", "KWT", "SAU", "BHR", "QAT", "ARE", "OMN"),
        *("USA", "GBR", "FRA", "RUS", "CHN", "DEU"),
        *("UNSC", "LAS", "OIC", "GCC"),
    )
    states = [p for p in regime.participants.values() if p.kind == "state"]
    organisations = [p for p in regime.participants.values() if p.kind == "organisation"]
    assert {p.status for p in states} == {"participating"}
    assert {p.status for p in organisations} == {"observer"}


def test_participant_names_come_from_the_regime_then_cldr_then_english() -> None:
    regime = default_regime()
    iran = regime.participant("IRN")

    assert iran.name == "Islamic Republic of Iran"
    assert iran.name_in("fa") == "جمهوری اسلامی ایران"   # the regime's own
    assert iran.name_in("zh") == "伊朗"                   # CLDR's name of the country
    assert iran.name_in("en") == "Islamic Republic of Iran"
    gcc = regime.participant("GCC")     # an organisation: its English name, through the catalog
    assert gcc.name_in("zh") == gcc.names.get("zh", i18n.catalog("zh").gettext(gcc.name))


def test_the_secretariat_is_a_party_but_not_a_participant() -> None:
    regime = default_regime()

    assert regime.secretariat.code == "SEC"
    assert regime.secretariat.name == "Secretariat (Conflict Prevention Centre)"
    assert not regime.is_participant("SEC")
    assert regime.is_party("SEC")
    assert regime.parties() == (*regime.participants, "SEC")
    assert regime.has_right("SEC", "countersign")
    assert regime.has_right("SEC", "chair")
    assert not regime.has_right("SEC", "decide")
    assert not regime.has_right("SEC", "witness")


def test_observers_send_and_receive_but_do_not_decide() -> None:
    regime = default_regime()

    assert regime.has_right("UNSC", "send")
    assert regime.has_right("GCC", "receive")
    assert not regime.has_right("LAS", "decide")
    assert not regime.has_right("OIC", "witness")
    assert regime.has_right("IRN", "decide")
    assert regime.has_right("USA", "decide")


def test_a_code_that_is_no_party_has_no_rights() -> None:
    assert not default_regime().has_right("XYZ", "receive")


def test_asking_for_an_unknown_right_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown right 'vote'"):
        default_regime().has_right("IRN", "vote")


def test_asking_for_an_unknown_participant_raises_unknown_sender() -> None:
    with pytest.raises(UnknownSender, match="'XYZ' is not a participant of regime 'gulf'"):
        default_regime().participant("XYZ")


def test_witnesses_are_the_states_with_the_witness_right() -> None:
    regime = default_regime()

    assert regime.witnesses() == tuple(regime.format_members("regional")) + (
        "USA",
        "GBR",
        "FRA",
        "RUS",
        "CHN",
        "DEU",
    )
    assert regime.witness_quorum == 3


def test_default_formats_have_their_members() -> None:
    regime = default_regime()

    assert regime.format_members("all") == tuple(regime.participants)
    assert regime.format_members("regional") == (
        "IRN",
        "IRQ",
        "KWT",
        "SAU",
        "BHR",
        "QAT",
        "ARE",
        "OMN",
    )
    assert set(regime.format_members("gcc")) == {"SAU", "KWT", "BHR", "QAT", "ARE", "OMN"}
    assert set(regime.format_members("p5")) == {"USA", "GBR", "FRA", "RUS", "CHN"}
    assert set(regime.format_members("p5+1")) == {"USA", "GBR", "FRA", "RUS", "CHN", "DEU"}
    assert set(regime.format_members("p5+1+iran")) == {*regime.format_members("p5+1"), "IRN"}


def test_an_unknown_format_raises_audience_error() -> None:
    with pytest.raises(AudienceError, match="unknown format 'p6'"):
        default_regime().format_members("p6")


def test_default_languages_have_their_direction() -> None:
    languages = default_regime().languages

    assert tuple(languages) == ("ar", "fa", "en", "ru", "zh", "fr")
    assert {code for code, lang in languages.items() if lang.direction == "rtl"} == {"ar", "fa"}


def test_default_limits_and_batching() -> None:
    regime = default_regime()

    assert regime.limits.max_entry_bytes == 65536
    assert regime.limits.max_refs == 64
    assert regime.limits.clock_skew == timedelta(seconds=300)
    assert regime.batching.max_batch == 512
    assert regime.batching.max_delay == timedelta(milliseconds=250)


def test_default_yearly_deadlines_are_those_of_the_design() -> None:
    c = default_regime().commitments

    assert c.annual_exchange.due == MonthDay(12, 15)
    assert c.annual_exchange.valid_from == MonthDay(1, 1)
    assert c.defence_planning.within_months == 3
    assert c.annual_calendar.due == MonthDay(11, 15)
    assert c.arms_transfers.due == MonthDay(5, 31)
    assert c.arms_transfers.nil_report_counts is True
    assert c.arms_transfers.categories == ("I", "II", "III", "IV", "V", "VI", "VII", "SALW")
    assert c.military_expenditure.due == MonthDay(4, 30)
    assert c.inspections.quota_per_year == 3


def test_default_notification_thresholds_are_those_of_the_design() -> None:
    c = default_regime().commitments

    notice = c.prior_notification
    assert notice.notice == timedelta(days=42)
    assert (notice.troops, notice.battle_tanks, notice.acv, notice.artillery) == (
        9000,
        250,
        500,
        250,
    )
    assert (notice.major_surface_combatants, notice.submarines, notice.live_firing_nm) == (5, 1, 12)
    assert notice.sorties == 200
    observation = c.observation
    assert observation.audience == "all"
    assert observation.notice == timedelta(days=42)
    assert (observation.troops, observation.battle_tanks) == (13000, 300)
    assert observation.major_surface_combatants == 10
    assert c.constraining.troops == 40000
    assert c.constraining.years_ahead == 2


def test_default_risk_reduction_deadlines_are_those_of_the_design() -> None:
    c = default_regime().commitments

    assert c.unusual_activity.reply == timedelta(hours=48)
    assert c.unusual_activity.bilateral_meeting == timedelta(hours=48)
    assert c.hazardous_incident.report == timedelta(hours=24)
    assert c.hazardous_incident.response == timedelta(hours=48)
    assert c.acknowledgement.within == timedelta(hours=24)
    assert c.hotline.test_interval == timedelta(minutes=60)
    assert c.hotline.receipt == timedelta(minutes=5)


# --- other regimes ------------------------------------------------------------------------


def test_a_changed_threshold_loads_with_the_new_number() -> None:
    regime = parse_regime(edited("troops = 9000", "troops = 6000"), EDITED)

    assert regime.commitments.prior_notification.troops == 6000
    assert regime.source == EDITED
    assert regime.digest != default_regime().digest


def test_a_small_regime_of_its_own_loads_from_a_file() -> None:
    regime = load_regime(MINIMAL)

    assert isinstance(regime, Regime)
    assert regime.id == "minimal"
    assert regime.source == str(MINIMAL)
    assert regime.parties() == ("AAA", "BBB", "ORG", "CPC")
    assert regime.witnesses() == ("AAA",)
    assert regime.format_members("pair") == ("AAA", "BBB")
    assert regime.commitments.observation.audience == "pair"
    assert regime.commitments.arms_transfers.nil_report_counts is False


def test_a_status_may_carry_no_rights() -> None:
    regime = load_regime(MINIMAL)

    assert regime.statuses["suspended"].rights == frozenset()
    assert not regime.has_right("BBB", "send")


def test_a_valid_hub_key_is_kept() -> None:
    regime = parse_regime(edited(HUB_KEY_LINE, f'hub_key = "{GO_SUMDB_KEY}"'), EDITED)

    assert regime.hub_key == GO_SUMDB_KEY


def test_month_day_gives_the_date_in_a_year() -> None:
    assert MonthDay.parse("12-15").in_year(2025) == date(2025, 12, 15)
    assert str(MonthDay(1, 1)) == "01-01"


# --- mistakes -----------------------------------------------------------------------------


def test_a_toml_syntax_error_names_the_line() -> None:
    err = refusal(edited('id = "gulf"', 'id = "gulf'))

    line = DEFAULT_TEXT.splitlines().index('id = "gulf"') + 1
    assert err.key == f"line {line}"
    assert "TOML syntax error" in err.problem


def test_a_missing_file_is_a_regime_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    with pytest.raises(RegimeError) as caught:
        load_regime(missing)
    assert caught.value.file == str(missing)
    assert "cannot be read" in caught.value.problem


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(DEFAULT_TEXT.replace("Oman", "Omân").encode("latin-1", "replace"))

    with pytest.raises(RegimeError, match="not UTF-8"):
        load_regime(path)


def test_a_missing_required_key_names_the_key() -> None:
    err = refusal(edited('log_origin = "gulfsec.example/gulf-log"\n', ""))

    assert err.key == "regime.log_origin"
    assert err.problem == "required key is missing"


def test_a_misspelt_section_is_refused_with_a_suggestion() -> None:
    err = refusal(edited("[witness]\n", "[witnesses]\n"))

    assert err.key == "witnesses"
    assert err.problem == "unknown key (did you mean 'witness'?)"


def test_a_misspelt_key_is_refused_with_a_suggestion() -> None:
    err = refusal(edited("max_refs = 64", "max_ref = 64"))

    assert err.key == "limits.max_ref"
    assert err.problem == "unknown key (did you mean 'max_refs'?)"


def test_a_wrong_type_names_what_was_expected() -> None:
    err = refusal(edited("max_batch = 512", 'max_batch = "512"'))

    assert err.key == "batching.max_batch"
    assert err.problem == "expected an integer, got a string"


def test_a_boolean_is_not_a_number() -> None:
    err = refusal(edited("quota_per_year = 3", "quota_per_year = true"))

    assert err.key == "commitments.inspections.quota_per_year"
    assert err.problem == "expected an integer, got a boolean"


def test_unknown_party_in_format_names_the_key() -> None:
    err = refusal(edited('gcc = ["SAU",', 'gcc = ["KSA",'))

    assert err.key == "formats.gcc"
    assert "unknown party 'KSA'" in err.problem


def test_a_format_name_that_needs_quotes_is_quoted_in_the_key() -> None:
    err = refusal(edited('"p5+1" = ["CHN",', '"p5+1" = ["PRC",'))

    assert err.key == 'formats."p5+1"'


def test_an_explicit_all_format_must_list_every_participant() -> None:
    err = refusal(edited("[formats]\n", '[formats]\nall = ["IRN", "IRQ"]\n'))

    assert err.key == "formats.all"
    assert "missing: KWT" in err.problem


def test_a_duplicate_participant_code_is_refused() -> None:
    err = refusal(edited('code = "IRQ"', 'code = "IRN"'))

    assert err.key == "participants[1].code"
    assert err.problem == "duplicate participant code 'IRN' (also participants[0])"


@pytest.mark.parametrize("code", ["IR", "IRAN", "irn", "IR1"])
def test_a_state_code_must_be_three_uppercase_letters(code: str) -> None:
    err = refusal(edited('code = "IRN"', f'code = "{code}"'))

    assert err.key == "participants[0].code"
    assert "3 uppercase letters" in err.problem


@pytest.mark.parametrize("code", ["U", "UNITEDN", "unsc", "UN-SC"])
def test_an_organisation_code_must_be_two_to_six_uppercase_letters(code: str) -> None:
    err = refusal(edited('code = "UNSC"', f'code = "{code}"'))

    assert err.key == "participants[14].code"
    assert "2 to 6 uppercase letters" in err.problem


def test_a_participant_may_not_take_the_secretariats_code() -> None:
    err = refusal(edited('code = "LAS"', 'code = "SEC"'))

    assert err.key == "participants[15].code"
    assert "secretariat" in err.problem


def test_an_unknown_kind_is_refused() -> None:
    err = refusal(
        edited(
            'code = "GCC"\nname = "Gulf Cooperation Council"\nkind = "organisation"',
            'code = "GCC"\nname = "Gulf Cooperation Council"\nkind = "alliance"',
        )
    )

    assert err.key == "participants[17].kind"
    assert err.problem == "'alliance' is not one of state, organisation"


def test_an_unknown_status_is_refused() -> None:
    err = refusal(
        edited(
            'status = "observer"\nnames = { ar = "جامعة',
            'status = "obsrver"\nnames = { ar = "جامعة',
        )
    )

    assert err.key == "participants[15].status"
    assert err.problem.startswith("unknown status 'obsrver'")


def test_an_unknown_right_is_refused() -> None:
    err = refusal(edited('rights = ["send", "receive"]\n', 'rights = ["send", "recieve"]\n'))

    assert err.key == "statuses.observer.rights"
    assert err.problem == "unknown right 'recieve' (did you mean 'receive'?)"


def test_a_right_listed_twice_is_refused() -> None:
    err = refusal(edited('rights = ["send", "receive"]\n', 'rights = ["send", "send"]\n'))

    assert err.key == "statuses.observer.rights"
    assert err.problem == "'send' is listed twice"


def test_the_secretariat_may_not_witness() -> None:
    err = refusal(edited('"chair", "countersign"]', '"chair", "countersign", "witness"]'))

    assert err.key == "secretariat.rights"
    assert "may not hold witness" in err.problem


def test_an_unknown_language_in_names_is_refused() -> None:
    err = refusal(edited('names = { ar = "دولة قطر"', 'names = { ur = "دولة قطر"'))

    assert err.key == "participants[5].names.ur"
    assert err.problem.startswith("unknown language")


@pytest.mark.parametrize("troops", ["0", "-9000"])
def test_a_threshold_must_be_positive(troops: str) -> None:
    err = refusal(edited("troops = 9000", f"troops = {troops}"))

    assert err.key == "commitments.prior_notification.troops"
    assert err.problem == f"must be a positive integer, got {troops}"


def test_a_missing_deadline_is_refused() -> None:
    err = refusal(edited('due = "05-31"\n', ""))

    assert err.key == "commitments.arms_transfers.due"
    assert err.problem == "required key is missing"


def test_a_missing_commitment_is_refused() -> None:
    err = refusal(edited("[commitments.inspections]\nquota_per_year = 3\n", ""))

    assert err.key == "commitments.inspections"
    assert err.problem == "required key is missing"


def test_a_quorum_larger_than_the_witnesses_is_refused() -> None:
    err = refusal(edited("quorum = 3", "quorum = 15"))

    assert err.key == "witness.quorum"
    assert err.problem == "15 is more than the 14 participants with the witness right"


def test_a_quorum_below_one_is_refused() -> None:
    err = refusal(edited("quorum = 3", "quorum = 0"))

    assert err.key == "witness.quorum"
    assert err.problem == "must be a positive integer, got 0"


def test_an_unknown_language_direction_is_refused() -> None:
    err = refusal(
        edited('native = "中文"\ndirection = "ltr"', 'native = "中文"\ndirection = "ttb"')
    )

    assert err.key == "languages.zh.direction"
    assert err.problem == "'ttb' is not one of ltr, rtl"


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("13-01", "no such day of every year: 13-01"),
        ("02-30", "no such day of every year: 02-30"),
        ("02-29", "no such day of every year: 02-29"),
        ("12-5", "expected a month-day written MM-DD, got '12-5'"),
        ("15 December", "expected a month-day written MM-DD, got '15 December'"),
    ],
)
def test_a_bad_month_day_is_refused(written: str, problem: str) -> None:
    err = refusal(edited('due = "12-15"', f'due = "{written}"'))

    assert err.key == "commitments.annual_exchange.due"
    assert err.problem == problem


def test_an_observation_audience_must_be_a_format() -> None:
    err = refusal(edited('audience = "all"', 'audience = "everyone"'))

    assert err.key == "commitments.observation.audience"
    assert err.problem == "unknown format 'everyone'"


def test_a_hotline_receipt_must_come_before_the_next_test() -> None:
    err = refusal(edited("receipt_minutes = 5", "receipt_minutes = 60"))

    assert err.key == "commitments.hotline.receipt_minutes"
    assert err.problem == "must be shorter than test_interval_minutes"


def test_a_log_origin_with_a_scheme_is_refused() -> None:
    err = refusal(
        edited('log_origin = "gulfsec.example/gulf-log"', 'log_origin = "https://gulfsec.example"')
    )

    assert err.key == "regime.log_origin"
    assert "schemaless URL" in err.problem


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("gulfsec.example/gulf-log", "expected a C2SP verifier key"),
        ("sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8", "key id"),
        ("sum.golang.org+033de0ae+not base64!", "not valid base64"),
        ("sum.golang.org+033de0ae+AQID", "only Ed25519 keys"),
        (" +033de0ae+AQID", "the key name must be non-empty and contain no spaces"),
        ("", "must not be empty"),
    ],
)
def test_a_malformed_hub_key_is_refused(key: str, problem: str) -> None:
    err = refusal(edited(HUB_KEY_LINE, f'hub_key = "{key}"'))

    assert err.key == "regime.hub_key"
    assert problem in err.problem


def test_a_section_that_is_not_a_table_is_refused() -> None:
    text = edited("[commitments.inspections]\nquota_per_year = 3\n", "").replace(
        "[commitments.annual_exchange]",
        "[commitments]\ninspections = 3\n\n[commitments.annual_exchange]",
    )
    err = refusal(text)

    assert err.key == "commitments.inspections"
    assert err.problem == "expected a table, got an integer"


# --- more mistakes: every rule refuses with the key and the problem ------------------------

MINIMAL_TEXT = MINIMAL.read_text("utf-8")


def minimal_edited(old: str, new: str) -> str:
    """The minimal regime with the one occurrence of ``old`` replaced by ``new``."""
    assert MINIMAL_TEXT.count(old) == 1, f"{old!r} must occur once in minimal.toml"
    return MINIMAL_TEXT.replace(old, new)


def minimal_without(header: str, instead: str) -> str:
    """The minimal regime with the tables whose header starts with ``header`` replaced by the
    top-level line ``instead``."""
    blocks = MINIMAL_TEXT.split("\n\n")
    kept = [block for block in blocks if not block.startswith(header)]
    assert len(kept) < len(blocks), f"no table {header!r} in minimal.toml"
    return instead + "\n\n" + "\n\n".join(kept)


def scalar_keys() -> list[tuple[int, str]]:
    """(line index, dotted key) of every ``key = value`` line of minimal.toml."""
    found: list[tuple[int, str]] = []
    table, rows = "", -1
    for index, line in enumerate(MINIMAL_TEXT.splitlines()):
        if line == "[[participants]]":
            rows += 1
            table = f"participants[{rows}]"
        elif line.startswith("["):
            table = line.strip("[]")
        elif " = " in line and not line.startswith("#"):
            found.append((index, f"{table}.{line.split(' = ')[0]}"))
    return found


@pytest.mark.parametrize(("index", "key"), scalar_keys(), ids=[key for _, key in scalar_keys()])
def test_a_table_where_a_value_belongs_is_refused_by_its_key(index: int, key: str) -> None:
    lines = MINIMAL_TEXT.splitlines()
    lines[index] = lines[index].split(" = ")[0] + " = { x = 1 }"
    err = refusal("\n".join(lines))

    assert err.key == key
    assert err.problem.startswith("expected ")
    assert err.problem.endswith(", got a table")


def test_the_first_mistake_in_the_file_is_reported() -> None:
    text = edited("troops = 9000", "troops = 0").replace("max_refs = 64", "max_refs = 0")
    err = refusal(text)

    assert err.key == "limits.max_refs"


def test_an_unknown_section_is_reported_before_mistakes_inside_sections() -> None:
    err = refusal(edited("quorum = 3", "quorum = 0").replace("[limits]", "[limitz]"))

    assert err.key == "limitz"
    assert err.problem == "unknown key (did you mean 'limits'?)"


def test_a_missing_section_is_reported_before_mistakes_inside_sections() -> None:
    text = minimal_edited("[witness]\nquorum = 1\n", "").replace("max_refs = 4", "max_refs = 0")
    err = refusal(text)

    assert err.key == "witness"
    assert err.problem == "required key is missing"


def test_an_unknown_key_with_nothing_close_has_no_suggestion() -> None:
    err = refusal(MINIMAL_TEXT + "\nzzz = 1\n")

    assert err.key == "commitments.inspections.zzz"
    assert err.problem == "unknown key"


def test_a_float_is_not_an_integer() -> None:
    err = refusal(edited("max_refs = 64", "max_refs = 64.0"))

    assert err.key == "limits.max_refs"
    assert err.problem == "expected an integer, got a float"


def test_a_flag_must_be_true_or_false() -> None:
    err = refusal(edited("nil_report_counts = true", "nil_report_counts = 1"))

    assert err.key == "commitments.arms_transfers.nil_report_counts"
    assert err.problem == "expected true or false, got an integer"


@pytest.mark.parametrize("blank", ['""', '"  "'])
def test_a_blank_string_is_refused(blank: str) -> None:
    err = refusal(edited('version = "1.0"', f"version = {blank}"))

    assert err.key == "regime.version"
    assert err.problem == "must not be empty"


def test_a_regime_id_must_be_a_lowercase_name() -> None:
    err = refusal(edited('id = "gulf"', 'id = "Gulf"'))

    assert err.key == "regime.id"
    assert err.problem == "'Gulf' must be lowercase letters, digits, '-' or '_'"


def test_a_secretariat_code_must_be_uppercase_letters() -> None:
    err = refusal(edited('code = "SEC"', 'code = "sec"'))

    assert err.key == "secretariat.code"
    assert err.problem == "'sec' must be 2 to 6 uppercase letters"


def test_the_secretariat_may_not_decide() -> None:
    err = refusal(edited('"propose", "chair", "countersign"]', '"decide", "chair", "countersign"]'))

    assert err.key == "secretariat.rights"
    assert err.problem.endswith("may not hold decide")


def test_a_status_id_must_be_a_lowercase_name() -> None:
    err = refusal(minimal_edited("[statuses.guest]", "[statuses.Guest]"))

    assert err.key == "statuses.Guest"
    assert err.problem == "a status id must be lowercase letters, digits, '-' or '_'"


def test_a_language_code_must_be_iso_639() -> None:
    err = refusal(minimal_edited("[languages.en]", "[languages.english]"))

    assert err.key == "languages.english"
    assert err.problem == "a language code must be 2 or 3 lowercase letters (ISO 639)"


def test_a_format_name_must_be_lowercase() -> None:
    err = refusal(minimal_edited("pair = ", "Pair = "))

    assert err.key == "formats.Pair"
    assert err.problem == "a format name must be lowercase letters, digits, '+', '-', '_'"


@pytest.mark.parametrize(
    ("header", "instead", "key", "problem"),
    [
        ("[statuses.", "statuses = {}", "statuses", "at least one status is required"),
        ("[languages.", "languages = {}", "languages", "at least one language is required"),
        ("[[participants]]", "participants = 1", "participants", "expected an array of tables"),
        ("[[participants]]", "participants = [1]", "participants[0]", "expected a table"),
        ("[formats]", "formats = []", "formats", "expected a table, got an array"),
        ("[commitments.", "commitments = 1", "commitments", "expected a table, got an integer"),
    ],
)
def test_a_section_of_the_wrong_shape_is_refused(
    header: str, instead: str, key: str, problem: str
) -> None:
    err = refusal(minimal_without(header, instead))

    assert err.key == key
    assert err.problem.startswith(problem)


def test_a_regime_needs_a_participant() -> None:
    text = minimal_without("[[participants]]", "participants = []").replace(
        'all = ["AAA", "BBB", "ORG"]\npair = ["AAA", "BBB"]', 'pair = ["AAA"]'
    )
    err = refusal(text)

    assert err.key == "participants"
    assert err.problem == "at least one participant is required"


def test_a_format_needs_a_member() -> None:
    err = refusal(minimal_edited('pair = ["AAA", "BBB"]', "pair = []"))

    assert err.key == "formats.pair"
    assert err.problem == "a format needs at least one member"


def test_an_item_of_the_wrong_type_names_the_array_and_the_item() -> None:
    err = refusal(minimal_edited('pair = ["AAA", "BBB"]', 'pair = ["AAA", 2]'))

    assert err.key == "formats.pair"
    assert err.problem == "item 1: expected a string, got an integer"


def test_an_empty_item_is_refused() -> None:
    err = refusal(minimal_edited('categories = ["I"]', 'categories = ["I", ""]'))

    assert err.key == "commitments.arms_transfers.categories"
    assert err.problem == "item 1: must not be empty"


def test_arms_transfers_need_a_category() -> None:
    err = refusal(minimal_edited('categories = ["I"]', "categories = []"))

    assert err.key == "commitments.arms_transfers.categories"
    assert err.problem == "at least one category is required"


def test_an_unknown_language_in_names_gets_a_suggestion() -> None:
    err = refusal(edited('names = { ar = "دولة قطر"', 'names = { fra = "دولة قطر"'))

    assert err.key == "participants[5].names.fra"
    assert err.problem == "unknown language (did you mean 'fr'?)"


def test_a_name_must_be_a_string() -> None:
    err = refusal(edited('names = { ar = "دولة قطر"', "names = { ar = 5"))

    assert err.key == "participants[5].names.ar"
    assert err.problem == "expected a string, got an integer"


def test_a_kind_must_be_a_string() -> None:
    err = refusal(minimal_edited('kind = "organisation"', "kind = 1"))

    assert err.key == "participants[2].kind"
    assert err.problem == "expected a string, got an integer"


def test_an_audience_may_name_the_implied_all_format() -> None:
    regime = parse_regime(minimal_edited('audience = "pair"', 'audience = "all"'), EDITED)

    assert regime.commitments.observation.audience == "all"
    assert regime.format_members("all") == ("AAA", "BBB", "ORG")


def test_an_empty_file_is_missing_everything() -> None:
    err = refusal("")

    assert err.key == "regime"
    assert err.problem == "required key is missing"


def test_a_syntax_error_without_a_line_is_still_a_regime_error() -> None:
    err = refusal("a = ")

    assert err.key in ("(syntax)", "line 1")
    assert "TOML syntax error" in err.problem
