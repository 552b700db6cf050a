"""A lock row for each kind of scheduled run that emails people, so two task clusters'
runs take turns and each adviser gets one email per burst (models.TaskLock)."""

from django.db import migrations, models

LOCKS = ["alerts", "reminders"]


def create_locks(apps, schema_editor):
    TaskLock = apps.get_model("anon_messaging", "TaskLock")
    for name in LOCKS:
        TaskLock.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0009_page_frame"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskLock",
            fields=[
                ("name", models.CharField(max_length=64, primary_key=True, serialize=False)),
            ],
            options={
                "verbose_name": "task lock",
                "verbose_name_plural": "task locks",
            },
        ),
        migrations.RunPython(create_locks, migrations.RunPython.noop),
    ]
