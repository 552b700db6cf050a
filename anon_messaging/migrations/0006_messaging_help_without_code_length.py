# The default help text of the messaging question no longer says how long a code is: the
# length belongs to the code format (codes.FORMATS), and the thank-you page states it
# beside each code. Pages already saved keep their text.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0005_versioned_selector_digest"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reportformpage",
            name="messaging_help",
            field=models.CharField(
                blank=True,
                default="If you say yes, you will get a code when you send this report. With "
                "it you can read your report and talk to a case adviser without telling us who "
                "you are.",
                max_length=500,
                verbose_name="messaging question help text",
            ),
        ),
    ]
