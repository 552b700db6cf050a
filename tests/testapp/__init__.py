"""A site of the tests' own that builds its pages from anon_messaging's public mixins.

docs/install.md, section 9, promises that a site whose pages must all inherit from its
own base class can make its report form, messaging and support pages from
``ReportFormMixin``, ``MessagingPageMixin`` and ``SupportPageMixin``. These models do
exactly what it shows; tests/test_site_page_classes.py uses them over HTTP.
Installed by tests/settings.py only.
"""
