"""The library's own error types.

Every error deltaprop raises on purpose derives from :class:`DeltapropError`, so a caller (the
command line among them) can tell "the input was wrong" from "deltaprop has a bug". Each subclass
also derives from the built-in exception a Python user would expect (``ValueError`` for a bad value,
``FileNotFoundError`` stays itself), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class DeltapropError(Exception):
    """Base class of every error deltaprop raises on purpose."""


class ShapeError(DeltapropError, ValueError):
    """Operands whose shapes do not fit the operation."""


class StateDictError(ShapeError, RuntimeError):
    """A state dict that does not fit the module loading it (missing or unexpected keys, wrong
    shapes): a ``ShapeError``, and a ``RuntimeError`` as PyTorch's ``load_state_dict`` raises."""


class GradError(DeltapropError, RuntimeError):
    """A misuse of automatic differentiation (backward on a tensor without a gradient, ...)."""


class GradcheckError(DeltapropError, AssertionError, RuntimeError):
    """An analytic gradient disagrees with finite differences (a ``RuntimeError`` too, as PyTorch's
    ``GradcheckError``)."""


class DataError(DeltapropError, ValueError):
    """A data file or array that cannot be used as it is (names the file, row or column)."""


class ModelFileError(DeltapropError, ValueError):
    """A model or checkpoint file that cannot be loaded safely."""


class LinAlgError(DeltapropError, ValueError):
    """A matrix a linear-algebra function cannot take: singular (inv, solve), not positive-definite
    (cholesky); as NumPy's ``LinAlgError``, a ``ValueError``."""


class ConfigError(DeltapropError, ValueError):
    """An option or hyperparameter with an impossible value (names the option)."""
