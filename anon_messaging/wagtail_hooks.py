"""Hook registrations only; what each hook does lives in the module it names."""

from wagtail import hooks

from . import admin_views, audit, modeladmin, reminders, retention, security

modeladmin.register()
hooks.register("register_log_actions", audit.register_case_log_actions)
hooks.register("register_log_actions", retention.register_log_actions)
hooks.register("register_log_actions", reminders.register_log_actions)
hooks.register("construct_homepage_panels", admin_views.add_case_dashboard_panel)
hooks.register("filter_form_submissions_for_user", admin_views.hide_report_forms_from_submissions)
# Outermost (lowest order), so even view-restriction responses get the reporter headers.
hooks.register("on_serve_page", security.serve_reporter_pages_securely, order=-10)
