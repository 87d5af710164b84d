"""The line search of L-BFGS-B: Moré and Thuente's, for the strong Wolfe conditions.

Along a descent direction d from x, φ(t) = f(x + t·d) has slope φ'(t) = ∇f(x + t·d)·d < 0 at t = 0.
The search looks for a step t with

    φ(t) ≤ φ(0) + ftol·t·φ'(0)        sufficient decrease
    |φ'(t)| ≤ gtol·|φ'(0)|            the slope has flattened

keeping an interval [stx, sty] (in either order) that is known to hold such a step once it is
"bracketed", and choosing each trial from cubic and quadratic models of φ fitted to the interval's
ends and the latest trial, with safeguards that make the interval shrink (J. J. Moré and
D. J. Thuente, "Line search algorithms with guaranteed sufficient decrease", ACM TOMS 20 (1994)
286-307). L-BFGS-B runs it with ftol = 1e-3, gtol = 0.9, xtol = 0.1, which
:class:`deltaprop.sklearn._lbfgs` relies on to take SciPy's steps; so this module follows the
paper's algorithm and its published constants (the factors 1.1 and 4 of the extrapolation, 0.66
for the bisection test) exactly, rather than any variant of it.

Everything here is Python floats: a search takes one to a few trials, and each trial's
arithmetic is a few dozen operations on numbers, not arrays. Where those operations would divide
by zero or take the root of a negative number, the trial is computed again in NumPy's IEEE
arithmetic, and NaNs meet C's fmax and fmin rules, so that a loss that turns NaN or infinite
takes the same path as in L-BFGS-B's compiled code.
"""

from __future__ import annotations

import math

import numpy as np

EXTRAPOLATE_LOW, EXTRAPOLATE_HIGH = 1.1, 4.0  # how far beyond the last step a trial may go, before bracketing
SHRINK = 0.66  # an interval that kept more than this share of the width before last gets bisected


class LineSearch:
    """One search from φ(0) = ``f0`` with slope ``slope0`` (< 0), first trying ``step``.

    Evaluate φ and φ' at :attr:`step`, hand them to :meth:`update`, and repeat while it returns
    None; it returns ``"convergence"`` once the step satisfies both conditions, or a warning
    (``"warning: ..."``) when rounding or the step's bounds end the search first; the last step
    evaluated is then the search's result either way.
    """

    def __init__(self, f0: float, slope0: float, step: float, *, ftol: float = 1e-3, gtol: float = 0.9,
                 xtol: float = 0.1, step_min: float = 0.0, step_max: float = 1e10) -> None:
        self.ftol, self.gtol, self.xtol = ftol, gtol, xtol
        self.step_min, self.step_max = step_min, step_max
        self.slope0 = slope0
        self.f0 = f0
        self.decrease = ftol * slope0  # the slope of the sufficient-decrease line
        self.bracketed = False
        self.modified = True  # stage 1: φ(t) − t·decrease stands in for φ until a step is sure to be good
        self.width = step_max - step_min
        self.width_before = 2.0 * self.width
        # the interval's ends: step, value and slope at each
        self.stx, self.fx, self.gx = 0.0, f0, slope0
        self.sty, self.fy, self.gy = 0.0, f0, slope0
        self.low, self.high = 0.0, step + EXTRAPOLATE_HIGH * step
        self.step = step

    def update(self, f: float, slope: float) -> str | None:
        """Take φ and φ' at :attr:`step`; None when :attr:`step` holds the next trial."""
        step = self.step
        bound = self.f0 + step * self.decrease
        if self.modified and f <= bound and slope >= 0:
            self.modified = False
        outcome = None
        if self.bracketed and (step <= self.low or step >= self.high):
            outcome = "warning: rounding errors prevent progress"
        if self.bracketed and self.high - self.low <= self.xtol * self.high:
            outcome = "warning: xtol test satisfied"
        if step == self.step_max and f <= bound and slope <= self.decrease:
            outcome = "warning: step = step_max"
        if step == self.step_min and (f > bound or slope >= self.decrease):
            outcome = "warning: step = step_min"
        if f <= bound and abs(slope) <= self.gtol * -self.slope0:
            outcome = "convergence"
        if outcome is not None:
            return outcome

        if self.modified and self.fx >= f > bound:
            # A step that lowered φ but not enough: take the next one on ψ(t) = φ(t) − t·decrease,
            # whose minimisers satisfy the decrease condition, then translate the ends back.
            shift = self.decrease
            self.fx -= self.stx * shift
            self.fy -= self.sty * shift
            self.gx -= shift
            self.gy -= shift
            self._step(f - step * shift, slope - shift)
            self.fx += self.stx * shift
            self.fy += self.sty * shift
            self.gx += shift
            self.gy += shift
        else:
            self._step(f, slope)

        if self.bracketed:
            if abs(self.sty - self.stx) >= SHRINK * self.width_before:
                self.step = self.stx + 0.5 * (self.sty - self.stx)  # too little progress: bisect
            self.width_before = self.width
            self.width = abs(self.sty - self.stx)
            self.low, self.high = _fmin(self.stx, self.sty), _fmax(self.stx, self.sty)
        else:
            self.low = self.step + EXTRAPOLATE_LOW * (self.step - self.stx)
            self.high = self.step + EXTRAPOLATE_HIGH * (self.step - self.stx)
        self.step = _fmin(_fmax(self.step, self.step_min), self.step_max)
        if self.bracketed and (self.step <= self.low or self.step >= self.high
                               or self.high - self.low <= self.xtol * self.high):
            self.step = self.stx  # no room left: the best step so far is the last trial
        return None

    def _step(self, fp: float, dp: float) -> None:
        """The next trial from the ends x, y and the trial p = :attr:`step`; the new ends."""
        ends = (self.stx, self.fx, self.gx, self.sty, self.fy, self.gy, self.step, fp, dp)
        try:
            new, self.bracketed = _next_trial(*ends, self.bracketed, self.low, self.high, math.sqrt)
        except (ZeroDivisionError, ValueError):
            # A model degenerated (a division by zero, the root of a negative number): compute it
            # again with IEEE arithmetic, infinities and NaNs included, as the paper's Fortran does.
            with np.errstate(all="ignore"):
                new, self.bracketed = _next_trial(*map(np.float64, ends), self.bracketed, self.low, self.high, np.sqrt)
            new = float(new)
        # the new ends: y takes the trial if it was higher; otherwise the trial becomes x, and the
        # old x becomes y if the slopes differ in sign (so the ends keep bracketing a minimum)
        stx, fx, dx, stp = self.stx, self.fx, self.gx, self.step
        if fp > fx:
            self.sty, self.fy, self.gy = stp, fp, dp
        else:
            if _opposite(dp, dx):
                self.sty, self.fy, self.gy = stx, fx, dx
            self.stx, self.fx, self.gx = stp, fp, dp
        self.step = new


