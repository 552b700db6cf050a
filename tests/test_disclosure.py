"""Small-number suppression (anon_messaging/disclosure.py), property-based.

For any table of counts: no count from 1 to the threshold is shown, and no hidden cell
can be worked out from what is shown. "Worked out" is checked here independently of the
module's own reasoning, by linear algebra over the rationals: a hidden cell is
recoverable exactly when its unit vector lies in the row space of the equations (each
row, each column and the totals) that the shown numbers leave.
"""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from anon_messaging import disclosure

THRESHOLDS = st.integers(min_value=2, max_value=7)
# Mostly small counts, where suppression has work to do, with some large ones and zeros.
COUNT = st.one_of(st.integers(0, 9), st.integers(0, 60))


def tables(max_rows=6, max_columns=7):
    return st.integers(1, max_rows).flatmap(
        lambda rows: st.integers(1, max_columns).flatmap(
            lambda columns: st.lists(
                st.lists(COUNT, min_size=columns, max_size=columns),
                min_size=rows,
                max_size=rows,
            )
        )
    )


def equations(grid, hidden):
    """The table's equations in the hidden cells: ``(coefficients, constant)`` per line."""
    rows, columns = len(grid) - 1, len(grid[0]) - 1
    unknowns = sorted(hidden)
    index = {position: k for k, position in enumerate(unknowns)}
    lines = [[(i, j) for j in range(columns)] + [(i, columns)] for i in range(rows + 1)]
    lines += [[(i, j) for i in range(rows)] + [(rows, j)] for j in range(columns + 1)]
    result = []
    for line in lines:
        *parts, total = line
        coefficients = [Fraction(0)] * len(unknowns)
        constant = Fraction(0)
        for position, sign in [(p, 1) for p in parts] + [(total, -1)]:
            if position in index:
                coefficients[index[position]] += sign
            else:
                constant -= sign * grid[position[0]][position[1]]
        result.append((coefficients, constant))
    return unknowns, result


