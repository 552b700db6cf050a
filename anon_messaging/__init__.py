"""Anonymous reporting and messaging for Wagtail sites."""

__version__ = "0.1.0"
