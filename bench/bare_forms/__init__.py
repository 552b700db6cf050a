"""A bare Wagtail ``AbstractForm`` page: the floor the report form is compared against.

Benchmark-only: it is installed by ``bench/settings.py`` and never ships in anon_messaging.
"""
