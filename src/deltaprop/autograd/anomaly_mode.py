"""PyTorch's module path ``torch.autograd.anomaly_mode``: the anomaly switches of
:mod:`deltaprop.anomaly`, under the path that ported imports name."""

from ..anomaly import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
