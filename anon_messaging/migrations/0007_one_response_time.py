"""One promise, one clock: the response time is set once, as working days (and optional
working hours), and reporters read it in words made from those numbers.

``sla_text`` (free text, which could say "2 working days" while the clock counted 3)
goes. What it said is kept where it can be: a text that gives the clock's own number of
days becomes the new wording template with ``{days}`` in its place ("3 working days,
Monday to Friday" becomes "{days} working days, Monday to Friday"); the plain default
wording, or a text giving another number or none, leaves the template blank, so reporters
read the standard wording made from the number the deadlines count. The clock is never
changed here: cases already waiting keep their due times.
"""

import re

from django.db import migrations, models

DEFAULT_TEXT = re.compile(r"^\s*(\d+)\s+working\s+days?\s*$", re.IGNORECASE)
NUMBER = re.compile(r"\d+")


def wording_template(sla_text, days):
    """The template that keeps ``sla_text``'s words around the clock's own number, or ""."""
    text = (sla_text or "").strip()
    if not text or DEFAULT_TEXT.match(text) or "{" in text or "}" in text:
        return ""
    numbers = NUMBER.findall(text)
    if numbers != [str(days)]:
        return ""  # another number, or none: the standard wording says what the clock counts
    return NUMBER.sub("{days}", text)[:200]


def sla_text_to_wording(apps, schema_editor):
    ReportingSettings = apps.get_model("anon_messaging", "ReportingSettings")
    for row in ReportingSettings.objects.all():
        template = wording_template(row.sla_text, row.response_working_days)
        if template:
            row.response_time_wording = template
            row.save(update_fields=["response_time_wording"])


def wording_to_sla_text(apps, schema_editor):
    ReportingSettings = apps.get_model("anon_messaging", "ReportingSettings")
    for row in ReportingSettings.objects.all():
        days = row.response_working_days
        if row.response_time_wording:
            text = row.response_time_wording.replace("{days}", str(days))
            text = text.replace("{hours}", str(row.response_working_hours))
        else:
            text = f"{days} working day" + ("" if days == 1 else "s")
        row.sla_text = text[:100]
        row.save(update_fields=["sla_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0006_messaging_help_without_code_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportingsettings",
            name="response_time_wording",
            field=models.CharField(
                blank=True,
                help_text="Leave blank for the standard wording in the site's language, such as "
                "“3 working days”. To reword it, write {days} where the number of working days "
                "goes (and {hours} for working hours), for example “{days} working days, Monday "
                "to Friday”. It cannot give a number of its own.",
                max_length=200,
                verbose_name="response time, as worded for reporters",
            ),
        ),
        migrations.AddField(
            model_name="reportingsettings",
            name="response_working_hours",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Optional: working hours on top of the days, for a response time such "
                "as “1 working day and 4 working hours”. Counted within the working hours below "
                "when they are set.",
                verbose_name="and working hours",
            ),
        ),
        migrations.AlterField(
            model_name="reportingsettings",
            name="response_working_days",
            field=models.PositiveSmallIntegerField(
                default=3,
                help_text="What reporters are promised wherever {sla} is written, and what the "
                "deadlines and reminders count. Changes show on every reporting page at once and "
                "move the due times of cases already waiting.",
                verbose_name="response time in working days",
            ),
        ),
        migrations.RunPython(sla_text_to_wording, wording_to_sla_text),
        migrations.RemoveField(
            model_name="reportingsettings",
            name="sla_text",
        ),
    ]
