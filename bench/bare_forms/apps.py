from django.apps import AppConfig


class BareFormsConfig(AppConfig):
    name = "bench.bare_forms"
    label = "bench_bare_forms"
    verbose_name = "Benchmark: bare Wagtail form"
    default_auto_field = "django.db.models.BigAutoField"
