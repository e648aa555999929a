"""Words of the form itself (headings, buttons, header fields) in the languages we ship.

The measure's own texts come from its definition; these are the few words around them.
A language missing here falls back to English, and the rendered element is then marked
``lang="en"`` so that screen readers pronounce it correctly.

The Welsh (``cy``) and Arabic (``ar``) strings are simple and were written with care, but
should be checked by a native speaker before a form is used with the public. Every word in
English has its Welsh and Arabic (a test checks that every shipped language has every key,
with the same ``{placeholders}``); a language added here must have them all too.
"""

from __future__ import annotations

UI: dict[str, dict[str, str]] = {
    "en": {
        "respondent_id": "Respondent ID",
        "date": "Date",
        "timepoint": "Timepoint ({timepoints})",
        "worker": "Worker",
        "submit": "Send my answers",
        "why_we_ask": "Why we ask these questions",
        "who_sees": "Who sees your answers",
        "how_used": "How your answers are used",
        "status": "About this questionnaire",
        "status_validated": "Validated questionnaire, used as published.",
        "status_adapted": "Adapted from a validated questionnaire; the changed version is "
                          "not tested.",
        "status_bespoke": "Written locally and tested.",
        "status_untested": "Not yet tested.",
        "page": "Page",
        "of": "of",
        "proxy_note": "Please answer for the person you support, as you think they would answer.",
        "tick_one": "Tick one box for each question.",
        "required": "required",
        "question": "Question",
        "write_number": "Write a number from {min} to {max}.",
        "mark_line": "Mark the line, then write the number in the box.",
        "number": "Number",
        "for_office": "For office use",
        "skip_if": "Answer only if it applies to you.",
        "recall": "Think about",
        "goal": "Goal",
        "goal_text": "In your own words",
        "script_title": "Script for reading aloud",
        "script_intro": "Read the words in bold aloud, exactly as written. Read out every answer "
                        "option, then note the number of the answer given.",
        "say": "Say",
        "read_options": "Read out the answers",
        "note_answer": "Answer given (circle or write the number)",
        "not_answered": "Did not want to answer",
        "save": "Save my answers",
        "standalone_js": "This form does not send your answers anywhere. When you press "
                         "“Save my answers”, they are saved as a file on this device. Please "
                         "give or send that file to the person who asked you to fill in the "
                         "form. (For staff: load the file with `measurelib import`.)",
        "standalone_nojs": "This form cannot send or save your answers: it was made without "
                           "an address to send them to, and saving them as a file needs "
                           "JavaScript, which is turned off. Please ask the person who gave "
                           "you this form for a paper copy or a working link. (For staff: "
                           "make the form with `measurelib render --action URL`.)",
        "saved": "Your answers were saved as {file}. Please give or send this file to the "
                 "person who asked you to fill in the form.",
        "about_you": "About this form",
        "your_id": "Your ID (the code you were given)",
        "timepoint_field": "Timepoint",
        "choose": "Choose one",
        "fallback_note": "Note for staff: these questions have no {variant} wording and are "
                         "shown as written for the person themselves: {items}.",
        "variant_proxy": "proxy",
        "variant_easy_read": "easy-read",
        "variant_telephone": "telephone",
        "placeholder": "[Licensed text not supplied: {what}]",
        "placeholder_note": "This form shows placeholders where licensed text was not "
                            "supplied. Do not use it with respondents.",
        # the summed-score conversion table of an IRT score, printed for office use
        "conv_add": "Add up the numbers of the answers ticked, then read the {metric} score "
                    "and its standard error (SE) from this table.",
        "conv_reversed": "Reversed questions",
        "conv_reversed_item": "{item}: count {total} − the number ticked",
        "conv_complete": "Use the table only when every question is answered.",
        "conv_simulated": "The table comes from a calibration on simulated data: a "
                          "placeholder.",
        "conv_sum": "Sum",
        "conv_score": "{metric} score",
        "conv_se": "SE",
        "ph_question": "question {label}",
        "ph_answer": "answer {value} of question {code}",
        # what a person is told when a form they sent cannot be used (submission_messages)
        "msg_required": "Question {n} needs an answer.",
        "msg_choose": "Question {n}: choose one of the answers given.",
        "msg_number": "Question {n}: write a number from {min} to {max}.",
        "msg_other_form": "These answers are for another version of this questionnaire. "
                          "Please open the questionnaire again.",
        "msg_unreadable": "Part of the form could not be read. Please go back and try again.",
    },
    "cy": {
        "respondent_id": "Rhif adnabod",
        "date": "Dyddiad",
        "timepoint": "Adeg ({timepoints})",
        "worker": "Gweithiwr",
        "submit": "Anfon fy atebion",
        "why_we_ask": "Pam rydyn ni'n gofyn y cwestiynau hyn",
        "who_sees": "Pwy sy'n gweld eich atebion",
        "how_used": "Sut rydyn ni'n defnyddio eich atebion",
        "status": "Am yr holiadur hwn",
        "status_validated": "Holiadur wedi'i ddilysu, wedi'i ddefnyddio fel y'i cyhoeddwyd.",
        "status_adapted": "Wedi'i addasu o holiadur wedi'i ddilysu; nid yw'r fersiwn newydd "
                          "wedi'i brofi.",
        "status_bespoke": "Wedi'i ysgrifennu'n lleol a'i brofi.",
        "status_untested": "Heb ei brofi eto.",
        "page": "Tudalen",
        "of": "o",
        "proxy_note": "Atebwch ar ran y person rydych chi'n ei gefnogi, fel rydych chi'n meddwl "
                      "y bydden nhw'n ateb.",
        "tick_one": "Ticiwch un blwch ar gyfer pob cwestiwn.",
        "required": "angenrheidiol",
        "question": "Cwestiwn",
        "write_number": "Ysgrifennwch rif o {min} i {max}.",
        "number": "Rhif",
        "recall": "Meddyliwch am",
        "mark_line": "Marciwch y llinell, yna ysgrifennwch y rhif yn y blwch.",
        "skip_if": "Atebwch dim ond os yw'n berthnasol i chi.",
        "goal": "Nod",
        "goal_text": "Yn eich geiriau eich hun",
        "script_title": "Sgript i'w darllen yn uchel",
        "script_intro": "Darllenwch y geiriau mewn print trwm yn uchel, yn union fel y maen "
                        "nhw wedi'u hysgrifennu. Darllenwch bob dewis ateb, yna nodwch rif yr "
                        "ateb a roddwyd.",
        "say": "Dywedwch",
        "read_options": "Darllenwch yr atebion",
        "note_answer": "Yr ateb a roddwyd (cylchwch neu ysgrifennwch y rhif)",
        "not_answered": "Ddim eisiau ateb",
        "for_office": "At ddefnydd y swyddfa",
        "conv_add": "Adiwch rifau'r atebion a diciwyd, yna darllenwch y sgôr {metric} a'i "
                    "gwall safonol (SE) o'r tabl hwn.",
        "conv_reversed": "Cwestiynau wedi'u gwrthdroi",
        "conv_reversed_item": "{item}: cyfrifwch {total} − y rhif a diciwyd",
        "conv_complete": "Defnyddiwch y tabl dim ond pan fydd pob cwestiwn wedi'i ateb.",
        "conv_simulated": "Daw'r tabl o raddnodi ar ddata efelychiedig: dros dro yn unig.",
        "conv_sum": "Cyfanswm",
        "conv_score": "Sgôr {metric}",
        "conv_se": "SE",
        "save": "Cadw fy atebion",
        "standalone_js": "Nid yw'r ffurflen hon yn anfon eich atebion i unman. Pan fyddwch "
                         "yn pwyso “Cadw fy atebion”, byddan nhw'n cael eu cadw fel ffeil ar y "
                         "ddyfais hon. Rhowch neu anfonwch y ffeil honno at y person a "
                         "ofynnodd i chi lenwi'r ffurflen. (I staff: llwythwch y ffeil gyda "
                         "`measurelib import`.)",
        "standalone_nojs": "Ni all y ffurflen hon anfon na chadw eich atebion: cafodd ei "
                           "gwneud heb gyfeiriad i'w hanfon iddo, ac mae angen JavaScript i'w "
                           "cadw fel ffeil, ac mae hwnnw wedi'i ddiffodd. Gofynnwch i'r person "
                           "a roddodd y ffurflen hon i chi am gopi papur neu ddolen sy'n "
                           "gweithio. (I staff: gwnewch y ffurflen gyda `measurelib render "
                           "--action URL`.)",
        "saved": "Cafodd eich atebion eu cadw fel {file}. Rhowch neu anfonwch y ffeil hon at y "
                 "person a ofynnodd i chi lenwi'r ffurflen.",
        "about_you": "Am y ffurflen hon",
        "your_id": "Eich rhif adnabod (y cod a roddwyd i chi)",
        "timepoint_field": "Adeg",
        "choose": "Dewiswch un",
        "fallback_note": "Nodyn i staff: nid oes geiriad {variant} i'r cwestiynau hyn, felly "
                         "maen nhw'n cael eu dangos fel y'u hysgrifennwyd ar gyfer y person ei "
                         "hun: {items}.",
        "variant_proxy": "dirprwy",
        "variant_easy_read": "hawdd ei ddarllen",
        "variant_telephone": "ffôn",
        "placeholder": "[Ni roddwyd y testun trwyddedig: {what}]",
        "placeholder_note": "Mae'r ffurflen hon yn dangos dalfannau lle na roddwyd testun "
                            "trwyddedig. Peidiwch â'i defnyddio gydag ymatebwyr.",
        "ph_question": "cwestiwn {label}",
        "ph_answer": "ateb {value} i gwestiwn {code}",
        "msg_required": "Mae angen ateb i gwestiwn {n}.",
        "msg_choose": "Cwestiwn {n}: dewiswch un o'r atebion a roddwyd.",
        "msg_number": "Cwestiwn {n}: ysgrifennwch rif o {min} i {max}.",
        "msg_other_form": "Mae'r atebion hyn ar gyfer fersiwn arall o'r holiadur hwn. Agorwch "
                          "yr holiadur eto, os gwelwch yn dda.",
        "msg_unreadable": "Nid oedd modd darllen rhan o'r ffurflen. Ewch yn ôl a rhowch "
                          "gynnig arall arni.",
    },
    "ar": {
        "respondent_id": "رقم المستجيب",
        "date": "التاريخ",
        "timepoint": "المرحلة ({timepoints})",
        "worker": "الموظف",
        "submit": "إرسال إجاباتي",
        "why_we_ask": "لماذا نطرح هذه الأسئلة",
        "who_sees": "من يرى إجاباتك",
        "how_used": "كيف نستخدم إجاباتك",
        "status": "عن هذا الاستبيان",
        "status_validated": "استبيان مُعتمد، يُستخدم كما نُشر.",
        "status_adapted": "مقتبس من استبيان مُعتمد؛ النسخة المعدّلة لم تُختبر.",
        "status_bespoke": "كُتب محليًا وتم اختباره.",
        "status_untested": "لم يُختبر بعد.",
        "page": "صفحة",
        "of": "من",
        "proxy_note": "يُرجى الإجابة نيابةً عن الشخص الذي تدعمه، كما تعتقد أنه سيجيب.",
        "tick_one": "ضع علامة في مربع واحد لكل سؤال.",
        "required": "مطلوب",
        "question": "سؤال",
        "write_number": "اكتب رقمًا من {min} إلى {max}.",
        "number": "رقم",
        "recall": "فكّر في",
        "mark_line": "ضع علامة على الخط، ثم اكتب الرقم في المربع.",
        "skip_if": "أجب فقط إذا كان هذا ينطبق عليك.",
        "goal": "الهدف",
        "goal_text": "بكلماتك الخاصة",
        "script_title": "نص للقراءة بصوت عالٍ",
        "script_intro": "اقرأ الكلمات المكتوبة بخط عريض بصوت عالٍ كما هي تمامًا. اقرأ كل "
                        "خيارات الإجابة، ثم سجّل رقم الإجابة المعطاة.",
        "say": "قل",
        "read_options": "اقرأ الإجابات بصوت عالٍ",
        "note_answer": "الإجابة المعطاة (ضع دائرة حول الرقم أو اكتبه)",
        "not_answered": "لم يرغب في الإجابة",
        "for_office": "للاستخدام المكتبي",
        "conv_add": "اجمع أرقام الإجابات المختارة، ثم اقرأ درجة {metric} وخطأها المعياري (SE) "
                    "من هذا الجدول.",
        "conv_reversed": "الأسئلة المعكوسة",
        "conv_reversed_item": "{item}: احسب {total} − الرقم المختار",
        "conv_complete": "استخدم الجدول فقط عندما تتم الإجابة عن كل الأسئلة.",
        "conv_simulated": "هذا الجدول مأخوذ من معايرة على بيانات محاكاة: هو مؤقت.",
        "conv_sum": "المجموع",
        "conv_score": "درجة {metric}",
        "conv_se": "SE",
        "save": "حفظ إجاباتي",
        "standalone_js": "لا يرسل هذا النموذج إجاباتك إلى أي مكان. عند الضغط على «حفظ "
                         "إجاباتي» تُحفظ الإجابات في ملف على هذا الجهاز. يُرجى تسليم هذا الملف "
                         "أو إرساله إلى الشخص الذي طلب منك تعبئة النموذج. (للموظفين: حمّلوا "
                         "الملف باستخدام `measurelib import`.)",
        "standalone_nojs": "لا يمكن لهذا النموذج إرسال إجاباتك أو حفظها: فقد أُعدّ دون عنوان "
                           "تُرسل إليه، وحفظها في ملف يحتاج إلى JavaScript وهو معطّل. يُرجى أن "
                           "تطلب من الشخص الذي أعطاك هذا النموذج نسخة ورقية أو رابطًا يعمل. "
                           "(للموظفين: أعدّوا النموذج باستخدام `measurelib render --action "
                           "URL`.)",
        "saved": "حُفظت إجاباتك في الملف {file}. يُرجى تسليم هذا الملف أو إرساله إلى الشخص "
                 "الذي طلب منك تعبئة النموذج.",
        "about_you": "عن هذا النموذج",
        "your_id": "رقمك التعريفي (الرمز الذي أُعطي لك)",
        "timepoint_field": "المرحلة",
        "choose": "اختر واحدًا",
        "fallback_note": "ملاحظة للموظفين: لا توجد صياغة ({variant}) لهذه الأسئلة، لذا "
                         "تُعرض كما كُتبت للشخص نفسه: {items}.",
        "variant_proxy": "بالنيابة",
        "variant_easy_read": "سهلة القراءة",
        "variant_telephone": "هاتفية",
        "placeholder": "[لم يُقدَّم النص المرخّص: {what}]",
        "placeholder_note": "يعرض هذا النموذج نصوصًا بديلة حيث لم يُقدَّم النص المرخّص. لا "
                            "تستخدمه مع المستجيبين.",
        "ph_question": "السؤال {label}",
        "ph_answer": "الإجابة {value} للسؤال {code}",
        "msg_required": "السؤال {n} يحتاج إلى إجابة.",
        "msg_choose": "السؤال {n}: اختر إحدى الإجابات المعروضة.",
        "msg_number": "السؤال {n}: اكتب رقمًا من {min} إلى {max}.",
        "msg_other_form": "هذه الإجابات لنسخة أخرى من هذا الاستبيان. يرجى فتح الاستبيان مرة "
                          "أخرى.",
        "msg_unreadable": "تعذّرت قراءة جزء من النموذج. يرجى الرجوع والمحاولة مرة أخرى.",
    },
}


