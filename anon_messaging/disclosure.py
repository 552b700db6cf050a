"""Small-number suppression for published counts: the one home of the rule.

Pure functions on plain numbers, so the rule can be tested exhaustively and nothing here
can reach a case. The method follows the UK Government Statistical Service's *Disclosure
control guidance for tables produced from administrative data sources* (ONS, 2014):
threshold-based primary suppression of small cells, then secondary (complementary)
suppression so that no hidden cell can be worked out from the totals or other cells.

* **Primary suppression.** Every count from 1 to ``threshold`` is hidden. Zero is shown:
  a zero singles nobody out.
* **Secondary suppression.** A table is shown with its row totals, column totals and
  grand total. Those are linear equations: a hidden cell that is the only hidden one
  in its row or column is recovered by subtraction, and more subtly a hidden cell is
  fixed exactly whenever it lies on no cycle of hidden cells. Treat the rows (and the
  totals row) as one set of nodes, the columns (and the totals column) as another, and
  each hidden cell as an edge between its row and its column: after negating the
  totals' equations, every equation has the form "the edges at this node sum to zero",
  so the values the hidden cells can take differ only along cycles. A hidden cell is
  determined exactly when its edge is a *bridge* of that graph. Hidden cells are added,
  the smallest first, until there is no bridge. Only non-zero cells are hidden, so every
  cycle can move by one either way and each hidden cell has at least two possible values.
* **Linked tables.** The same number shown in two tables (reports received per month is
  every table's totals row) is hidden in all of them or in none:
  ``suppress_tables`` repeats until the hidden identities agree.

* **Coarser views.** A coarser view of the same counts (terms from months) hides every
  cell that adds up a hidden fine one (``hidden_when_coarsened``), so the two views
  cannot be played against each other, and is then suppressed like any table, so no
  hidden cell can be worked out within it.

A hidden cell leaves here as ``Cell(value=None, suppressed=True)``: the number itself is
never handed to a template, a chart or a CSV writer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

DEFAULT_THRESHOLD = 4
MINIMUM_THRESHOLD = 2

__all__ = [
    "Cell",
    "hidden_when_coarsened",
    "DEFAULT_THRESHOLD",
    "MINIMUM_THRESHOLD",
    "SuppressedTable",
    "Table",
    "hidden_positions",
    "is_small",
    "suppress_tables",
    "valid_threshold",
]


def valid_threshold(threshold):
    """The threshold to apply: never below ``MINIMUM_THRESHOLD``."""
    try:
        threshold = int(threshold)
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD
    return max(MINIMUM_THRESHOLD, threshold)


def is_small(value, threshold):
    """A count that could single someone out: from 1 to ``threshold``."""
    return 1 <= value <= threshold


@dataclass(frozen=True)
class Cell:
    """One shown number, or a hidden one without its value."""

    value: int | None
    suppressed: bool = False


@dataclass
class Table:
    """Counts to publish: ``counts[i][j]`` for row ``i`` and column ``j``, non-negative.

    ``identities`` optionally names cells of the table with its margins (positions
    ``(i, j)`` where ``i == len(rows)`` is the totals row and ``j == len(columns)`` the
    totals column) by what they count, so linked tables hide the same numbers.
    """

    counts: list[list[int]]
    identities: dict[tuple[int, int], object] = field(default_factory=dict)
    # The number of columns, for a table with no rows (an empty list of outcomes).
    width: int | None = None

    @property
    def shape(self):
        rows = len(self.counts)
        return rows, (len(self.counts[0]) if rows else self.width or 0)

    def with_margins(self):
        """The counts with a totals column and a totals row: ``(rows + 1) x (columns + 1)``."""
        rows, columns = self.shape
        grid = [list(row) + [sum(row)] for row in self.counts]
        totals = [sum(self.counts[i][j] for i in range(rows)) for j in range(columns)]
        grid.append(totals + [sum(totals)])
        return grid


@dataclass(frozen=True)
class SuppressedTable:
    """What may be shown: the cells with margins, hidden ones without a value."""

    cells: tuple[tuple[Cell, ...], ...]

    @property
    def body(self):
        """The rows without the totals row, each without its total."""
        return [row[:-1] for row in self.cells[:-1]]

    @property
    def row_totals(self):
        return [row[-1] for row in self.cells[:-1]]

    @property
    def column_totals(self):
        return list(self.cells[-1][:-1])

    @property
    def grand_total(self):
        return self.cells[-1][-1]


def _graph(hidden):
    adjacency = defaultdict(list)
    for i, j in hidden:
        adjacency[("r", i)].append(("c", j))
        adjacency[("c", j)].append(("r", i))
    return adjacency


def _bridges(hidden):
    """The hidden cells that lie on no cycle of hidden cells (see the module docstring):
    the bridges of the graph, found in one depth-first pass (Tarjan's low-link)."""
    adjacency = _graph(hidden)
    order, low, found = {}, {}, []

    def visit(node, parent):
        order[node] = low[node] = len(order)
        for other in adjacency[node]:
            if other == parent:
                continue  # one cell per row and column pair, so no parallel edges
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                visit(other, node)
                low[node] = min(low[node], low[other])
                if low[other] > order[node]:
                    row, column = (node, other) if node[0] == "r" else (other, node)
                    found.append((row[1], column[1]))

    for node in sorted(adjacency):
        if node not in order:
            visit(node, None)
    return sorted(found)


def _side(adjacency, start, skipped):
    """The nodes reached from ``start`` without crossing the edge ``skipped``."""
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        for other in adjacency[node]:
            if {node, other} != skipped and other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def hidden_positions(grid, threshold, forced=()):
    """The positions of ``grid`` (counts with margins) to hide: the small ones, ``forced``
    ones, and enough others that no hidden cell is determined by the rest."""
    rows, columns = len(grid), len(grid[0]) if grid else 0
    hidden = {
        (i, j) for i in range(rows) for j in range(columns) if is_small(grid[i][j], threshold)
    }
    hidden |= {(i, j) for i, j in forced if grid[i][j] > 0}
    while True:
        bridges = _bridges(hidden)
        if not bridges:
            return hidden
        i, j = bridges[0]
        # Hiding a cell that joins the bridge's two sides puts the bridge on a cycle.
        adjacency = _graph(hidden)
        edge = {("r", i), ("c", j)}
        row_side = _side(adjacency, ("r", i), edge)
        column_side = _side(adjacency, ("c", j), edge)
        candidates = [
            (grid[i][k], (i, k)) for k in range(columns) if (i, k) not in hidden and grid[i][k]
        ] + [(grid[k][j], (k, j)) for k in range(rows) if (k, j) not in hidden and grid[k][j]]
        closing = [
            (value, (a, b))
            for value, (a, b) in candidates
            if (("r", a) in row_side and ("c", b) in column_side)
            or (("r", a) in column_side and ("c", b) in row_side)
        ]
        # The smallest cell that closes a cycle; else the smallest in the bridge's lines;
        # else the smallest anywhere. Each step hides one more non-zero cell, and with
        # every non-zero cell hidden there is no bridge, so this ends.
        if closing:
            hidden.add(min(closing)[1])
            continue
        if candidates:
            hidden.add(min(candidates)[1])
            continue
        rest = [
            (grid[a][b], (a, b))
            for a in range(rows)
            for b in range(columns)
            if (a, b) not in hidden and grid[a][b]
        ]
        hidden.add(min(rest)[1])


def suppress_tables(tables, threshold, forced=None):
    """``SuppressedTable`` for each ``Table``, linked by their ``identities``; ``forced``
    (a set of positions per table, or None) hides those cells too, where non-zero."""
    threshold = valid_threshold(threshold)
    forced = forced or [set() for _table in tables]
    grids = [table.with_margins() for table in tables]
    hidden_identities = set()
    while True:
        results = []
        for table, grid, own in zip(tables, grids, forced, strict=True):
            linked = [
                position
                for position, identity in table.identities.items()
                if identity in hidden_identities
            ]
            results.append(hidden_positions(grid, threshold, [*linked, *own]))
        found = {
            table.identities[position]
            for table, hidden in zip(tables, results, strict=True)
            for position in hidden
            if position in table.identities
        }
        if found <= hidden_identities:
            break
        hidden_identities |= found
    return [
        SuppressedTable(
            cells=tuple(
                tuple(
                    Cell(None, True) if (i, j) in hidden else Cell(value)
                    for j, value in enumerate(row)
                )
                for i, row in enumerate(grid)
            )
        )
        for grid, hidden in zip(grids, results, strict=True)
    ]


def hidden_when_coarsened(table, groups):
    """The positions of a coarser view of the suppressed ``table`` (its columns added up in
    ``groups``, lists of column indexes; then the totals column) that must be hidden so
    that every number it shows is a sum of numbers ``table`` shows: comparing the two
    views then works out nothing the fine view hides. ``suppress_tables(...,
    forced=...)`` then hides enough more that no hidden cell of the coarse view can be
    worked out within it."""
    hidden = set()
    for i, row in enumerate(table.cells):
        for g, group in enumerate(groups):
            if any(row[index].suppressed for index in group):
                hidden.add((i, g))
        if row[-1].suppressed:
            hidden.add((i, len(groups)))
    return hidden


def hidden_when_refined(coarse, fine, groups):
    """The positions of the fine view ``fine`` (a suppressed table) to hide as well, so
    that no number the coarse view ``coarse`` hides (after its own suppression) can be
    added up from numbers the fine view shows. For a hidden coarse cell whose fine parts
    are all shown, the smallest non-zero part is hidden (the least lost); a hidden coarse
    total hides the same total in the fine view. Empty when the two views already agree;
    ``suppress_tables(..., forced=...)`` then hides enough more within the fine view."""
    hidden = set()
    for i, (coarse_row, fine_row) in enumerate(zip(coarse.cells, fine.cells, strict=True)):
        for g, group in enumerate(groups):
            if not coarse_row[g].suppressed:
                continue
            parts = [index for index in group if fine_row[index].value]
            if parts and not any(fine_row[index].suppressed for index in group):
                hidden.add((i, min(parts, key=lambda index: (fine_row[index].value, index))))
        total = len(fine_row) - 1
        if coarse_row[len(groups)].suppressed and fine_row[total].value:
            hidden.add((i, total))
    return hidden