def _next_trial(stx, fx, dx, sty, fy, dy, stp, fp, dp, bracketed, low, high, sqrt):
    """(the next trial step, whether a minimum is now bracketed).

    Four cases (the paper's), by what the trial p shows against the best end x: a higher value
    (the minimum lies between them), a slope of the other sign (likewise), a smaller slope of the
    same sign, or a slope no smaller (the minimum lies further on). The cubic steps are minima of
    the cubic matching the values and slopes at two points; the quadratic and secant steps match
    fewer of them.
    """
    if fp > fx:
        # 1: higher. The cubic's minimum if it is nearer x than the quadratic's (value at both
        # ends, slope at x), else halfway between the two.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        gamma = _root(theta, dx, dp, sqrt)
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        cubic = stx + p / q * (stp - stx)
        quadratic = stx + (dx / ((fx - fp) / (stp - stx) + dx)) / 2.0 * (stp - stx)
        if abs(cubic - stx) < abs(quadratic - stx):
            return cubic, True
        return cubic + (quadratic - cubic) / 2.0, True
    if _opposite(dp, dx):
        # 2: the slopes differ in sign. Whichever of the cubic's and the secant's steps lies
        # further from the trial.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        gamma = _root(theta, dx, dp, sqrt)
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        cubic = stp + p / q * (stx - stp)
        secant = stp + (dp / (dp - dx)) * (stx - stp)
        return (cubic if abs(cubic - stp) > abs(secant - stp) else secant), True
    if abs(dp) < abs(dx):
        # 3: same sign, smaller slope. The cubic's step only if the cubic rises beyond the trial
        # or its minimum lies beyond it; otherwise the far bound.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        gamma = _root(theta, dx, dp, sqrt, at_least_zero=True)
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0.0 and gamma != 0.0:
            cubic = stp + r * (stx - stp)
        elif stp > stx:
            cubic = high
        else:
            cubic = low
        secant = stp + (dp / (dp - dx)) * (stx - stp)
        if bracketed:
            new = cubic if abs(cubic - stp) < abs(secant - stp) else secant
            limit = stp + SHRINK * (sty - stp)
            return (_fmin(limit, new) if stp > stx else _fmax(limit, new)), True
        new = cubic if abs(cubic - stp) > abs(secant - stp) else secant
        return _fmax(low, _fmin(high, new)), False
    # 4: same sign, no smaller slope. Inside a bracket, the cubic on the trial and y; otherwise as
    # far as allowed.
    if bracketed:
        theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
        gamma = _root(theta, dy, dp, sqrt)
        if stp > sty:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dy
        return stp + p / q * (sty - stp), True
    return (high if stp > stx else low), False


def _root(theta, a, b, sqrt, at_least_zero=False):
    """√(θ² − a·b), the cubic's discriminant, scaled by the largest magnitude s as s·√((θ/s)² −
    (a/s)(b/s)) so that no square overflows; clipped at 0 first where the case allows a negative."""
    s = _fmax(abs(theta), _fmax(abs(a), abs(b)))
    inside = (theta / s) ** 2 - (a / s) * (b / s)
    return s * sqrt(_fmax(0.0, inside) if at_least_zero else inside)


def _opposite(dp, dx) -> bool:
    """Whether the slopes dp and dx differ in sign (false when dx is 0 or either is NaN)."""
    return dp * (dx / abs(dx)) < 0.0 if dx else False


# C's fmax and fmin, as the paper's code uses them: a NaN operand gives way to the other one
# (Python's max and min keep or drop a NaN depending on the order of their arguments).
def _fmax(a, b):
    return b if a != a else a if b != b or a >= b else b


def _fmin(a, b):
    return b if a != a else a if b != b or a <= b else b
