# The advisers' queue (replies owed first, longest waiting first) as stored, indexed
# columns, and an index for the reminder scan: measured by bench/ at 100,000 cases.

from django.db import migrations, models
from django.db.models.functions import Coalesce


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0003_case_advisers_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="needs_reply",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(
                        models.Q(
                            ("awaiting_reply", True),
                            models.Q(("status__in", ["closed", "waiting"]), _negated=True),
                        ),
                        then=models.Value(True),
                    ),
                    default=models.Value(False),
                ),
                output_field=models.BooleanField(verbose_name="awaiting reply"),
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="queue_since",
            field=models.GeneratedField(
                db_persist=True,
                expression=Coalesce("awaiting_since", "created_at"),
                output_field=models.DateTimeField(verbose_name="waiting since"),
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["-needs_reply", "queue_since"], name="am_case_queue"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("awaiting_reply", True)),
                fields=["response_due_at"],
                name="am_case_reply_due",
            ),
        ),
    ]
