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
    # Deciding together (the decision pages of the node and the hub).
    "Decisions": {"ar": "القرارات", "fa": "تصمیم‌ها", "fr": "Décisions"},
    "The Concept": {"ar": "المفهوم", "fa": "مفهوم", "fr": "Le Concept"},
    "Designation list": {"ar": "قائمة التصنيف", "fa": "فهرست تعیین‌شدگان",
                         "fr": "Liste des désignations"},
    "Drafts in progress": {"ar": "مشاريع قيد النظر", "fa": "پیش‌نویس‌های در جریان",
                           "fr": "Projets en cours"},
    "Propose a draft decision": {"ar": "اقتراح مشروع قرار", "fa": "پیشنهاد پیش‌نویس تصمیم",
                                 "fr": "Proposer un projet de décision"},
    "Adopted decisions": {"ar": "القرارات المعتمدة", "fa": "تصمیم‌های تصویب‌شده",
                          "fr": "Décisions adoptées"},
    "Waiting for your position": {"ar": "بانتظار موقفكم", "fa": "در انتظار موضع شما",
                                  "fr": "En attente de votre position"},
    "Other drafts": {"ar": "مشاريع أخرى", "fa": "پیش‌نویس‌های دیگر", "fr": "Autres projets"},
    "Your position": {"ar": "موقفكم", "fa": "موضع شما", "fr": "Votre position"},
    "Join": {"ar": "الانضمام", "fa": "پیوستن", "fr": "Se rallier"},
    "Stand aside": {"ar": "التنحّي", "fa": "کناره‌گیری", "fr": "Se tenir à l'écart"},
    "Object": {"ar": "الاعتراض", "fa": "مخالفت", "fr": "Objecter"},
    "Reason": {"ar": "السبب", "fa": "دلیل", "fr": "Motif"},
    "Interpretative statement": {"ar": "بيان تفسيري", "fa": "بیانیه تفسیری",
                                 "fr": "Déclaration interprétative"},
    "Propose an amendment": {"ar": "اقتراح تعديل", "fa": "پیشنهاد اصلاحیه",
                             "fr": "Proposer un amendement"},
    "Withdraw the draft": {"ar": "سحب المشروع", "fa": "پس گرفتن پیش‌نویس",
                           "fr": "Retirer le projet"},
    "Sign and send the draft": {"ar": "وقّع وأرسل المشروع", "fa": "امضا و ارسال پیش‌نویس",
                                "fr": "Signer et envoyer le projet"},
    "How the outcome is decided": {"ar": "كيف تُحدَّد النتيجة", "fa": "نتیجه چگونه تعیین می‌شود",
                                   "fr": "Comment le résultat est établi"},
    "Text": {"ar": "النص", "fa": "متن", "fr": "Texte"},
    "Positions": {"ar": "المواقف", "fa": "مواضع", "fr": "Positions"},
    "Amendments": {"ar": "التعديلات", "fa": "اصلاحیه‌ها", "fr": "Amendements"},
    "Steps": {"ar": "الخطوات", "fa": "گام‌ها", "fr": "Étapes"},
    "Outcome": {"ar": "النتيجة", "fa": "نتیجه", "fr": "Résultat"},
    "Title": {"ar": "العنوان", "fa": "عنوان", "fr": "Titre"},
    "Kind": {"ar": "النوع", "fa": "نوع", "fr": "Type"},
    "Format": {"ar": "الصيغة", "fa": "قالب", "fr": "Format"},
    "Procedure": {"ar": "الإجراء", "fa": "رویه", "fr": "Procédure"},
    "Closes at": {"ar": "يُغلق في", "fa": "پایان در", "fr": "Clôture"},
    "Time left": {"ar": "الوقت المتبقي", "fa": "زمان باقی‌مانده", "fr": "Temps restant"},
    "Status": {"ar": "الحالة", "fa": "وضعیت", "fr": "Statut"},
    "open": {"ar": "مفتوح", "fa": "باز", "fr": "ouvert"},
    "adopted": {"ar": "معتمد", "fa": "تصویب‌شده", "fr": "adopté"},
    "not adopted": {"ar": "غير معتمد", "fa": "تصویب‌نشده", "fr": "non adopté"},
    "withdrawn": {"ar": "مسحوب", "fa": "پس‌گرفته‌شده", "fr": "retiré"},
    "replaced": {"ar": "مستبدَل", "fa": "جایگزین‌شده", "fr": "remplacé"},
    "Versions": {"ar": "الإصدارات", "fa": "نسخه‌ها", "fr": "Versions"},
    "Compare two versions": {"ar": "قارن بين إصدارين", "fa": "مقایسهٔ دو نسخه",
                             "fr": "Comparer deux versions"},
    "Compare": {"ar": "قارن", "fa": "مقایسه", "fr": "Comparer"},
    "Current entities": {"ar": "الكيانات الحالية", "fa": "موارد کنونی",
                         "fr": "Entités actuelles"},
    "History": {"ar": "السجل", "fa": "تاریخچه", "fr": "Historique"},
    "Download": {"ar": "تنزيل", "fa": "بارگیری", "fr": "Télécharger"},
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

    def t_main(self, text: str) -> Markup:
        """``text`` inside the page's ``<main>``, which is marked English when the reader's
        language is another: a translation carries its own ``lang`` so that it is read in its
        language; an untranslated text stays plain English."""
        found = CHROME.get(text, {}).get(self.code)
        if found is None or self.code == DEFAULT:
            return Markup(escape(text))
        return Markup('<span lang="{}">{}</span>').format(self.code, found)

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
