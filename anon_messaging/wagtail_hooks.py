"""Hook registrations only; what each hook does lives in the module it names."""

from wagtail import hooks

from . import audit, form_rules, notifications, security
from .wagtail_admin import dashboard, modeladmin, statistics_views, urls

modeladmin.register()
hooks.register("register_log_actions", audit.register_case_log_actions)
# Administrators grant confirming identity questions on anonymous forms in the group editor.
hooks.register("register_permissions", form_rules.permissions_to_register)
hooks.register("construct_homepage_panels", dashboard.add_case_dashboard_panel)
hooks.register("register_admin_urls", statistics_views.admin_urls)
hooks.register("register_admin_menu_item", statistics_views.menu_item)
hooks.register("filter_form_submissions_for_user", dashboard.hide_report_forms_from_submissions)
# The notifier's links to the case list, without the service layer importing the admin.
hooks.register(notifications.CASE_LIST_URL_HOOK, urls.case_list_url)
# Outermost (lowest order), so even view-restriction responses get the reporter headers.
hooks.register("on_serve_page", security.serve_reporter_pages_securely, order=-10)
