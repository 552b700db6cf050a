"""Report forms: the permission to confirm a question that asks who the reporter is on an
anonymous form (form_rules.py), and an editor's own message for a question left blank."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0007_one_response_time"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="reportformpage",
            options={
                "permissions": [
                    (
                        "confirm_identity_questions",
                        "Can publish anonymous forms with questions that ask who the reporter "
                        "is",
                    )
                ],
                "verbose_name": "report form page",
            },
        ),
        migrations.AddField(
            model_name="reportformfield",
            name="error_message",
            field=models.CharField(
                blank=True,
                help_text="For a required question: what to do, naming the question, such as "
                "“Enter what happened”. Blank gives “Enter your answer to” and the question.",
                max_length=255,
                verbose_name="message when not answered",
            ),
        ),
    ]
