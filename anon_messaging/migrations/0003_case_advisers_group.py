"""Create the "Case advisers" group with the permissions advisers work with.

Permissions are normally created after all migrations have run (post_migrate),
so they are created here first for this app; running it again changes nothing.
An existing group of that name keeps what it has and gains what is missing.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Case advisers"

PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("anon_messaging", "view_case"),
    ("anon_messaging", "change_case"),
    ("anon_messaging", "view_contact_details"),
    ("anon_messaging", "view_message"),
    ("anon_messaging", "add_message"),
    ("anon_messaging", "view_internalnote"),
    ("anon_messaging", "add_internalnote"),
]


def create_case_advisers_group(apps, schema_editor):
    create_permissions(
        global_apps.get_app_config("anon_messaging"),
        apps=apps,
        verbosity=0,
        using=schema_editor.connection.alias,
    )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP_NAME)
    for app_label, codename in PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("anon_messaging", "0002_case_log_entry"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # Rolling back keeps the group: administrators may have changed it since.
        migrations.RunPython(create_case_advisers_group, migrations.RunPython.noop),
    ]
