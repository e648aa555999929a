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
    },
}


def ui_text(key: str, lang: str) -> tuple[str, str]:
    """The form word ``key`` in ``lang`` and the language it is actually in (fallback: en)."""
    base = lang.split("-")[0]
    for code in (lang, base):
        table = UI.get(code)
        if table and table.get(key):
            return table[key], code
    return UI["en"][key], "en"
