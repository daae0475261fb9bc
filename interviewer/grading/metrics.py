"""Agreement between grader scores and human scores, in plain Python.

Pearson r, Spearman rho (average ranks for ties), and the RMSE of a linear calibration
fitted leave-one-question-out: each question's rows are predicted by a line fitted on all
the other questions, so the figure says how far off a calibrated grader is on a question
it has never seen.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence


def _check(xs: Sequence[float], ys: Sequence[float]) -> None:
    if len(xs) != len(ys):
        raise ValueError(f"length mismatch: {len(xs)} vs {len(ys)}")


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation; NaN with fewer than two points or a constant series."""
    _check(xs, ys)
    if len(xs) < 2:
        return math.nan
    mx, my = mean(xs), mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return math.nan
    return sxy / math.sqrt(sxx * syy)


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, tied values sharing the average of their positions."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    position = 0
    while position < len(order):
        end = position
        while end + 1 < len(order) and values[order[end + 1]] == values[order[position]]:
            end += 1
        average = (position + end) / 2 + 1
        for k in range(position, end + 1):
            result[order[k]] = average
        position = end + 1
    return result


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    _check(xs, ys)
    return pearson(ranks(xs), ranks(ys))


def rmse(predicted: Sequence[float], actual: Sequence[float]) -> float:
    _check(predicted, actual)
    if not predicted:
        return math.nan
    return math.sqrt(sum((p - a) ** 2 for p, a in zip(predicted, actual)) / len(predicted))


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares (slope, intercept) of y on x; a flat line at mean(y) when x is constant."""
    _check(xs, ys)
    if not xs:
        raise ValueError("cannot fit a line to no points")
    mx, my = mean(xs), mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, my
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return slope, my - slope * mx


def leave_one_group_out_predictions(
    scores: Sequence[float], humans: Sequence[float], groups: Sequence[Hashable]
) -> list[float]:
    """Each row's human score predicted by a line fitted on the rows of every other group.
    With a single group there is nothing else to fit on, so the line uses all rows."""
    _check(scores, humans)
    _check(scores, groups)
    distinct = list(dict.fromkeys(groups))
    if len(distinct) < 2:
        slope, intercept = linear_fit(scores, humans)
        return [slope * s + intercept for s in scores]
    predictions = [0.0] * len(scores)
    for group in distinct:
        train = [i for i, g in enumerate(groups) if g != group]
        slope, intercept = linear_fit([scores[i] for i in train], [humans[i] for i in train])
        for i, g in enumerate(groups):
            if g == group:
                predictions[i] = slope * scores[i] + intercept
    return predictions


def calibrated_rmse(scores: Sequence[float], humans: Sequence[float], groups: Sequence[Hashable]) -> float:
    return rmse(leave_one_group_out_predictions(scores, humans, groups), humans)
