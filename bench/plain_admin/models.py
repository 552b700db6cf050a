"""The case list's columns in plain fields: no encryption, no visibility rules, no flags."""

from django.conf import settings
from django.db import models


class PlainRow(models.Model):
    # Choices, as the case's fields have: their list filters need no query of their own.
    ROUTES = [("anonymous", "Anonymous"), ("contact", "With contact details")]
    STATUSES = [("new", "New"), ("open", "Open"), ("waiting", "Waiting"), ("closed", "Closed")]

    reference = models.CharField(max_length=16, unique=True)
    route = models.CharField(max_length=16, choices=ROUTES)
    status = models.CharField(max_length=16, choices=STATUSES)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    last_reporter_message_at = models.DateTimeField(null=True, blank=True)
    awaiting_reply = models.BooleanField(default=False)
    overdue = models.BooleanField(default=False)

    class Meta:
        ordering = ["-awaiting_reply", "created_at"]

    def __str__(self):
        return self.reference
