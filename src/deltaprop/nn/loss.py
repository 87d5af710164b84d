"""Error functions E as modules, with PyTorch's names and arguments.

Each wraps the fused primitive in :mod:`deltaprop.ops.loss`; ``reduction`` is 'mean' (default),
'sum' or 'none'. Class weights and ``pos_weight`` are stored as arrays and move with ``to(dtype)``.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConfigError
from ..ops.activation import real_option
from ..ops.loss import KL_REDUCTIONS, REDUCTIONS
from ..tensor import Tensor
from . import functional as F
from .distance import PairwiseDistance
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ConfigError(f"{type(self).__name__}: reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction

    def config(self) -> dict:
        return {"reduction": self.reduction}

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


def _weight_buffer(owner: str, name: str, weight) -> np.ndarray | None:
    """Class weights or pos_weight as an array: a floating array or tensor keeps its precision and
    numbers (lists, ints) become float64, so a float64 loss sees them unrounded; each call casts
    them to the input's dtype."""
    if weight is None:
        return None
    array = np.array(weight.data if isinstance(weight, Tensor) else weight)
    if array.dtype.kind not in "fiub":
        raise ConfigError(f"{owner}: {name} must be numbers (a tensor, an array or a list), got {weight!r}")
    return array if array.dtype.kind == "f" else array.astype(np.float64)


def _weight_list(weight: np.ndarray | None) -> list | None:
    """A weight buffer as plain numbers, so that ``config()`` rebuilds the same loss from JSON."""
    return None if weight is None else weight.tolist()


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", _weight_buffer(type(self).__name__, "weight", weight))

    def config(self) -> dict:
        return {"weight": _weight_list(self.weight), "reduction": self.reduction}


class MSELoss(_Loss):
    """Mean squared error (ŷ − y)². The seeds' E = ½Σ(t − o)² is ``MSELoss(reduction='sum') / 2``."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |ŷ − y|."""

    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Squared error within ``delta`` of the target, absolute error beyond it."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        if delta <= 0:
            raise ConfigError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = float(delta)

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)

    def config(self) -> dict:
        return {"reduction": self.reduction, "delta": self.delta}


class SmoothL1Loss(_Loss):
    """Squared error ½d²/beta within ``beta`` of the target, absolute error |d| − ½beta beyond:
    HuberLoss divided by beta (``beta=0`` is L1Loss)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.number)) or not beta >= 0:
            raise ConfigError(f"SmoothL1Loss: beta must be a non-negative number, got {beta!r}")
        self.beta = float(beta)

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)

    def config(self) -> dict:
        return {"reduction": self.reduction, "beta": self.beta}


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence KL(q‖p) = Σ q·(log q − log p) of the target distribution q from
    the model's p, given log p (a LogSoftmax output); ``log_target=True`` when the target is log q.

    ``reduction='batchmean'`` is the divergence per sample (the sum over N); PyTorch's default,
    'mean', kept here, divides by every element (N times the classes) instead.
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        Module.__init__(self)
        if reduction not in KL_REDUCTIONS:
            raise ConfigError(f"KLDivLoss: reduction must be one of {', '.join(KL_REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction
        self.log_target = bool(log_target)

    def forward(self, input, target):
        return F.kl_div(input, target, self.reduction, self.log_target)

    def config(self) -> dict:
        return {"reduction": self.reduction, "log_target": self.log_target}


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities (after a Sigmoid)."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy fused, stable for any logit; ``pos_weight`` rescales positives."""

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", _weight_buffer(type(self).__name__, "pos_weight", pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)

    def config(self) -> dict:
        return {**super().config(), "pos_weight": _weight_list(self.pos_weight)}


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + cross-entropy from logits, fused; targets are class indices or probabilities.

    ``weight`` gives each class a weight; ``label_smoothing`` ε mixes the target with the uniform
    distribution. The output layer's error term is δ = softmax(a) − y (over N for 'mean'). Samples
    labelled ``ignore_index`` (−100 by default, as in PyTorch: padding) count for nothing.
    """

    def __init__(self, weight=None, reduction: str = "mean", label_smoothing: float = 0.0, ignore_index: int = -100):
        super().__init__(weight, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ConfigError(f"CrossEntropyLoss: label_smoothing must lie in [0, 1], got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)
        self.ignore_index = _label("CrossEntropyLoss", ignore_index)

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.reduction, self.label_smoothing, self.ignore_index)

    def config(self) -> dict:
        return {**super().config(), "label_smoothing": self.label_smoothing, "ignore_index": self.ignore_index}


def _label(owner: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{owner}: ignore_index must be an integer (a label), got {value!r}")
    return int(value)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood on log-probabilities (after LogSoftmax); samples labelled
    ``ignore_index`` (−100 by default) count for nothing."""

    def __init__(self, weight=None, reduction: str = "mean", ignore_index: int = -100):
        super().__init__(weight, reduction)
        self.ignore_index = _label("NLLLoss", ignore_index)

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.reduction, self.ignore_index)

    def config(self) -> dict:
        return {**super().config(), "ignore_index": self.ignore_index}