def ui_text(key: str, lang: str) -> tuple[str, str]:
    """The form word ``key`` in ``lang`` and the language it is actually in (fallback: en).

    The one table of the words around a measure's own texts: those of its forms and those
    the web service shows a respondent (:data:`SERVICE`).

    Parameters
    ----------
    key : str
        The word's key, e.g. ``"submit"`` or ``"nav_next"``.
    lang : str
        A language code, e.g. ``"cy"`` or ``"ar-EG"`` (its base language is tried next).

    Returns
    -------
    tuple of (str, str)
        The text and the code of the language it is in: ``"en"`` when ``lang`` lacks it.

    Examples
    --------
    >>> ui_text("nav_next", "cy")
    ('Nesaf', 'cy')
    >>> ui_text("nav_next", "pl")
    ('Next', 'en')
    """
    base = lang.split("-")[0]
    for code in (lang, base):
        table = UI.get(code)
        if table and table.get(key):
            return table[key], code
    return UI["en"][key], "en"


#: The respondent's words of the web service (``measurelib serve``): the buttons and
#: progress of a form shown a page at a time, the thank-you, saved, closed-link and problem
#: pages, the adaptive test's page and the built-in risk text. They are looked up with
#: :func:`ui_text` like the form's own words (merged into :data:`UI` below), so a service
#: page is in the language of the form it belongs to. Every language of :data:`UI` must
#: have every one of them (a test checks it).
SERVICE: dict[str, dict[str, str]] = {
    "en": {
        "nav_next": "Next",
        "nav_back": "Back",
        "nav_save_later": "Save and finish later",
        "progress": "Question {n} of {count}",
        "saved_title": "Your answers are saved",
        "saved_tablet": "Your answers so far are kept. Your worker can see that the form is "
                        "not finished yet.",
        "saved_link": "To finish, open the same link again before {date}: you will start "
                      "where you stopped. You can close this page.",
        "carry_on": "Carry on answering now",
        "hand_back": "Please hand the device back to your worker.",
        "worker_unlock": "Worker: unlock",
        "thanks_title": "Thank you",
        "thanks_sent": "Your answers have been sent.",
        "close_page": "You can close this page.",
        "see_results": "See your results",
        "closed_title": "This link cannot be used",
        "closed_used": "These questions have already been answered. Thank you.",
        "closed_expired": "This link has expired. Please ask the service for a new one.",
        "closed_withdrawn": "This link has been withdrawn. Please ask the service for a new "
                            "one.",
        "closed_unknown": "This link was not recognised. Check that you copied all of it, or "
                          "ask the service for a new one.",
        "problem_title": "Your answers could not be used",
        "problem_back": "Back to the questions",
        "problem_retry": "Go back and try again.",
        "stored_not_title": "Your answers could not be stored yet",
        "stored_kept": "Your answers are kept. Please tell your worker.",
        "stored_conflict": "A different set of answers to this questionnaire was already "
                           "recorded for you today, so these answers were not kept. Please "
                           "tell the person who asked you to fill it in.",
        "results_not_ready": "Your results are not ready",
        "results_with_worker": "Your worker can go through your results with you.",
        "cat_note": "Each question is chosen from your earlier answers, and the "
                    "questionnaire stops when it has enough: usually after {min} to {max} "
                    "questions.",
        "cat_later": "You can stop and come back to this link later.",
        "cat_choose": "Choose one of the answers to go on.",
        "cat_skip": "Skip this question",
        "cat_title": "{title}: question {n}",
        "error_title": "Error",
        "risk_default": "Thank you for telling us. Someone from the service will see your "
                        "answer and contact you. If you feel you might act on these "
                        "thoughts, or you are in danger now, call 999 or go to A&E. You can "
                        "talk to Samaritans at any time, free, on 116 123, or call NHS 111.",
    },
    "cy": {
        "nav_next": "Nesaf",
        "nav_back": "Yn ôl",
        "nav_save_later": "Cadw a gorffen yn nes ymlaen",
        "progress": "Cwestiwn {n} o {count}",
        "saved_title": "Mae eich atebion wedi'u cadw",
        "saved_tablet": "Mae eich atebion hyd yma wedi'u cadw. Gall eich gweithiwr weld nad "
                        "yw'r ffurflen wedi'i gorffen eto.",
        "saved_link": "I orffen, agorwch yr un ddolen eto cyn {date}: byddwch chi'n dechrau "
                      "lle gwnaethoch chi stopio. Gallwch chi gau'r dudalen hon.",
        "carry_on": "Parhau i ateb nawr",
        "hand_back": "Rhowch y ddyfais yn ôl i'ch gweithiwr.",
        "worker_unlock": "Gweithiwr: datgloi",
        "thanks_title": "Diolch",
        "thanks_sent": "Mae eich atebion wedi'u hanfon.",
        "close_page": "Gallwch chi gau'r dudalen hon.",
        "see_results": "Gweld eich canlyniadau",
        "closed_title": "Does dim modd defnyddio'r ddolen hon",
        "closed_used": "Mae'r cwestiynau hyn wedi'u hateb yn barod. Diolch.",
        "closed_expired": "Mae'r ddolen hon wedi dod i ben. Gofynnwch i'r gwasanaeth am un "
                          "newydd.",
        "closed_withdrawn": "Mae'r ddolen hon wedi'i thynnu'n ôl. Gofynnwch i'r gwasanaeth am "
                            "un newydd.",
        "closed_unknown": "Doedd dim modd adnabod y ddolen hon. Gwiriwch eich bod chi wedi "
                          "copïo'r cyfan, neu gofynnwch i'r gwasanaeth am un newydd.",
        "problem_title": "Doedd dim modd defnyddio eich atebion",
        "problem_back": "Yn ôl i'r cwestiynau",
        "problem_retry": "Ewch yn ôl a rhowch gynnig arall arni.",
        "stored_not_title": "Doedd dim modd cadw eich atebion eto",
        "stored_kept": "Mae eich atebion wedi'u cadw. Dywedwch wrth eich gweithiwr.",
        "stored_conflict": "Cafodd set wahanol o atebion i'r holiadur hwn ei chofnodi ar eich "
                           "cyfer heddiw yn barod, felly chafodd yr atebion hyn mo'u cadw. "
                           "Dywedwch wrth y person a ofynnodd i chi ei lenwi.",
        "results_not_ready": "Dydy eich canlyniadau ddim yn barod",
        "results_with_worker": "Gall eich gweithiwr fynd drwy eich canlyniadau gyda chi.",
        "cat_note": "Mae pob cwestiwn yn cael ei ddewis ar sail eich atebion blaenorol, ac "
                    "mae'r holiadur yn stopio pan fydd ganddo ddigon: fel arfer ar ôl {min} i "
                    "{max} cwestiwn.",
        "cat_later": "Gallwch chi stopio a dod yn ôl at y ddolen hon yn nes ymlaen.",
        "cat_choose": "Dewiswch un o'r atebion i fynd ymlaen.",
        "cat_skip": "Hepgor y cwestiwn hwn",
        "cat_title": "{title}: cwestiwn {n}",
        "error_title": "Gwall",
        "risk_default": "Diolch am ddweud wrthon ni. Bydd rhywun o'r gwasanaeth yn gweld eich "
                        "ateb ac yn cysylltu â chi. Os ydych chi'n teimlo y gallech chi "
                        "weithredu ar y meddyliau hyn, neu os ydych chi mewn perygl nawr, "
                        "ffoniwch 999 neu ewch i'r Adran Achosion Brys. Gallwch chi siarad "
                        "â'r Samariaid unrhyw bryd, am ddim, ar 116 123, neu ffoniwch GIG "
                        "111.",
    },
    "ar": {
        "nav_next": "التالي",
        "nav_back": "رجوع",
        "nav_save_later": "حفظ وإكمال لاحقًا",
        "progress": "السؤال {n} من {count}",
        "saved_title": "تم حفظ إجاباتك",
        "saved_tablet": "تم حفظ إجاباتك حتى الآن. يستطيع الموظف أن يرى أن الاستبيان لم "
                        "يكتمل بعد.",
        "saved_link": "للإكمال، افتح الرابط نفسه مرة أخرى قبل {date}: ستبدأ من حيث "
                      "توقفت. يمكنك إغلاق هذه الصفحة.",
        "carry_on": "مواصلة الإجابة الآن",
        "hand_back": "يُرجى إعادة الجهاز إلى الموظف.",
        "worker_unlock": "للموظف: فتح القفل",
        "thanks_title": "شكرًا لك",
        "thanks_sent": "تم إرسال إجاباتك.",
        "close_page": "يمكنك إغلاق هذه الصفحة.",
        "see_results": "عرض نتائجك",
        "closed_title": "لا يمكن استخدام هذا الرابط",
        "closed_used": "تمت الإجابة عن هذه الأسئلة من قبل. شكرًا لك.",
        "closed_expired": "انتهت صلاحية هذا الرابط. يُرجى طلب رابط جديد من الخدمة.",
        "closed_withdrawn": "تم سحب هذا الرابط. يُرجى طلب رابط جديد من الخدمة.",
        "closed_unknown": "لم يتم التعرف على هذا الرابط. تحقق من أنك نسخته كاملًا، أو اطلب "
                          "رابطًا جديدًا من الخدمة.",
        "problem_title": "تعذّر استخدام إجاباتك",
        "problem_back": "العودة إلى الأسئلة",
        "problem_retry": "ارجع وحاول مرة أخرى.",
        "stored_not_title": "تعذّر حفظ إجاباتك حتى الآن",
        "stored_kept": "إجاباتك محفوظة. يُرجى إخبار الموظف.",
        "stored_conflict": "سُجّلت لك اليوم مجموعة أخرى من الإجابات عن هذا الاستبيان، لذلك "
                           "لم تُحفظ هذه الإجابات. يُرجى إخبار الشخص الذي طلب منك تعبئته.",
        "results_not_ready": "نتائجك ليست جاهزة بعد",
        "results_with_worker": "يستطيع الموظف أن يراجع نتائجك معك.",
        "cat_note": "يُختار كل سؤال بناءً على إجاباتك السابقة، ويتوقف الاستبيان عندما "
                    "تكفيه الإجابات: عادةً بعد {min} إلى {max} أسئلة.",
        "cat_later": "يمكنك التوقف والعودة إلى هذا الرابط لاحقًا.",
        "cat_choose": "اختر إحدى الإجابات للمتابعة.",
        "cat_skip": "تخطَّ هذا السؤال",
        "cat_title": "{title}: السؤال {n}",
        "error_title": "خطأ",
        "risk_default": "شكرًا لإخبارنا. سيطّلع شخص من الخدمة على إجابتك ويتواصل معك. إذا "
                        "شعرت أنك قد تتصرف بناءً على هذه الأفكار، أو كنت في خطر الآن، فاتصل "
                        "بالرقم 999 أو اذهب إلى قسم الطوارئ (A&E). يمكنك التحدث إلى منظمة "
                        "Samaritans في أي وقت مجانًا على الرقم 116 123، أو اتصل بـ NHS 111.",
    },
}
for _code, _words in SERVICE.items():
    UI.setdefault(_code, {}).update(_words)
