"""The admin's Statistics area at /admin/reporting-statistics/: figures, charts and a CSV.

Only for users with ``permissions.VIEW_STATISTICS``; everyone else gets a 404, as for a
case they may not see. Every number comes suppressed from ``statistics.build_report``.
"""

import csv

from django import forms
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.models import Site

from .. import deadlines, permissions, reporting_settings, statistics
from ..security import neutralise_formula

URL_NAME = "anon_messaging_statistics"


class StatisticsForm(forms.Form):
    site = forms.TypedChoiceField(label=_("Site"), coerce=int, required=False)
    year = forms.TypedChoiceField(label=_("Academic year"), coerce=int, required=False)
    by = forms.ChoiceField(
        label=_("Show"), choices=statistics.GRANULARITIES, required=False, initial="month"
    )

    def __init__(self, *args, sites, years, **kwargs):
        super().__init__(*args, **kwargs)
        if len(sites) > 1:
            self.fields["site"].choices = [(site.pk, str(site)) for site in sites]
        else:
            del self.fields["site"]  # one site: nothing to choose
        self.fields["year"].choices = [(year.first_year, year.label) for year in years]


def statistics_site(request):
    """The site whose figures the area shows, with every site to choose from: the one
    chosen (``?site=``), else the default site (its settings and cases)."""
    sites = list(Site.objects.order_by("-is_default_site", "site_name", "hostname", "pk"))
    chosen = request.GET.get("site", "")
    site = next((site for site in sites if str(site.pk) == chosen), None)
    return (site or (sites[0] if sites else None)), sites


def statistics_view(request):
    if not permissions.may_see_statistics(request.user):
        raise Http404
    site, sites = statistics_site(request)
    site_id = site.pk if site is not None else None
    site_settings = reporting_settings.for_site(site_id)
    tz = deadlines.policy_for_site(site_id).tz
    years = statistics.available_years(
        site_settings, tz, earliest=statistics.earliest_case(site_id)
    )
    form = StatisticsForm(request.GET or None, sites=sites, years=years)
    year, granularity = years[0], statistics.BY_MONTH
    if form.is_valid():
        chosen = form.cleaned_data.get("year")
        year = next((item for item in years if item.first_year == chosen), years[0])
        granularity = form.cleaned_data.get("by") or statistics.BY_MONTH
    report = statistics.build_report(site_id, year=year, granularity=granularity)
    chosen_site = site if len(sites) > 1 else None
    if request.GET.get("format") == "csv":
        return csv_response(report, chosen_site)
    query = {"year": year.first_year, "by": granularity, "format": "csv"}
    if len(sites) > 1:
        query = {"site": site_id, **query}
    return TemplateResponse(
        request,
        "anon_messaging/admin/statistics.html",
        {
            "form": form,
            "report": report,
            "site": chosen_site,
            "shown_figures": statistics.for_display(report),
            "csv_url": reverse(URL_NAME) + "?" + "&".join(f"{k}={v}" for k, v in query.items()),
        },
    )


def csv_response(report, site=None):
    """The figures as CSV; where there are several sites, the file is named after its
    site (``slugify`` keeps the name safe in the header)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    site_part = f"{slugify(site.site_name or site.hostname)}-" if site is not None else ""
    response["Content-Disposition"] = (
        f'attachment; filename="statistics-{site_part}{report.year.first_year}-'
        f'{report.granularity}.csv"'
    )
    writer = csv.writer(response)
    for row in statistics.csv_rows(report):
        writer.writerow([neutralise_formula(cell) for cell in row])
    return response


def admin_urls():
    """For the ``register_admin_urls`` hook (the admin's own log-in and access check)."""
    return [path("reporting-statistics/", statistics_view, name=URL_NAME)]


class StatisticsMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.may_see_statistics(request.user)


def menu_item():
    """For the ``register_admin_menu_item`` hook."""
    return StatisticsMenuItem(
        gettext("Statistics"),
        reverse(URL_NAME),
        name="reporting-statistics",
        icon_name="table",
        order=160,
    )
