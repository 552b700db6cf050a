"""The response time reporters are promised, in words: the one home of that rule.

A site sets its response time once, as working days and optionally working hours
(``ReportingSettings.response_working_days`` and ``response_working_hours``). The
deadlines count on those numbers (``deadlines.py``) and reporters read the same numbers
here, so the promise and the clock cannot disagree.

The words are made in the language the page is served in ("3 working days"). An editor
may reword them around the numbers with a wording template holding ``{days}`` (and
``{hours}``), for example "{days} working days, Monday to Friday": never with a number
of their own, so the wording cannot promise another time than the clock counts.
"""

import re

from django.utils.translation import gettext, ngettext

from .conf import site_languages, words_for_languages

DAYS = "{days}"
HOURS = "{hours}"
PLACEHOLDERS = (DAYS, HOURS)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|[{}]")
_DIGIT = re.compile(r"\d+(?:[.,]\d+)?")

# Words that give a number or a length of time of their own, per language. Words that are
# also everyday words there ("un", "one" as an article, Italian "sei") are left out.
NUMBER_WORDS = {
    "en": [
        "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred",
        "twice", "couple", "few", "several", "week", "weeks", "fortnight",
        "month", "months", "year", "years",
    ],
    "cy": ["dau", "dwy", "tri", "tair", "pedwar", "pedair", "pump", "chwech", "saith",
           "wyth", "naw", "deg", "wythnos", "pythefnos", "mis"],
    "de": [
        "null", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
        "elf", "zwölf", "zwanzig", "dreißig", "woche", "wochen", "monat", "monate", "jahr",
    ],
    "es": [
        "cero", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
        "once", "doce", "quince", "veinte", "treinta", "semana", "semanas", "mes", "meses",
    ],
    "fr": [
        "zéro", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
        "onze", "douze", "quinze", "vingt", "trente", "semaine", "semaines", "quinzaine",
        "mois", "ans",
    ],
    "it": [
        "zero", "due", "tre", "quattro", "cinque", "sette", "otto", "nove", "dieci",
        "undici", "dodici", "quindici", "venti", "trenta", "settimana", "settimane",
        "mese", "mesi",
    ],
    "nl": [
        "nul", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
        "elf", "twaalf", "vijftien", "twintig", "dertig", "week", "weken", "maand",
        "maanden",
    ],
    "pt": [
        "zero", "dois", "duas", "três", "quatro", "cinco", "seis", "sete", "oito", "nove",
        "dez", "onze", "doze", "quinze", "vinte", "trinta", "semana", "semanas", "mês",
        "meses",
    ],
    "pl": [
        "zero", "dwa", "dwie", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem",
        "dziewięć", "dziesięć", "tydzień", "tygodnie", "tygodni", "miesiąc", "miesiące",
        "miesięcy", "rok",
    ],
    "uk": [
        "нуль", "два", "дві", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять",
        "десять", "тиждень", "тижні", "тижнів", "місяць", "місяці", "місяців", "рік",
    ],
    "ar": [
        "اثنان", "اثنين", "يومين", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية",
        "تسعة", "عشرة", "أسبوع", "أسبوعين", "أسابيع", "شهر", "شهرين", "أشهر", "سنة",
    ],
}  # fmt: skip


def default_wording(days, hours=0):
    """The response time in the active language: "1 working day", "3 working days",
    "2 working days and 4 working hours"."""
    day_text = ngettext("%(days)d working day", "%(days)d working days", days) % {"days": days}
    if not hours:
        return day_text
    hour_text = ngettext("%(hours)d working hour", "%(hours)d working hours", hours) % {
        "hours": hours
    }
    if not days:
        return hour_text
    return gettext("%(days)s and %(hours)s") % {"days": day_text, "hours": hour_text}


def wording(days, hours=0, template=""):
    """What ``{sla}`` becomes: the editor's ``template`` with the numbers filled in, or
    the default wording when there is none."""
    if not template or not template.strip():
        return default_wording(days, hours)
    return template.replace(DAYS, str(days)).replace(HOURS, str(hours))


def site_number_words(languages=None):
    """The number words of every language the site has (``conf.site_languages``)."""
    return words_for_languages(NUMBER_WORDS, languages or site_languages())


def _words_pattern(words):
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def template_problems(template, days, hours=0, number_words=()):
    """What is wrong with a wording ``template`` for this response time, as sentences
    an editor can act on; [] when it may be used. ``number_words`` are the words that
    give a number in the site's languages (``NUMBER_WORDS``)."""
    if not template or not template.strip():
        return []
    problems = []
    unknown = [found for found in _PLACEHOLDER.findall(template) if found not in PLACEHOLDERS]
    if unknown:
        problems.append(
            gettext(
                "Only {days} and {hours} are filled in here; remove “%(unknown)s”, or "
                "write the placeholder exactly as {days} or {hours}."
            )
            % {"unknown": unknown[0]}
        )
    for placeholder, amount, missing, unwanted in (
        (
            DAYS,
            days,
            gettext("Write {days} where the number of working days goes."),
            gettext(
                "The response time has no whole working days, so remove {days} (or set "
                "the working days)."
            ),
        ),
        (
            HOURS,
            hours,
            gettext("Write {hours} where the number of working hours goes."),
            gettext(
                "The response time has no extra working hours, so remove {hours} (or set "
                "the working hours)."
            ),
        ),
    ):
        if amount and placeholder not in template:
            problems.append(missing)
        elif not amount and placeholder in template:
            problems.append(unwanted)
    rest = template.replace(DAYS, " ").replace(HOURS, " ")
    numbers = _DIGIT.findall(rest)
    pattern = _words_pattern(number_words)
    if pattern is not None:
        numbers += [match.group() for match in pattern.finditer(rest)]
    if numbers:
        problems.append(
            gettext(
                "The wording cannot give a time of its own (“%(number)s”): the response "
                "time comes only from the numbers above, so write {days} or {hours} "
                "where it goes."
            )
            % {"number": numbers[0]}
        )
    return problems
