"""A plain modeladmin list: the floor the advisers' case list is compared against.

Benchmark-only: installed by ``bench/settings.py`` and never shipped in anon_messaging.
A model with the case list's columns in plain (unencrypted) fields, listed by an
unmodified ``wagtail_modeladmin`` ``ModelAdmin`` with the same page size.
"""
