"""Languages on the pages: which one a reader chose, its direction, and the words of the chrome.

The languages are the regime's (each with a ``direction``, ``rtl`` for Arabic and Persian); the
reader picks one with the switcher, kept in a cookie. Form labels come from each form's
translations (``FormSpec.labels``) and party names from the regime; the few words of the page
chrome are below. Whatever has no translation is shown in English and marked ``lang="en"`` so
that a screen reader reads it as English: the page's ``<main>`` is marked English when the
reader's language is another, and each translated label inside it carries its own ``lang``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

from gulfsec.domain.regime import Regime

LANGUAGE_COOKIE: Final = "gulfsec_lang"
DEFAULT: Final = "en"

# To be reviewed by translators.
CHROME: Final[Mapping[str, Mapping[str, str]]] = {
    "Skip to main content": {"ar": "انتقل إلى المحتوى الرئيسي", "fa": "رفتن به محتوای اصلی",
                             "fr": "Aller au contenu principal"},
    "Inbox": {"ar": "البريد الوارد", "fa": "صندوق ورودی", "fr": "Boîte de réception"},
    "Compose": {"ar": "إنشاء", "fa": "نوشتن", "fr": "Rédiger"},
    "Compliance": {"ar": "الامتثال", "fa": "پایبندی", "fr": "Conformité"},
    "Alarms": {"ar": "الإنذارات", "fa": "هشدارها", "fr": "Alarmes"},
    "Sign in": {"ar": "تسجيل الدخول", "fa": "ورود", "fr": "Se connecter"},
    "Sign out": {"ar": "تسجيل الخروج", "fa": "خروج", "fr": "Se déconnecter"},
    "Language": {"ar": "اللغة", "fa": "زبان", "fr": "Langue"},
    "Change": {"ar": "تغيير", "fa": "تغییر", "fr": "Changer"},
    "Name": {"ar": "الاسم", "fa": "نام", "fr": "Nom"},
    "Password": {"ar": "كلمة المرور", "fa": "گذرواژه", "fr": "Mot de passe"},
    "Preview": {"ar": "معاينة", "fa": "پیش‌نمایش", "fr": "Aperçu"},
    "Sign and send": {"ar": "وقّع وأرسل", "fa": "امضا و ارسال", "fr": "Signer et envoyer"},
    "Public log": {"ar": "السجل العام", "fa": "دفتر عمومی", "fr": "Journal public"},
    "Published entries": {"ar": "المدخلات المنشورة", "fa": "موارد منتشرشده",
                          "fr": "Entrées publiées"},
    "Verify the log": {"ar": "تحقق من السجل", "fa": "وارسی دفتر", "fr": "Vérifier le journal"},
    "Secretariat": {"ar": "الأمانة", "fa": "دبیرخانه", "fr": "Secrétariat"},
}


@dataclass(frozen=True)
class Lang:
    """The reader's language: its code, direction and name in itself."""

    code: str
    direction: str
    native: str

    def t(self, text: str) -> Markup:
        """``text`` in this language when the chrome has it, else English marked as such."""
        found = CHROME.get(text, {}).get(self.code)
        if found is not None:
            return Markup(escape(found))
        if self.code == DEFAULT:
            return Markup(escape(text))
        return Markup('<span lang="en" dir="ltr">{}</span>').format(text)

    def plain(self, text: str) -> str:
        """``text`` in this language when the chrome has it (for attributes: no markup)."""
        return CHROME.get(text, {}).get(self.code, text)


def languages(regime: Regime) -> list[Lang]:
    found = [Lang(code, lang.direction, lang.native) for code, lang in regime.languages.items()]
    if not any(lang.code == DEFAULT for lang in found):
        found.insert(0, Lang(DEFAULT, "ltr", "English"))
    return found


def choose(regime: Regime, wanted: str | None) -> Lang:
    """The language ``wanted`` if the regime has it, else English."""
    options = {lang.code: lang for lang in languages(regime)}
    if wanted and wanted in options:
        return options[wanted]
    return options.get(DEFAULT, Lang(DEFAULT, "ltr", "English"))
