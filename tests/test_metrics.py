"""Agreement metrics against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from interviewer.grading.metrics import (
    calibrated_rmse,
    leave_one_group_out_predictions,
    linear_fit,
    pearson,
    ranks,
    rmse,
    spearman,
)


def test_pearson_matches_hand_computation():
    # mean x 2.5, mean y 3.75; sxy 3.5, sxx 5, syy 4.75 -> 3.5 / sqrt(23.75)
    assert pearson([1, 2, 3, 4], [2, 4, 5, 4]) == pytest.approx(3.5 / math.sqrt(23.75))
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_pearson_is_undefined_for_constant_or_tiny_series():
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    assert math.isnan(pearson([1], [2]))
    with pytest.raises(ValueError):
        pearson([1, 2], [1])


def test_ties_share_their_average_rank():
    assert ranks([10, 20, 20, 30]) == [1.0, 2.5, 2.5, 4.0]
    assert ranks([3, 1, 2]) == [3.0, 1.0, 2.0]


def test_spearman_uses_average_ranks():
    # ranks of y: 1, 2.5, 2.5, 4 -> sxy 4.5, sxx 5, syy 4.5
    assert spearman([1, 2, 3, 4], [10, 20, 20, 30]) == pytest.approx(4.5 / math.sqrt(22.5))
    # monotone but not linear: rho 1, r below 1
    xs, ys = [1, 2, 3, 4], [1, 10, 100, 1000]
    assert spearman(xs, ys) == pytest.approx(1.0)
    assert pearson(xs, ys) < 0.9


def test_rmse_and_linear_fit():
    assert rmse([1, 2], [2, 4]) == pytest.approx(math.sqrt(2.5))
    assert linear_fit([0, 1, 2], [1, 3, 5]) == pytest.approx((2.0, 1.0))
    assert linear_fit([2, 2, 2], [1, 2, 6]) == pytest.approx((0.0, 3.0))


def test_calibration_is_fitted_on_the_other_questions_only():
    scores = [0, 1, 0, 1]
    humans = [0, 1, 0, 3]
    groups = ["a", "a", "b", "b"]
    # a is predicted by b's line (y = 3x), b by a's line (y = x)
    assert leave_one_group_out_predictions(scores, humans, groups) == pytest.approx([0, 3, 0, 1])
    assert calibrated_rmse(scores, humans, groups) == pytest.approx(math.sqrt(2.0))


def test_a_single_question_is_fitted_on_itself():
    assert calibrated_rmse([0, 1, 2], [1, 3, 5], ["q", "q", "q"]) == pytest.approx(0.0)
