from django.apps import AppConfig


class PlainAdminConfig(AppConfig):
    name = "bench.plain_admin"
    label = "bench_plain_admin"
    verbose_name = "Benchmark: plain modeladmin list"
    default_auto_field = "django.db.models.BigAutoField"
