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
    # Consulting: threads, meetings and mediation (the node's pages; the hub's calendar).
    "Consultations": {"ar": "المشاورات", "fa": "رایزنی‌ها", "fr": "Consultations"},
    "Meetings": {"ar": "الاجتماعات", "fa": "نشست‌ها", "fr": "Réunions"},
    "Mediation": {"ar": "الوساطة", "fa": "میانجی‌گری", "fr": "Médiation"},
    "Mediations": {"ar": "الوساطات", "fa": "میانجی‌گری‌ها", "fr": "Médiations"},
    "Threads": {"ar": "المحادثات", "fa": "رشته‌ها", "fr": "Fils"},
    "Open a thread": {"ar": "بدء محادثة", "fa": "آغاز رشتهٔ رایزنی", "fr": "Ouvrir un fil"},
    "Subject": {"ar": "الموضوع", "fa": "موضوع", "fr": "Objet"},
    "Parties": {"ar": "الأطراف", "fa": "طرف‌ها", "fr": "Parties"},
    "Party": {"ar": "الطرف", "fa": "طرف", "fr": "Partie"},
    "Level": {"ar": "المستوى", "fa": "سطح", "fr": "Niveau"},
    "Messages": {"ar": "الرسائل", "fa": "پیام‌ها", "fr": "Messages"},
    "Last activity": {"ar": "آخر نشاط", "fa": "آخرین فعالیت", "fr": "Dernière activité"},
    "unread": {"ar": "غير مقروء", "fa": "خوانده‌نشده", "fr": "non lu"},
    "Opened by": {"ar": "بدأها", "fa": "آغازکننده", "fr": "Ouvert par"},
    "Attachments": {"ar": "المرفقات", "fa": "پیوست‌ها", "fr": "Pièces jointes"},
    "Reply": {"ar": "الرد", "fa": "پاسخ", "fr": "Répondre"},
    "Download the calendar (.ics)": {"ar": "تنزيل التقويم (.ics)", "fa": "بارگیری تقویم (.ics)",
                                     "fr": "Télécharger le calendrier (.ics)"},
    "Add to a calendar (.ics)": {"ar": "إضافة إلى تقويم (.ics)", "fa": "افزودن به تقویم (.ics)",
                                 "fr": "Ajouter à un calendrier (.ics)"},
    "Calendar of meetings": {"ar": "تقويم الاجتماعات", "fa": "تقویم نشست‌ها",
                             "fr": "Calendrier des réunions"},
    "Upcoming": {"ar": "القادمة", "fa": "پیش رو", "fr": "À venir"},
    "Held": {"ar": "المنعقدة", "fa": "برگزارشده", "fr": "Tenues"},
    "Cancelled": {"ar": "الملغاة", "fa": "لغوشده", "fr": "Annulées"},
    "convened": {"ar": "مدعو إليه", "fa": "فراخوانده‌شده", "fr": "convoquée"},
    "held": {"ar": "منعقد", "fa": "برگزارشده", "fr": "tenue"},
    "cancelled": {"ar": "ملغى", "fa": "لغوشده", "fr": "annulée"},
    "Starts at": {"ar": "يبدأ في", "fa": "آغاز", "fr": "Début"},
    "Ends at": {"ar": "ينتهي في", "fa": "پایان", "fr": "Fin"},
    "Place": {"ar": "المكان", "fa": "مکان", "fr": "Lieu"},
    "Convened by": {"ar": "دعا إليه", "fa": "فراخوان‌دهنده", "fr": "Convoquée par"},
    "Invited": {"ar": "المدعوون", "fa": "دعوت‌شدگان", "fr": "Invités"},
    "Replies": {"ar": "الردود", "fa": "پاسخ‌ها", "fr": "Réponses"},
    "Your reply": {"ar": "ردكم", "fa": "پاسخ شما", "fr": "Votre réponse"},
    "Agenda": {"ar": "جدول الأعمال", "fa": "دستور کار", "fr": "Ordre du jour"},
    "Proposed agenda items": {"ar": "البنود المقترحة", "fa": "بندهای پیشنهادی",
                              "fr": "Points proposés"},
    "Propose an agenda item": {"ar": "اقتراح بند", "fa": "پیشنهاد بند دستور کار",
                               "fr": "Proposer un point"},
    "Minutes": {"ar": "المحضر", "fa": "صورت‌جلسه", "fr": "Procès-verbal"},
    "Circulate the minutes": {"ar": "تعميم المحضر", "fa": "توزیع صورت‌جلسه",
                              "fr": "Diffuser le procès-verbal"},
    "Proposed time": {"ar": "الموعد المقترح", "fa": "زمان پیشنهادی", "fr": "Horaire proposé"},
    "Accept": {"ar": "قبول", "fa": "پذیرفتن", "fr": "Accepter"},
    "Decline": {"ar": "اعتذار", "fa": "نپذیرفتن", "fr": "Décliner"},
    "Propose another time": {"ar": "اقتراح موعد آخر", "fa": "پیشنهاد زمانی دیگر",
                             "fr": "Proposer un autre horaire"},
    "Change the meeting": {"ar": "تعديل الاجتماع", "fa": "تغییر نشست",
                           "fr": "Modifier la réunion"},
    "Cancel the meeting": {"ar": "إلغاء الاجتماع", "fa": "لغو نشست", "fr": "Annuler la réunion"},
    "Mediator": {"ar": "الوسيط", "fa": "میانجی", "fr": "Médiateur"},
    "requested": {"ar": "مطلوبة", "fa": "درخواست‌شده", "fr": "demandée"},
    "active": {"ar": "جارية", "fa": "فعال", "fr": "en cours"},
    "ended": {"ar": "منتهية", "fa": "پایان‌یافته", "fr": "terminée"},
    "declined": {"ar": "مرفوضة", "fa": "ردشده", "fr": "déclinée"},
    "Request mediation": {"ar": "طلب الوساطة", "fa": "درخواست میانجی‌گری",
                          "fr": "Demander une médiation"},
    "Withdraw the request": {"ar": "سحب الطلب", "fa": "پس گرفتن درخواست",
                             "fr": "Retirer la demande"},
    "What you may do": {"ar": "ما يمكنكم فعله", "fa": "آنچه می‌توانید انجام دهید",
                        "fr": "Ce que vous pouvez faire"},
    "Accept to mediate": {"ar": "قبول الوساطة", "fa": "پذیرفتن میانجی‌گری",
                          "fr": "Accepter de servir de médiateur"},
    "Decline to mediate": {"ar": "الاعتذار عن الوساطة", "fa": "نپذیرفتن میانجی‌گری",
                           "fr": "Refuser la médiation"},
    "Proposals": {"ar": "المقترحات", "fa": "پیشنهادها", "fr": "Propositions"},
    "Table a proposal": {"ar": "طرح مقترح", "fa": "ارائهٔ پیشنهاد", "fr": "Déposer une proposition"},
    "Accept the proposal": {"ar": "قبول المقترح", "fa": "پذیرفتن پیشنهاد",
                            "fr": "Accepter la proposition"},
    "Reject the proposal": {"ar": "رفض المقترح", "fa": "رد پیشنهاد",
                            "fr": "Rejeter la proposition"},
    # Risk reduction: hazardous incidents, unusual military activity, the map (the node's and
    # the hub's pages).
    "Risk reduction": {"ar": "الحد من المخاطر", "fa": "کاهش خطر", "fr": "Réduction des risques"},
    "Cases and incidents": {"ar": "الحالات والحوادث", "fa": "موارد و حوادث",
                            "fr": "Cas et incidents"},
    "Map": {"ar": "الخريطة", "fa": "نقشه", "fr": "Carte"},
    "Early warning": {"ar": "الإنذار المبكر", "fa": "هشدار زودهنگام", "fr": "Alerte précoce"},
    "Tension from open news": {"ar": "التوتر في الأخبار المفتوحة",
                               "fa": "تنش در اخبار آزاد",
                               "fr": "Tension d’après les sources ouvertes"},
    "Tension between two actors": {"ar": "التوتر بين طرفين", "fa": "تنش میان دو طرف",
                                   "fr": "Tension entre deux acteurs"},
    "Possible un-notified activities": {"ar": "أنشطة محتملة لم يُخطر بها",
                                        "fa": "فعالیت‌های احتمالی اعلام‌نشده",
                                        "fr": "Activités possiblement non notifiées"},
    "Map of the Gulf": {"ar": "خريطة الخليج", "fa": "نقشهٔ خلیج", "fr": "Carte du Golfe"},
    "What is on the map": {"ar": "ما تعرضه الخريطة", "fa": "آنچه روی نقشه است",
                           "fr": "Ce que montre la carte"},
    "Incidents": {"ar": "الحوادث", "fa": "حوادث", "fr": "Incidents"},
    "Incident": {"ar": "حادث", "fa": "حادثه", "fr": "Incident"},
    "Reports": {"ar": "البلاغات", "fa": "گزارش‌ها", "fr": "Rapports"},
    "Unusual activity": {"ar": "النشاط غير الاعتيادي", "fa": "فعالیت غیرعادی",
                         "fr": "Activité inhabituelle"},
    "Requests on unusual activity": {"ar": "طلبات الإيضاح بشأن نشاط غير اعتيادي",
                                     "fa": "درخواست‌های توضیح دربارهٔ فعالیت غیرعادی",
                                     "fr": "Demandes sur une activité inhabituelle"},
    "Notified activities": {"ar": "الأنشطة المُخطَر بها", "fa": "فعالیت‌های اعلام‌شده",
                            "fr": "Activités notifiées"},
    "Report an incident": {"ar": "الإبلاغ عن حادث", "fa": "گزارش یک حادثه",
                           "fr": "Signaler un incident"},
    "Ask for an explanation": {"ar": "طلب إيضاح", "fa": "درخواست توضیح",
                               "fr": "Demander une explication"},
    "Deadlines": {"ar": "المهل", "fa": "مهلت‌ها", "fr": "Échéances"},
    "Timeline": {"ar": "التسلسل الزمني", "fa": "روند زمانی", "fr": "Chronologie"},
    "The accounts side by side": {"ar": "الروايتان جنبًا إلى جنب", "fa": "روایت‌ها در کنار هم",
                                  "fr": "Les récits côte à côte"},
    "Respond": {"ar": "الرد على البلاغ", "fa": "پاسخ به گزارش", "fr": "Répondre au rapport"},
    "Responses": {"ar": "الردود على البلاغ", "fa": "پاسخ‌ها به گزارش", "fr": "Réponses"},
    "Reported by": {"ar": "المُبلِّغ", "fa": "گزارش‌دهنده", "fr": "Signalé par"},
    "Other party": {"ar": "الطرف الآخر", "fa": "طرف دیگر", "fr": "Autre partie"},
    "When (UTC)": {"ar": "الوقت (بالتوقيت العالمي)", "fa": "زمان (UTC)", "fr": "Quand (UTC)"},
    "Position": {"ar": "الموقع", "fa": "موقعیت", "fr": "Position"},
    "Units involved": {"ar": "الوحدات المعنية", "fa": "یگان‌های درگیر",
                       "fr": "Unités impliquées"},
    "Closest point of approach": {"ar": "أقرب مسافة اقتراب", "fa": "کمترین فاصلهٔ نزدیک‌شدن",
                                  "fr": "Distance minimale d'approche"},
    "What happened": {"ar": "ما حدث", "fa": "آنچه رخ داد", "fr": "Ce qui s'est passé"},
    "Signals exchanged": {"ar": "الإشارات المتبادلة", "fa": "علائم مبادله‌شده",
                          "fr": "Signaux échangés"},
    "Damage": {"ar": "الأضرار", "fa": "خسارت", "fr": "Dégâts"},
    "Casualties": {"ar": "الإصابات", "fa": "تلفات", "fr": "Victimes"},
    "Account": {"ar": "الرواية", "fa": "روایت", "fr": "Récit"},
    "What is disputed": {"ar": "موضع الخلاف", "fa": "موارد مورد اختلاف",
                         "fr": "Points contestés"},
    "Convene a bilateral meeting on it": {"ar": "الدعوة إلى اجتماع ثنائي بشأنه",
                                          "fa": "فراخواندن نشست دوجانبه دربارهٔ آن",
                                          "fr": "Convoquer une réunion bilatérale à ce sujet"},
    "Request": {"ar": "الطلب", "fa": "درخواست", "fr": "Demande"},
    "Requested by": {"ar": "مقدّم الطلب", "fa": "درخواست‌کننده", "fr": "Demandé par"},
    "Participant asked": {"ar": "المشارك المسؤول", "fa": "مشارک مخاطب",
                          "fr": "Participant interrogé"},
    "Activity": {"ar": "النشاط", "fa": "فعالیت", "fr": "Activité"},
    "What was observed": {"ar": "ما رُصد", "fa": "آنچه مشاهده شد", "fr": "Ce qui a été observé"},
    "Area": {"ar": "المنطقة", "fa": "منطقه", "fr": "Zone"},
    "Observed": {"ar": "فترة الرصد", "fa": "زمان مشاهده", "fr": "Observée"},
    "Observed from": {"ar": "رُصد منذ", "fa": "مشاهده از", "fr": "Observée depuis"},
    "Observed until": {"ar": "رُصد حتى", "fa": "مشاهده تا", "fr": "Observée jusqu'à"},
    "What causes concern": {"ar": "سبب القلق", "fa": "علت نگرانی",
                            "fr": "Motif de préoccupation"},
    "Stage": {"ar": "المرحلة", "fa": "مرحله", "fr": "Stade"},
    "Explanation": {"ar": "التفسير", "fa": "توضیح", "fr": "Explication"},
    "Ask for a bilateral meeting": {"ar": "طلب اجتماع ثنائي", "fa": "درخواست نشست دوجانبه",
                                    "fr": "Demander une réunion bilatérale"},
    "Ask for a meeting of all participants": {"ar": "طلب اجتماع لجميع المشاركين",
                                              "fa": "درخواست نشست همهٔ مشارکان",
                                              "fr": "Demander une réunion de tous les "
                                                    "participants"},
    # The hotline (the node's page and the secretariat's).
    "Hotline": {"ar": "الخط الساخن", "fa": "خط ویژه", "fr": "Ligne directe"},
    "alarm": {"ar": "إنذار", "fa": "هشدار", "fr": "alarme"},
    "Write on the hotline": {"ar": "الكتابة على الخط الساخن", "fa": "نوشتن روی خط ویژه",
                             "fr": "Écrire sur la ligne directe"},
    "To": {"ar": "إلى", "fa": "به", "fr": "À"},
    "Precedence": {"ar": "درجة الأسبقية", "fa": "درجهٔ فوریت", "fr": "Degré d'urgence"},
    "Seal, sign and send": {"ar": "اختم ووقّع وأرسل", "fa": "رمزگذاری، امضا و ارسال",
                            "fr": "Chiffrer, signer et envoyer"},
    "Line tests": {"ar": "اختبارات الخط", "fa": "آزمون‌های خط", "fr": "Essais de la ligne"},
    "Line health": {"ar": "حالة الخطوط", "fa": "وضعیت خطوط", "fr": "État des lignes"},
    "Receipts missed between parties": {"ar": "إيصالات فائتة بين الأطراف",
                                         "fa": "رسیدهای دریافت‌نشده میان طرف‌ها",
                                         "fr": "Accusés de réception manquants entre parties"},
    "Messages to the secretariat": {"ar": "الرسائل إلى الأمانة", "fa": "پیام‌ها به دبیرخانه",
                                    "fr": "Messages au secrétariat"},
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
