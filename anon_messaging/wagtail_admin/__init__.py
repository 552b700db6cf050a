"""The advisers' area of the Wagtail admin.

* ``modeladmin.py``: the adapter. Every wagtail-modeladmin import, URL name and
  ``modeladmin/*`` template is there and nowhere else, so moving to Wagtail's own
  viewsets touches only that module (and ``templates/anon_messaging/admin/modeladmin/``).
* ``urls.py``: the one URL helper; everything else reaches the area's pages through it.
* ``dashboard.py``, ``forms.py``, ``columns.py``: the dashboard panel, the case view's
  forms, the list's cells; none of them knows about modeladmin.
* ``site_history.py``: keeps Wagtail's site history report working with the cases' log
  model on Django 6.1 and SQLite.
"""
