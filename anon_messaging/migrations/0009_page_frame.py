"""The frame of reporter pages: footer links each site's editors set, and support pages
that list the pages below them (the report forms under /report/, support pages)."""

import django.db.models.deletion
import modelcluster.fields
from django.conf import settings
from django.db import migrations, models

PAGE_MODEL = getattr(settings, "WAGTAIL_PAGE_MODEL", "wagtailcore.Page")


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0008_anonymous_form_rules"),
        migrations.swappable_dependency(PAGE_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="supportpage",
            name="show_child_pages",
            field=models.BooleanField(
                default=True,
                help_text="Each live page below this one is listed after the content, with its "
                "title and its search description (Promote tab) as a summary.",
                verbose_name="list the pages below this one",
            ),
        ),
        migrations.CreateModel(
            name="ReportingFooterLink",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sort_order", models.IntegerField(blank=True, editable=False, null=True)),
                ("label", models.CharField(max_length=100, verbose_name="link text")),
                (
                    "url",
                    models.URLField(
                        blank=True,
                        help_text="An address on another site, if the link is not to a page of "
                        "this one.",
                        verbose_name="or address",
                    ),
                ),
                (
                    "page",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=PAGE_MODEL,
                        verbose_name="page",
                    ),
                ),
                (
                    "settings",
                    modelcluster.fields.ParentalKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="footer_links",
                        to="anon_messaging.reportingsettings",
                    ),
                ),
            ],
            options={
                "verbose_name": "footer link",
                "verbose_name_plural": "footer links",
                "ordering": ["sort_order"],
                "abstract": False,
            },
        ),
    ]