class NLLLoss2d(NLLLoss):
    """:class:`NLLLoss` under its old name for (N, C, H, W) log-probabilities and (N, H, W) labels,
    which NLLLoss takes as they are; deprecated (in PyTorch too), so making one warns. After
    ``weight``, the options come by keyword (PyTorch's second position is its old size_average)."""

    def __init__(self, weight=None, *, ignore_index: int = -100, reduction: str = "mean"):
        warnings.warn("nn.NLLLoss2d is deprecated (in PyTorch too); nn.NLLLoss takes the same inputs", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, reduction, ignore_index)


# -- ranking, embedding and likelihood losses ----------------------------------------------------------
# PyTorch's positional arguments up to its deprecated size_average; reduction (and PoissonNLLLoss's
# eps) come by keyword, so that a call written for PyTorch never binds an argument to the wrong name.


class _MarginLoss(_Loss):
    def __init__(self, margin: float, *, reduction: str = "mean"):
        super().__init__(reduction)
        self.margin = real_option(type(self).__name__, "margin", margin)

    def config(self) -> dict:
        return {"margin": self.margin, "reduction": self.reduction}


class MarginRankingLoss(_MarginLoss):
    """max(0, −y·(x1 − x2) + margin) for a target y of ±1: whether x1 should rank above x2."""

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean"):
        super().__init__(margin, reduction=reduction)

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x where y = 1, max(0, margin − x) where y = −1: x a distance, y whether the pair is alike."""

    def __init__(self, margin: float = 1.0, *, reduction: str = "mean"):
        super().__init__(margin, reduction=reduction)

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1, for rows (N, D) and
    labels (N,)."""

    def __init__(self, margin: float = 0.0, *, reduction: str = "mean"):
        super().__init__(margin, reduction=reduction)

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, margin + d(a, p) − d(a, n)) with d the p-norm distance (plus eps) over the last axis;
    ``swap`` uses the nearer of d(a, n) and d(p, n)."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False, *,
                 reduction: str = "mean"):
        super().__init__(reduction)
        name = "TripletMarginLoss"
        self.margin = real_option(name, "margin", margin)
        if not self.margin > 0:
            raise ConfigError(f"{name}: margin must be greater than 0, got {self.margin}")
        self.p = real_option(name, "p", p)
        if not self.p > 0:
            raise ConfigError(f"{name}: p must be a positive number (inf for the largest difference), got {self.p}")
        self.eps = real_option(name, "eps", eps)
        self.swap = bool(swap)

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                     reduction=self.reduction)

    def config(self) -> dict:
        return {"margin": self.margin, "p": self.p, "eps": self.eps, "swap": self.swap, "reduction": self.reduction}


class SoftMarginLoss(_Loss):
    """log(1 + e^(−y·x)) for a target y of ±1: the logistic loss."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Binary cross-entropy from logits for each of C labels (the last axis), averaged over them:
    one value per sample; ``weight`` rescales the labels."""

    def __init__(self, weight=None, *, reduction: str = "mean"):
        super().__init__(weight, reduction)

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Negative log-likelihood of counts: e^x − y·x for log-rates x (``log_input``), else
    λ − y·log(λ + eps); ``full`` adds Stirling's term for log y! where y > 1."""

    def __init__(self, log_input: bool = True, full: bool = False, *, eps: float = 1e-8, reduction: str = "mean"):
        super().__init__(reduction)
        self.log_input = bool(log_input)
        self.full = bool(full)
        self.eps = real_option("PoissonNLLLoss", "eps", eps)

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction)

    def config(self) -> dict:
        return {"log_input": self.log_input, "full": self.full, "eps": self.eps, "reduction": self.reduction}