def rank(vectors):
    rows = [list(vector) for vector in vectors if any(vector)]
    rank_found, column = 0, 0
    width = len(rows[0]) if rows else 0
    while rank_found < len(rows) and column < width:
        pivot = next((r for r in range(rank_found, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            column += 1
            continue
        rows[rank_found], rows[pivot] = rows[pivot], rows[rank_found]
        for r in range(len(rows)):
            if r != rank_found and rows[r][column] != 0:
                factor = rows[r][column] / rows[rank_found][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank_found], strict=True)]
        rank_found += 1
        column += 1
    return rank_found


def recoverable(grid, hidden):
    """The hidden cells whose value the shown cells and the totals fix."""
    unknowns, lines = equations(grid, hidden)
    matrix = [coefficients for coefficients, _constant in lines]
    base = rank(matrix)
    found = []
    for k, position in enumerate(unknowns):
        unit = [Fraction(int(n == k)) for n in range(len(unknowns))]
        if rank([*matrix, unit]) == base:
            found.append(position)
    return found


@settings(max_examples=300, deadline=None)
@given(tables(), THRESHOLDS)
def test_no_small_count_is_shown_and_no_hidden_count_is_recoverable(counts, threshold):
    table = disclosure.Table(counts=counts)
    grid = table.with_margins()
    (result,) = disclosure.suppress_tables([table], threshold)
    hidden = set()
    for i, row in enumerate(result.cells):
        for j, cell in enumerate(row):
            if cell.suppressed:
                assert cell.value is None  # the number itself never leaves the module
                hidden.add((i, j))
            else:
                assert cell.value == grid[i][j]
                assert not disclosure.is_small(cell.value, threshold)
    assert recoverable(grid, hidden) == []


@settings(max_examples=150, deadline=None)
@given(tables(max_rows=4, max_columns=5), tables(max_rows=4, max_columns=5), THRESHOLDS)
def test_a_number_shared_by_two_tables_is_hidden_in_both_or_in_neither(first, second, threshold):
    # Two tables whose grand totals count the same thing (as every table's totals row
    # counts the reports received): made equal, and linked by identity.
    difference = sum(map(sum, first)) - sum(map(sum, second))
    if difference > 0:
        second[0][0] += difference
    else:
        first[0][0] -= difference
    tables = [
        disclosure.Table(counts=first, identities={(len(first), len(first[0])): "all"}),
        disclosure.Table(counts=second, identities={(len(second), len(second[0])): "all"}),
    ]
    results = disclosure.suppress_tables(tables, threshold)
    assert results[0].grand_total.suppressed == results[1].grand_total.suppressed
    for table, result in zip(tables, results, strict=True):
        hidden = {
            (i, j)
            for i, row in enumerate(result.cells)
            for j, cell in enumerate(row)
            if cell.suppressed
        }
        assert recoverable(table.with_margins(), hidden) == []


def test_a_lone_small_cell_takes_a_second_cell_with_it():
    # 3 in a row whose total is shown would be 20 - 17: its neighbour is hidden too.
    (result,) = disclosure.suppress_tables([disclosure.Table(counts=[[3, 17], [10, 10]])], 4)
    assert result.cells[0][0].suppressed
    hidden = sum(cell.suppressed for row in result.cells for cell in row)
    assert hidden >= 4  # a cycle: two in its row, two in another


def test_zeros_and_large_counts_alone_are_shown():
    (result,) = disclosure.suppress_tables([disclosure.Table(counts=[[0, 12], [30, 5]])], 4)
    assert [cell.value for cell in result.cells[0]] == [0, 12, 12]


def test_the_threshold_is_never_below_two():
    assert disclosure.valid_threshold(1) == 2
    assert disclosure.valid_threshold(0) == 2
    assert disclosure.valid_threshold(None) == disclosure.DEFAULT_THRESHOLD
    (result,) = disclosure.suppress_tables([disclosure.Table(counts=[[2, 40], [40, 40]])], 1)
    assert result.cells[0][0].suppressed


@settings(max_examples=150, deadline=None)
@given(tables(max_rows=4, max_columns=8), THRESHOLDS, st.integers(1, 4))
def test_a_coarser_view_shows_only_sums_of_shown_cells(counts, threshold, width):
    """Terms from months: every shown term is a sum of shown months (the two views cannot
    be compared to work a month out), and no hidden term can be worked out within the
    term view itself (a new user found one, by subtracting shown zeros from the total)."""
    (fine,) = disclosure.suppress_tables([disclosure.Table(counts=counts)], threshold)
    columns = len(counts[0])
    groups = [list(range(start, min(start + width, columns))) for start in range(0, columns, width)]
    coarse_counts = [[sum(row[index] for index in group) for group in groups] for row in counts]
    (coarse,) = disclosure.suppress_tables(
        [disclosure.Table(counts=coarse_counts)],
        threshold,
        forced=[disclosure.hidden_when_coarsened(fine, groups)],
    )
    for fine_row, coarse_row in zip(fine.cells, coarse.cells, strict=True):
        if not fine_row[-1].suppressed and not coarse_row[-1].suppressed:
            assert coarse_row[-1] == fine_row[-1]
        assert not fine_row[-1].suppressed or coarse_row[-1].suppressed
        for group, cell in zip(groups, coarse_row[:-1], strict=True):
            parts = [fine_row[index] for index in group]
            if cell.suppressed:
                assert cell.value is None
            else:
                assert not any(part.suppressed for part in parts)
                assert cell.value == sum(part.value for part in parts)
                assert not disclosure.is_small(cell.value, threshold)
    grid = disclosure.Table(counts=coarse_counts).with_margins()
    hidden = {
        (i, j)
        for i, row in enumerate(coarse.cells)
        for j, cell in enumerate(row)
        if cell.suppressed
    }
    assert recoverable(grid, hidden) == []
