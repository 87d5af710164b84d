"""A line search for the strong Wolfe conditions, with cubic interpolation (for :class:`LBFGS`).

Along a descent direction d from x, φ(t) = f(x + t·d) has slope φ'(t) = ∇f(x + t·d)·d, negative
at t = 0. A step t satisfies the strong Wolfe conditions (constants 0 < c₁ < c₂ < 1) when

    φ(t) ≤ φ(0) + c₁·t·φ'(0)          sufficient decrease (Armijo)
    |φ'(t)| ≤ c₂·|φ'(0)|              the slope has flattened (curvature)

The search first walks outward from the initial guess until it has a point that satisfies both,
or an interval sure to hold one (the decrease failed, the loss rose, or the slope turned
non-negative); it then shrinks that interval ("zoom"), each trial at the minimum of the cubic that
matches φ and φ' at the interval's ends (Nocedal & Wright, algorithms 3.5 and 3.6), the way
PyTorch's LBFGS does, so that the two take the same steps.
"""

from __future__ import annotations

import math

import numpy as np


def cubic_minimum(t1, f1, slope1, t2, f2, slope2, low=None, high=None) -> float:
    """Where the cubic through (t1, f1) and (t2, f2), with slopes ``slope1`` and ``slope2`` there,
    has its minimum, clipped to [low, high] (by default the interval between t1 and t2); the
    interval's midpoint when the cubic has no minimum (its derivative has no real root)."""
    if low is None:
        low, high = min(t1, t2), max(t1, t2)
    # The cubic's derivative is a quadratic; with d1 = slope1 + slope2 − 3(f1 − f2)/(t1 − t2) its
    # discriminant is d1² − slope1·slope2, and its root nearer t2 (for t1 ≤ t2) is the minimum.
    d1 = slope1 + slope2 - 3 * (f1 - f2) / (t1 - t2)
    discriminant = d1 * d1 - slope1 * slope2
    if discriminant < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(discriminant)
    if t1 <= t2:
        minimum = t2 - (t2 - t1) * ((slope2 + d2 - d1) / (slope2 - slope1 + 2 * d2))
    else:
        minimum = t1 - (t1 - t2) * ((slope1 + d2 - d1) / (slope1 - slope2 + 2 * d2))
    return min(max(minimum, low), high)


class _Point:
    """A trial step t with the loss φ(t), the gradient there and the slope φ'(t)."""

    __slots__ = ("t", "f", "g", "slope")

    def __init__(self, t, f, g, slope):
        self.t, self.f, self.g, self.slope = t, f, g, slope


def strong_wolfe(evaluate, d, t, f, g, slope, *, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_trials=25):
    """A step along ``d`` that satisfies the strong Wolfe conditions, starting from the guess ``t``.

    ``evaluate(t)`` returns (loss, flat gradient) at x + t·d, leaving x as it was; ``f``, ``g`` and
    ``slope`` (g·d, negative) are those at t = 0. Besides the first trial, at most ``max_trials``
    more are made. Returns (loss, gradient, t, evaluations) at the best step found.
    """
    scale = float(np.max(np.abs(d)))  # a bracket shorter than tolerance_change / scale moves x by less

    def trial(step):
        loss, grad = evaluate(step)
        return _Point(step, loss, grad, float(np.dot(grad, d)))

    def too_high(point):  # the sufficient decrease fails
        return point.f > f + c1 * point.t * slope

    def flat_enough(point):
        return abs(point.slope) <= -c2 * slope

    # -- bracketing: step outward until a point qualifies or an interval must hold one ------------
    previous = _Point(0.0, f, g, slope)
    current = trial(t)
    evaluations, trials = 1, 0
    bracket = None
    while trials < max_trials:
        if too_high(current) or (trials > 1 and current.f >= previous.f):
            bracket = [previous, current]
            break
        if flat_enough(current):
            return current.f, current.g, current.t, evaluations
        if current.slope >= 0:
            bracket = [previous, current]
            break
        # extrapolate: somewhat beyond the current step, at most ten times it
        step = cubic_minimum(previous.t, previous.f, previous.slope, current.t, current.f, current.slope,
                             current.t + 0.01 * (current.t - previous.t), current.t * 10)
        previous, current = current, trial(step)
        evaluations += 1
        trials += 1
    if bracket is None:  # out of trials while still going down: the better of 0 and the last step
        best = _Point(0.0, f, g, slope) if f <= current.f else current
        return best.f, best.g, best.t, evaluations

    # -- zoom: shrink the interval around a point that satisfies both conditions ----------------
    low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
    near_edge_before = False
    while trials < max_trials:
        left, right = min(bracket[0].t, bracket[1].t), max(bracket[0].t, bracket[1].t)
        if (right - left) * scale < tolerance_change:
            break
        a, b = bracket
        step = cubic_minimum(a.t, a.f, a.slope, b.t, b.f, b.slope)
        # A trial hugging an end of the interval shrinks it little: the second time in a row (or
        # when it falls on an end), move it a tenth of the interval inside instead.
        margin = 0.1 * (right - left)
        if min(right - step, step - left) < margin:
            if near_edge_before or step >= right or step <= left:
                step = right - margin if abs(step - right) < abs(step - left) else left + margin
                near_edge_before = False
            else:
                near_edge_before = True
        else:
            near_edge_before = False
        point = trial(step)
        evaluations += 1
        trials += 1
        if too_high(point) or point.f >= bracket[low].f:
            bracket[high] = point  # the new point is the interval's worse end
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
            continue
        if flat_enough(point):
            bracket[low] = point
            break
        if point.slope * (bracket[high].t - bracket[low].t) >= 0:
            bracket[high] = bracket[low]  # the minimum lies between the new point and the old low end
        bracket[low] = point
    best = bracket[low]
    return best.f, best.g, best.t, evaluations