class GaussianNLLLoss(_Loss):
    """Negative log-likelihood of targets under Gaussians: ½(log v + (x − y)²/v) for means x and
    variances v (clamped to at least ``eps``), plus ½·log(2π) with ``full``. Called as
    ``loss(input, target, var)``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full = bool(full)
        self.eps = real_option("GaussianNLLLoss", "eps", eps)

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)

    def config(self) -> dict:
        return {"full": self.full, "eps": self.eps, "reduction": self.reduction}


# -- hinges over class scores, and triplets under any distance ------------------------------------------


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge (SVM) loss: Σ_{i≠y} w_y·max(0, margin − x_y + x_i)^p / C per sample, for
    scores (N, C) and class indices (N,); p is 1 or 2, ``weight`` rescales each true class."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, *, reduction: str = "mean"):
        super().__init__(weight, reduction)
        if isinstance(p, bool) or p not in (1, 2):
            raise ConfigError(f"MultiMarginLoss: p must be 1 or 2, got {p!r}")
        self.p = int(p)
        self.margin = real_option("MultiMarginLoss", "margin", margin)

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)

    def config(self) -> dict:
        return {"p": self.p, "margin": self.margin, **super().config()}


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss: Σ_{j true} Σ_{i not true} max(0, 1 − (x_j − x_i)) / C per sample;
    each target row lists the true classes, ended by −1."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, margin + d(a, p) − d(a, n)) for a distance d of one's choice (``distance_function``,
    a layer such as PairwiseDistance or CosineSimilarity-based function, or any callable);
    ``PairwiseDistance()`` when None, as in PyTorch, where it is a child layer.

    A model file holds the loss when its distance is a deltaprop layer; a plain function cannot be
    written to a file, so a loss with one saves its (empty) weights alone.
    """

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False, reduction: str = "mean"):
        super().__init__(reduction)
        name = "TripletMarginWithDistanceLoss"
        if distance_function is not None and not callable(distance_function):
            raise ConfigError(f"{name}: distance_function must be a callable (u, v) -> distances or None, got "
                              f"{type(distance_function).__name__}")
        self.margin = real_option(name, "margin", margin)
        if not self.margin > 0:
            raise ConfigError(f"{name}: margin must be greater than 0, got {self.margin}")
        self.swap = F._options._flag(name, "swap", swap)
        self.distance_function = PairwiseDistance() if distance_function is None else distance_function

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)

    def config(self) -> dict:
        if not isinstance(self.distance_function, Module):
            raise NotImplementedError("TripletMarginWithDistanceLoss: a distance_function that is no layer cannot be "
                                      "described in a model file")
        return {"margin": self.margin, "swap": self.swap, "reduction": self.reduction}

    # A model file stores the distance layer as a child; these rebuild the loss around it.
    def _parts_fit(self) -> bool:
        return isinstance(self.distance_function, Module)

    @classmethod
    def _from_parts(cls, parts: dict, **config):
        if set(parts) != {"distance_function"}:
            raise ConfigError(f"{cls.__name__}: expected one stored layer, distance_function, got {sorted(parts)}")
        return cls(distance_function=parts["distance_function"], **config)


# -- label sequences read off unaligned frames ---------------------------------------------------------


class CTCLoss(_Loss):
    """Connectionist temporal classification: −log p(target | log_probs), summed over every way of
    aligning the target's labels to the T frames (repeats merged, ``blank`` frames between), for
    speech and handwriting where the frames are not labelled one by one.

    Called as ``loss(log_probs, targets, input_lengths, target_lengths)`` with log_probs (T, N, C),
    a log_softmax output; see :func:`deltaprop.ops.loss.ctc.ctc_loss` for the recursion and its
    gradient. 'mean' divides each sequence's loss by its target length, then averages; an impossible
    alignment costs inf, or 0 with ``zero_infinity``.
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction)
        if isinstance(blank, (bool, np.bool_)) or not isinstance(blank, (int, np.integer)) or blank < 0:
            raise ConfigError(f"CTCLoss: blank must be a class index (a non-negative integer), got {blank!r}")
        self.blank = int(blank)
        self.zero_infinity = F._options._flag("CTCLoss", "zero_infinity", zero_infinity)

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)

    def config(self) -> dict:
        return {"blank": self.blank, "reduction": self.reduction, "zero_infinity": self.zero_infinity}
