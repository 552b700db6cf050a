# Stored selector digests say which code format made them: "1$" + the hex HMAC, so that a
# later format (another length or selector length) can become current without locking
# out reporters who hold codes of this one (anon_messaging/codes.py, FORMATS).
#
# Every digest stored so far was made by format 1 (16 symbols, 6-symbol selector) and
# keeps its HMAC; only the marker is added, in one UPDATE. Going back strips it again,
# and refuses while any case holds a digest of a later format, which the code before
# this migration could never find.

from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

# Written out rather than imported from codes.py: a migration must not change later.
FORMAT_1_MARKER = "1$"


def mark_format_1(apps, schema_editor):
    Case = apps.get_model("anon_messaging", "Case")
    Case.objects.filter(selector_digest__isnull=False).exclude(
        selector_digest__contains="$"
    ).update(selector_digest=Concat(Value(FORMAT_1_MARKER), F("selector_digest")))


def unmark_format_1(apps, schema_editor):
    Case = apps.get_model("anon_messaging", "Case")
    later = (
        Case.objects.filter(selector_digest__contains="$")
        .exclude(selector_digest__startswith=FORMAT_1_MARKER)
        .count()
    )
    if later:
        raise RuntimeError(
            f"{later} cases hold codes of a format newer than version 1, which the app "
            "before this migration cannot look up. Not unapplying it: their reporters "
            "would be locked out."
        )
    Case.objects.filter(selector_digest__startswith=FORMAT_1_MARKER).update(
        selector_digest=Substr("selector_digest", len(FORMAT_1_MARKER) + 1)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0004_case_reply_queue"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="selector_digest",
            field=models.CharField(editable=False, max_length=80, null=True, unique=True),
        ),
        migrations.RunPython(mark_format_1, unmark_format_1),
    ]
