"""From the real numbers onto a constraint: ``biject_to(c)`` and ``transform_to(c)`` give a transform
whose codomain is ``c`` (PyTorch's constraint registry), the way to optimise a constrained parameter
without constraints: keep an unconstrained tensor u and use t(u).

``biject_to`` gives a one-to-one map (so a density can be moved through it, as in Hamiltonian Monte
Carlo); ``transform_to`` any map onto ``c``, perhaps cheaper or not one-to-one (the simplex by
softmax, a Cholesky factor from a whole square matrix).

| constraint                             | biject_to                        | transform_to           |
|----------------------------------------|----------------------------------|------------------------|
| real                                   | identity_transform               | the same               |
| real_vector, independent(c, n)         | IndependentTransform(that of c, n) | the same             |
| positive, nonnegative                  | ExpTransform                     | the same               |
| greater_than(a), greater_than_eq(a)    | x ↦ a + eˣ                        | the same               |
| less_than(b)                           | x ↦ b − eˣ                        | the same               |
| unit_interval, interval(0, 1)          | SigmoidTransform                 | the same               |
| interval(a, b), half_open_interval(a, b) | x ↦ a + (b − a)·σ(x)            | the same               |
| simplex                                | StickBreakingTransform           | SoftmaxTransform       |
| corr_cholesky                          | CorrCholeskyTransform            | the same               |
| lower_cholesky                         | —                                | LowerCholeskyTransform |
| positive_definite                      | —                                | PositiveDefiniteTransform |
| cat(...), stack(...)                   | CatTransform / StackTransform of the pieces' | the same    |

``register(constraint, factory)`` files a rule for a constraint class (all its instances) or for
one constraint object; the rule takes the constraint and returns the transform.
"""

from __future__ import annotations

from . import constraints
from .transforms import (AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform, ExpTransform,
                         IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform, SigmoidTransform,
                         SoftmaxTransform, StackTransform, StickBreakingTransform, identity_transform)

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """Rules from constraints to transforms, looked up by the constraint object first, then by its class."""

    def __init__(self, name: str):
        self._name = name
        self._by_object: dict = {}
        self._by_class: dict = {}

    def register(self, constraint, factory=None):
        """File ``factory(constraint) -> Transform`` for ``constraint`` (a Constraint subclass or
        object); without ``factory``, a decorator."""
        if factory is None:
            return lambda f: self.register(constraint, f)
        if isinstance(constraint, type) and issubclass(constraint, constraints.Constraint):
            self._by_class[constraint] = factory
        elif isinstance(constraint, constraints.Constraint):
            self._by_object[id(constraint)] = constraint, factory
        else:
            raise TypeError(f"{self._name}.register: constraint must be a Constraint subclass or object, got "
                            f"{constraint!r}")
        return factory

    def __call__(self, constraint):
        """The transform from the real numbers onto ``constraint``."""
        if id(constraint) in self._by_object:
            return self._by_object[id(constraint)][1](constraint)
        for kind in type(constraint).__mro__:
            if kind in self._by_class:
                return self._by_class[kind](constraint)
        raise NotImplementedError(f"{self._name}: no transform is registered for the constraint {constraint!r} "
                                  f"({constraint.words}); file one with {self._name}.register")


biject_to = ConstraintRegistry("biject_to")
transform_to = ConstraintRegistry("transform_to")


def _both(constraint):
    def decorator(factory):
        biject_to.register(constraint, factory)
        transform_to.register(constraint, factory)
        return factory
    return decorator


def _plain(bound) -> bool:
    return not hasattr(bound, "shape") or bound.shape == ()


@_both(constraints._Real)
def _to_real(constraint):
    return identity_transform


@_both(constraints.real_vector)
def _to_real_vector(constraint):
    return IndependentTransform(identity_transform, 1)


@biject_to.register(constraints.IndependentConstraint)
def _biject_to_independent(constraint):
    return IndependentTransform(biject_to(constraint.base), constraint.reinterpreted)


@transform_to.register(constraints.IndependentConstraint)
def _transform_to_independent(constraint):
    return IndependentTransform(transform_to(constraint.base), constraint.reinterpreted)


@_both(constraints.greater_than)
@_both(constraints.greater_than_eq)
def _to_above(constraint):
    bound = constraint.lower_bound
    if _plain(bound) and float(bound) == 0:
        return ExpTransform()
    return ComposeTransform([ExpTransform(), AffineTransform(bound, 1.0)])


@_both(constraints.less_than)
def _to_below(constraint):
    return ComposeTransform([ExpTransform(), AffineTransform(constraint.upper_bound, -1.0)])


@_both(constraints.interval)
@_both(constraints.half_open_interval)
def _to_interval(constraint):
    low, high = constraint.lower_bound, constraint.upper_bound
    if _plain(low) and _plain(high) and float(low) == 0 and float(high) == 1:
        return SigmoidTransform()
    return ComposeTransform([SigmoidTransform(), AffineTransform(low, high - low)])


biject_to.register(constraints.simplex, lambda c: StickBreakingTransform())
transform_to.register(constraints.simplex, lambda c: SoftmaxTransform())
_both(constraints.corr_cholesky)(lambda c: CorrCholeskyTransform())
transform_to.register(constraints.lower_cholesky, lambda c: LowerCholeskyTransform())
transform_to.register(constraints.positive_definite, lambda c: PositiveDefiniteTransform())


@biject_to.register(constraints.cat)
def _biject_to_cat(constraint):
    return CatTransform([biject_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@transform_to.register(constraints.cat)
def _transform_to_cat(constraint):
    return CatTransform([transform_to(c) for c in constraint.cseq], constraint.dim, constraint.lengths)


@biject_to.register(constraints.stack)
def _biject_to_stack(constraint):
    return StackTransform([biject_to(c) for c in constraint.cseq], constraint.dim)


@transform_to.register(constraints.stack)
def _transform_to_stack(constraint):
    return StackTransform([transform_to(c) for c in constraint.cseq], constraint.dim)
