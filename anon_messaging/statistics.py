"""Figures for the institution: counts of cases, aggregated in the database, suppressed.

Only the triage fields and the case's own dates, route and status are read, always as
counts grouped in the database (``values()`` and ``Count``): no case is loaded, and no
report, message or note is decrypted. Every number goes through ``disclosure.py`` before
it leaves this module, so a count from 1 to the site's threshold (and any count that
would give one away) reaches nobody: the admin's statistics, the CSV and the public
statistics page all read a ``Report`` from ``build_report``.

A period is an academic year, starting in the month the site's ``ReportingSettings``
give; it is shown by month or by term (three terms of four months). Fixed periods only:
any two overlapping periods of free choice could be subtracted from each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Case as When_
from django.db.models import Count, F, IntegerField, Min, Q, Value, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from . import deadlines, disclosure, reporting_settings
from .conf import get_setting
from .models import Case, CaseCategory, CaseOutcome, LocationType

BY_MONTH = "month"
BY_TERM = "term"
GRANULARITIES = [(BY_MONTH, gettext_lazy("By month")), (BY_TERM, gettext_lazy("By term"))]
MONTHS_PER_TERM = 4

# Every table, in the order shown: key, title, what it counts.
FIGURES = [
    ("received", gettext_lazy("Reports received")),
    ("route", gettext_lazy("Reports by route")),
    ("category", gettext_lazy("Reports by category")),
    ("location", gettext_lazy("Reports by location type")),
    ("outcome", gettext_lazy("Closed cases by outcome")),
    ("status", gettext_lazy("Open and closed")),
    ("first_reply", gettext_lazy("First reply within the promised time")),
    ("acknowledgement", gettext_lazy("Acknowledged within 7 days (statutory)")),
    ("feedback", gettext_lazy("Feedback within 3 months (statutory)")),
    ("messaging", gettext_lazy("Anonymous reports choosing messaging")),
]
FIGURE_KEYS = [key for key, _title in FIGURES]
STATUTORY_FIGURES = ("acknowledgement", "feedback")


# --- Periods -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AcademicYear:
    start: datetime  # aware, midnight on the 1st of the start month in the site's zone
    end: datetime

    @property
    def first_year(self):
        return self.start.year

    @property
    def label(self):
        # "2025 to 2026"; a year starting in January is just "2026".
        if self.start.month == 1:
            return str(self.start.year)
        return gettext("%(first)s to %(second)s") % {
            "first": self.start.year,
            "second": self.start.year + 1,
        }

    def months(self):
        """The first day of each of its 12 months, in order (aware, site zone)."""
        return [_add_months(self.start, offset) for offset in range(12)]


def _add_months(moment, months):
    index = moment.month - 1 + months
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1, day=1)


def academic_year(first_year, start_month, tz):
    start = datetime(first_year, start_month, 1, tzinfo=tz)
    return AcademicYear(start=start, end=_add_months(start, 12))


def current_academic_year(start_month, tz, now=None):
    local = (now or timezone.now()).astimezone(tz)
    first_year = local.year if local.month >= start_month else local.year - 1
    return academic_year(first_year, start_month, tz)


def available_years(site_settings, tz, now=None, earliest=None):
    """The academic years with cases (newest first), always including the current one."""
    current = current_academic_year(site_settings.academic_year_start_month, tz, now)
    first = current.first_year
    if earliest is not None:
        first = current_academic_year(
            site_settings.academic_year_start_month, tz, earliest
        ).first_year
    return [
        academic_year(year, site_settings.academic_year_start_month, tz)
        for year in range(current.first_year, max(first, current.first_year - 20) - 1, -1)
    ]


@dataclass(frozen=True)
class Column:
    label: str
    months: tuple  # indexes 0..11 of the year's months it covers


def columns_for(year, granularity):
    months = year.months()
    if granularity == BY_TERM:
        return [
            Column(
                gettext("Term %(number)d (%(first)s to %(last)s)")
                % {
                    "number": term + 1,
                    "first": date_format(months[term * MONTHS_PER_TERM], "F"),
                    "last": date_format(months[term * MONTHS_PER_TERM + MONTHS_PER_TERM - 1], "F"),
                },
                tuple(range(term * MONTHS_PER_TERM, (term + 1) * MONTHS_PER_TERM)),
            )
            for term in range(12 // MONTHS_PER_TERM)
        ]
    return [Column(date_format(month, "M Y"), (index,)) for index, month in enumerate(months)]


# --- What is shown -------------------------------------------------------------------------


def small_number_text(threshold):
    """How every hidden count reads: "hidden". One word for all of them: a count hidden
    because it is small and one hidden only to protect it must look alike, or the two
    kinds together could give a small one away. The legend says which counts are small
    (``threshold``)."""
    return gettext("hidden")


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    row_labels: list
    columns: list
    table: disclosure.SuppressedTable
    # False where the rows overlap (a case with two categories counts in both), so the
    # totals row counts rows' entries, not reports.
    rows_partition: bool = True
    note: str = ""


@dataclass(frozen=True)
class Summary:
    label: str
    text: str  # a shown number in words, or why it is not shown


@dataclass(frozen=True)
class Report:
    year: AcademicYear
    granularity: str
    threshold: int
    figures: list
    summaries: list

    @property
    def hidden_text(self):
        return small_number_text(self.threshold)

    def figure(self, key):
        return next((figure for figure in self.figures if figure.key == key), None)


# --- Counting in the database --------------------------------------------------------------


def _cases_in(year, site_id):
    cases = Case.objects.filter(created_at__gte=year.start, created_at__lt=year.end)
    if site_id is not None:
        cases = cases.filter(site_id=site_id)
    return cases


def _month_of_year(year):
    """0..11: the month of the year a case arrived in, as comparisons with the months'
    first moments (in the site's zone). Plain comparisons on an indexed column: no
    per-row date function, which SQLite would run in Python for every row."""
    starts = year.months()[1:]
    return When_(
        *[When(created_at__lt=start, then=Value(index)) for index, start in enumerate(starts)],
        default=Value(len(starts)),
        output_field=IntegerField(),
    )


def _one_per_case_cells(now, location_ids):
    """``{(table, row): condition}`` for every row of the tables in which each case counts
    once: the database counts each condition per month in one pass."""
    closed = Q(status=Case.Status.CLOSED)
    anonymous = Q(route=Case.Route.ANONYMOUS)
    cells = {("received", "all"): Q()}
    cells.update({("route", route): Q(route=route) for route in Case.Route.values})
    cells.update({("location", pk): Q(location_type_id=pk) for pk in location_ids})
    cells[("location", None)] = Q(location_type__isnull=True)
    cells[("status", "open")] = ~closed
    cells[("status", "closed")] = closed
    cells[("first_reply", "met")] = Q(first_reply_on_time=True)
    cells[("first_reply", "late")] = Q(first_reply_on_time=False)
    cells[("first_reply", "none")] = Q(first_reply_on_time__isnull=True)
    acknowledged_in_time = Q(acknowledged_at__lte=F("acknowledgement_due_at"))
    not_yet_due = Q(acknowledged_at__isnull=True) & Q(
        created_at__gt=now - timedelta(days=deadlines.ACKNOWLEDGEMENT_DAYS)
    )
    cells[("acknowledgement", "met")] = acknowledged_in_time
    cells[("acknowledgement", "pending")] = ~acknowledged_in_time & not_yet_due
    cells[("acknowledgement", "missed")] = ~acknowledged_in_time & ~not_yet_due
    fed_back = closed & Q(closed_at__lte=F("feedback_due_at"))
    feedback_pending = ~closed & Q(feedback_due_at__gt=now)
    cells[("feedback", "met")] = fed_back
    cells[("feedback", "pending")] = feedback_pending
    cells[("feedback", "missed")] = ~fed_back & ~feedback_pending
    cells[("messaging", True)] = anonymous & Q(messaging_enabled=True)
    cells[("messaging", False)] = anonymous & Q(messaging_enabled=False)
    return cells


def _case_counts(cases, year, cells):
    """One query, one row per month: ``Count`` of every cell's condition (conditional
    aggregation, so the database does the counting and Python reads 12 rows)."""
    names = {f"cell_{index}": key for index, key in enumerate(cells)}
    rows = (
        cases.annotate(month=_month_of_year(year))
        .values("month")
        .annotate(
            **{
                name: Count("pk", filter=cells[key]) if cells[key] else Count("pk")
                for name, key in names.items()
            }
        )
        .order_by()
    )
    return [
        (row["month"], key, row[name]) for row in rows for name, key in names.items() if row[name]
    ]


def _pair_rows(cases, relation, year):
    """Counts per month and per related row (categories, outcomes): one grouped query."""
    return list(
        cases.annotate(month=_month_of_year(year))
        .values("month", relation)
        .annotate(count=Count("pk"))
        .order_by()
    )


def _median_working_days(cases, replied):
    """The median working days to a first reply, from the ``replied`` cases: the middle
    one or two values, read by the database in order (no case is loaded). One query
    whatever ``replied`` is, so the page's queries do not depend on the figures."""
    values = list(
        cases.filter(first_reply_working_days__isnull=False)
        .order_by("first_reply_working_days")
        .values_list("first_reply_working_days", flat=True)[
            max(0, (replied - 1) // 2) : max(1, replied // 2 + 1)
        ]
    )
    if not values:
        return None
    return sum(values) / len(values)


# --- Building the report -------------------------------------------------------------------


class _Grid:
    """Counts for one table: rows by key, and 12 months."""

    def __init__(self, row_keys):
        self.row_keys = list(row_keys)
        self.counts = {key: [0] * 12 for key in self.row_keys}

    def add(self, row_key, month, count):
        if month is None or not 0 <= month < 12:
            return
        if row_key not in self.counts:
            self.row_keys.append(row_key)
            self.counts[row_key] = [0] * 12
        self.counts[row_key][month] += count

    def table(self, columns):
        return [
            [sum(self.counts[key][month] for month in column.months) for column in columns]
            for key in self.row_keys
        ]


def _suppressed_views(month_tables, term_tables, terms, threshold):
    """The month view and the term view of the same tables, suppressed so that neither
    works out a number the other hides: each alone (``disclosure.suppress_tables``), a
    term holding a hidden month hidden, and a month view that shows every month of a
    hidden term (or a total the term view hides) made to hide one more, until the two
    agree. Each round only hides more, so it ends."""
    forced = [set() for _table in month_tables]
    while True:
        by_month = disclosure.suppress_tables(month_tables, threshold, forced=forced)
        by_term = disclosure.suppress_tables(
            term_tables,
            threshold,
            forced=[disclosure.hidden_when_coarsened(table, terms) for table in by_month],
        )
        more = [
            disclosure.hidden_when_refined(coarse, fine, terms)
            for coarse, fine in zip(by_term, by_month, strict=True)
        ]
        grown = [own | extra for own, extra in zip(forced, more, strict=True)]
        if grown == forced:  # nothing more to hide: the views agree
            return by_month, by_term
        forced = grown


def build_report(site_id, *, year=None, granularity=BY_MONTH, figures=None, now=None):
    """The suppressed figures of ``site_id`` (None: every site) for ``year`` (default the
    current academic year), by month or term. A constant number of queries."""
    now = now or timezone.now()
    site_settings = reporting_settings.for_site(site_id)
    tz = deadlines.policy_for_site(site_id).tz
    threshold = disclosure.valid_threshold(site_settings.statistics_threshold)
    year = year or current_academic_year(site_settings.academic_year_start_month, tz, now)
    # Both views are suppressed together, whichever is shown (``_suppressed_views``), so
    # that the month and the term view, read side by side, give nothing away.
    columns = columns_for(year, BY_MONTH)
    shown_columns = columns_for(year, granularity)
    wanted = [key for key in (figures or FIGURE_KEYS) if key in FIGURE_KEYS]
    if not site_settings.statutory_deadlines:
        wanted = [key for key in wanted if key not in STATUTORY_FIGURES]

    cases = _cases_in(year, site_id)
    location_names = {item.pk: item.name for item in LocationType.objects.all()}
    route_labels = dict(Case.Route.choices)
    grids = {
        "received": _Grid(["all"]),
        "route": _Grid(Case.Route.values),
        "location": _Grid([*location_names, None]),
        "status": _Grid(["open", "closed"]),
        "first_reply": _Grid(["met", "late", "none"]),
        "acknowledgement": _Grid(["met", "missed", "pending"]),
        "feedback": _Grid(["met", "missed", "pending"]),
        "messaging": _Grid([True, False]),
    }
    cells = _one_per_case_cells(now, list(location_names))
    for month, (table, row_key), count in _case_counts(cases, year, cells):
        grids[table].add(row_key, month, count)

    category_names = {item.pk: item.name for item in CaseCategory.objects.all()}
    grids["category"] = _Grid([*category_names, None])
    if "category" in wanted:
        for row in _pair_rows(cases, "categories", year):
            grids["category"].add(row["categories"], row["month"], row["count"])
    outcome_names = {item.pk: item.name for item in CaseOutcome.objects.all()}
    grids["outcome"] = _Grid(list(outcome_names))
    if "outcome" in wanted:
        closed = cases.filter(status=Case.Status.CLOSED)
        for row in _pair_rows(closed, "outcomes", year):
            if row["outcomes"] is not None:
                grids["outcome"].add(row["outcomes"], row["month"], row["count"])

    labels = {
        "received": {"all": gettext("Reports received")},
        "route": route_labels,
        "location": {**location_names, None: gettext("Not recorded")},
        "category": {**category_names, None: gettext("No category")},
        "outcome": outcome_names,
        "status": {"open": gettext("Open"), "closed": gettext("Closed")},
        "first_reply": {
            "met": gettext("First reply within the promised time"),
            "late": gettext("First reply later than promised"),
            "none": gettext("No reply yet"),
        },
        "acknowledgement": {
            "met": gettext("Acknowledged within 7 days"),
            "missed": gettext("Acknowledged later, or not and overdue"),
            "pending": gettext("Not acknowledged yet, not due yet"),
        },
        "feedback": {
            "met": gettext("Closed within the feedback deadline"),
            "missed": gettext("Closed later, or open and overdue"),
            "pending": gettext("Open, not due yet"),
        },
        "messaging": {True: gettext("Chose messaging"), False: gettext("Did not")},
    }
    partition_of_received = {"location", "status", "first_reply", "acknowledgement", "feedback"}

    # Every table, suppressed together: the same number in two tables is hidden in both.
    def tables_for(columns):
        keys = list(grids)
        tables = []
        for key in keys:
            grid = grids[key]
            counts = grid.table(columns)
            width, height = len(columns), len(grid.row_keys)
            identities = {}
            if key == "received" or key in partition_of_received:
                for j in range(width):
                    identities[(height, j)] = ("received", j)
                identities[(height, width)] = ("received", "all")
            if key == "received":
                for j in range(width):
                    identities[(0, j)] = ("received", j)
                identities[(0, width)] = ("received", "all")
            if key == "route":
                for i, route in enumerate(grid.row_keys):
                    for j in range(width):
                        identities[(i, j)] = ("route", route, j)
                    identities[(i, width)] = ("route", route, "all")
                for j in range(width):
                    identities[(height, j)] = ("received", j)
                identities[(height, width)] = ("received", "all")
            if key == "messaging":
                for j in range(width):
                    identities[(height, j)] = ("route", Case.Route.ANONYMOUS, j)
                identities[(height, width)] = ("route", Case.Route.ANONYMOUS, "all")
            tables.append(disclosure.Table(counts=counts, identities=identities, width=width))
        return tables

    keys = list(grids)
    by_month, by_term = _suppressed_views(
        tables_for(columns),
        tables_for(columns_for(year, BY_TERM)),
        [column.months for column in columns_for(year, BY_TERM)],
        threshold,
    )
    suppressed = by_month if granularity == BY_MONTH else by_term
    suppressed = dict(zip(keys, suppressed, strict=True))

    titles = dict(FIGURES)
    shown = []
    for key in wanted:
        note = ""
        if key in ("category", "outcome"):
            note = gettext(
                "A case with more than one %(kind)s counts once under each, so the totals "
                "count entries, not cases."
            ) % {"kind": gettext("category") if key == "category" else gettext("outcome")}
        shown.append(
            Figure(
                key=key,
                title=str(titles[key]),
                row_labels=[str(labels[key].get(row, row)) for row in grids[key].row_keys],
                columns=[column.label for column in shown_columns],
                table=suppressed[key],
                rows_partition=key not in ("category", "outcome"),
                note=note,
            )
        )
    replied = sum(sum(grids["first_reply"].counts[key]) for key in ("met", "late"))
    summaries = _summaries(suppressed, cases, threshold, wanted, replied)
    return Report(
        year=year, granularity=granularity, threshold=threshold, figures=shown, summaries=summaries
    )


def _share(part, whole):
    """ "42%" of two shown counts; None when either is hidden or the whole is 0."""
    if part.suppressed or whole.suppressed or not whole.value:
        return None
    return gettext("%(percent)d%%") % {"percent": round(100 * part.value / whole.value)}


def _summaries(suppressed, cases, threshold, wanted, all_replied):
    hidden = gettext("not shown: too few cases to show without singling anyone out")
    summaries = []
    if "first_reply" in wanted:
        table = suppressed["first_reply"]
        met, late = table.row_totals[0], table.row_totals[1]
        replied = None if met.suppressed or late.suppressed else met.value + late.value
        share = None
        if replied:
            share = _share(met, disclosure.Cell(replied))
        summaries.append(
            Summary(gettext("First replies within the promised time"), share or hidden)
        )
        median = _median_working_days(cases, all_replied)
        if not (replied and replied > threshold):
            median = None
        summaries.append(
            Summary(
                gettext("Median time to a first reply"),
                gettext("%(days)s working days") % {"days": f"{median:.1f}"}
                if median is not None
                else hidden,
            )
        )
    for key, label in (
        ("acknowledgement", gettext("Acknowledged within 7 days")),
        ("feedback", gettext("Closed within the feedback deadline")),
    ):
        if key in wanted:
            table = suppressed[key]
            met, missed = table.row_totals[0], table.row_totals[1]
            due = None if met.suppressed or missed.suppressed else met.value + missed.value
            share = _share(met, disclosure.Cell(due)) if due else None
            summaries.append(Summary(label, share or hidden))
    if "messaging" in wanted:
        table = suppressed["messaging"]
        share = _share(table.row_totals[0], table.grand_total)
        summaries.append(
            Summary(gettext("Anonymous reporters choosing messaging"), share or hidden)
        )
    return summaries


# --- Cached, for public pages ----------------------------------------------------------------


def cached_report(site_id, *, first_year=None, granularity=BY_MONTH, figures=None):
    """``build_report`` kept in Django's cache for ``STATISTICS_CACHE_SECONDS``."""
    site_settings = reporting_settings.for_site(site_id)
    tz = deadlines.policy_for_site(site_id).tz
    year = None
    if first_year:
        year = academic_year(first_year, site_settings.academic_year_start_month, tz)
    key = "anon_messaging:statistics:{}:{}:{}:{}:{}:{}".format(
        site_id,
        first_year or "current",
        granularity,
        ",".join(figures or FIGURE_KEYS),
        site_settings.statistics_threshold,
        site_settings.academic_year_start_month,
    )
    report = cache.get(key)
    if report is None:
        report = build_report(site_id, year=year, granularity=granularity, figures=figures)
        cache.set(key, report, get_setting("STATISTICS_CACHE_SECONDS"))
    return report


def earliest_case(site_id):
    cases = Case.objects.all() if site_id is None else Case.objects.filter(site_id=site_id)
    return cases.aggregate(first=Min("created_at"))["first"]


# --- Charts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    y: int
    width: int  # 0 for a hidden count: a bar's length would give it away


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart's geometry; ``includes/statistics_figure.html`` draws it as SVG."""

    title: str
    bars: list
    height: int
    label_width: int = 260
    bar_area: int = 300
    bar_height: int = 20
    row_height: int = 30

    @property
    def width(self):
        return self.label_width + self.bar_area + 140


def cell_text(cell, hidden_text):
    return hidden_text if cell.suppressed else str(cell.value)


def chart_for(figure, hidden_text):
    """Bars of the figure's rows over the whole period; of its periods for a one-row table."""
    if len(figure.row_labels) == 1:
        pairs = list(zip(figure.columns, figure.table.body[0], strict=True))
        title = gettext("%(title)s, by period") % {"title": figure.title}
    else:
        pairs = list(zip(figure.row_labels, figure.table.row_totals, strict=True))
        title = gettext("%(title)s, over the year") % {"title": figure.title}
    largest = max((cell.value for _label, cell in pairs if not cell.suppressed), default=0)
    geometry = Chart(title=title, bars=[], height=0)
    bars = [
        Bar(
            label=str(label),
            text=cell_text(cell, hidden_text),
            y=index * geometry.row_height,
            width=0
            if cell.suppressed or not largest
            else max(1, round(geometry.bar_area * cell.value / largest)),
        )
        for index, (label, cell) in enumerate(pairs)
    ]
    return Chart(title=title, bars=bars, height=max(1, len(bars)) * geometry.row_height)


def csv_rows(report):
    """Exactly what the page shows, as rows of text: one block per figure, hidden counts
    in words. The caller neutralises formulas (``security.neutralise_formula``)."""
    hidden = report.hidden_text
    rows = [[gettext("Academic year"), report.year.label]]
    for figure in report.figures:
        rows.append([])
        rows.append([figure.title])
        rows.append(["", *figure.columns, gettext("Total")])
        for label, cells, total in zip(
            figure.row_labels, figure.table.body, figure.table.row_totals, strict=True
        ):
            rows.append(
                [label, *(cell_text(cell, hidden) for cell in cells), cell_text(total, hidden)]
            )
        if len(figure.row_labels) > 1:
            rows.append(
                [
                    gettext("Total"),
                    *(cell_text(cell, hidden) for cell in figure.table.column_totals),
                    cell_text(figure.table.grand_total, hidden),
                ]
            )
        if figure.note:
            rows.append([figure.note])
    rows.append([])
    for summary in report.summaries:
        rows.append([summary.label, summary.text])
    return rows


@dataclass(frozen=True)
class ShownFigure:
    """A figure in words for a template: its table's rows of text and its chart."""

    figure: Figure
    chart: Chart
    rows: list  # (label, [cell texts], total text)
    totals: list | None  # [cell texts] + [grand total], or None for a one-row table


def for_display(report):
    hidden = report.hidden_text
    shown = []
    for figure in report.figures:
        rows = [
            (label, [cell_text(cell, hidden) for cell in cells], cell_text(total, hidden))
            for label, cells, total in zip(
                figure.row_labels, figure.table.body, figure.table.row_totals, strict=True
            )
        ]
        totals = None
        if len(figure.row_labels) > 1:
            totals = [cell_text(cell, hidden) for cell in figure.table.column_totals] + [
                cell_text(figure.table.grand_total, hidden)
            ]
        shown.append(
            ShownFigure(figure=figure, chart=chart_for(figure, hidden), rows=rows, totals=totals)
        )
    return shown
