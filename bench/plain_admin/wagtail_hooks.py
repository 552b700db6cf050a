"""The plain list as wagtail_modeladmin ships it: the case list's columns and page size."""

from wagtail_modeladmin.options import ModelAdmin, modeladmin_register

from .models import PlainRow


class PlainRowAdmin(ModelAdmin):
    model = PlainRow
    menu_label = "Plain rows (benchmark)"
    list_display = (
        "reference",
        "route",
        "status",
        "assignee",
        "created_at",
        "last_reporter_message_at",
        "awaiting_reply",
        "overdue",
    )
    list_filter = ("status", "route", "awaiting_reply", "overdue")
    search_fields = ("reference",)
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee")


modeladmin_register(PlainRowAdmin)
