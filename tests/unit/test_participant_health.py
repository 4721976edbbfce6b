"""The secretariat's word for each participant's health: only a witness is shown cosigning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gulfsec import i18n
from gulfsec.services.hub.views import HEALTH_WORDS, health_of

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SILENT = timedelta(minutes=10)


def health(**kw: object) -> str:
    args: dict[str, object] = {"registered": True, "revoked": False, "waiting": False,
                               "witness": True, "cosigned_at": NOW, "now": NOW,
                               "silent_after": SILENT}
    args.update(kw)
    return health_of(**args)  # type: ignore[arg-type]


def test_a_witness_that_cosigned_lately_is_cosigning_and_one_that_did_not_is_silent() -> None:
    assert health() == "healthy"
    assert health(cosigned_at=NOW - SILENT - timedelta(seconds=1)) == "silent"
    assert health(cosigned_at=None) == "silent"


def test_an_observer_organisation_is_never_shown_as_cosigning() -> None:
    assert health(witness=False, cosigned_at=None) == "connected"
    assert health(witness=False, cosigned_at=NOW) == "connected"
    assert "cosign" not in HEALTH_WORDS["connected"]


def test_a_key_not_registered_says_why() -> None:
    assert health(registered=False) == "unregistered"
    assert health(registered=False, waiting=True) == "waiting"
    assert health(registered=False, revoked=True) == "revoked"


def test_the_words_are_translated_where_shown() -> None:
    with i18n.use("fr"):
        assert all(i18n.gettext(words) for words in HEALTH_WORDS.values())
