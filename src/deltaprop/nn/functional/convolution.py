"""The weighted maps: linear and bilinear, convolutions and their transposes (1-d, 2-d, 3-d), im2col
(unfold/fold), and conv_tbc (a 1-d convolution in the (time, batch, channels) layout)."""

from __future__ import annotations

import numpy as np

from ... import ops
from ...errors import ShapeError

# The primitives already take PyTorch's arguments.
linear = ops.linear
bilinear = ops.bilinear
conv1d = ops.conv1d
conv2d = ops.conv2d
conv_transpose1d = ops.conv_transpose1d
conv_transpose2d = ops.conv_transpose2d
conv3d = ops.conv3d  # volumetric data (N, C, D, H, W), with the window code of the 1-d and 2-d forms
conv_transpose3d = ops.conv_transpose3d
unfold = ops.unfold
fold = ops.fold


def conv_tbc(input, weight, bias, pad=0):
    """A 1-d convolution of a sequence laid out (time, batch, channels), PyTorch's ``conv_tbc``:
    ``input`` (T, N, C_in), ``weight`` (kernel width, C_in, C_out), ``bias`` (C_out,), ``pad`` steps of
    zeros at each end of the time axis (a negative pad crops). The output is (T + 2·pad − width + 1,
    N, C_out): ``conv1d`` of the input and weight with their axes moved to its layout, and back."""
    op = "conv_tbc"
    x, w = ops._core.operand(input), ops._core.operand(weight)
    if x.data.ndim != 3:
        raise ShapeError(f"{op}: input must have 3 dimensions (time, batch, channels), got shape "
                                   f"{x.data.shape}")
    if w.data.ndim != 3 or w.data.shape[1] != x.data.shape[2]:
        raise ShapeError(f"{op}: weight must have shape (kernel width, {x.data.shape[2]}, out channels) "
                                   f"for an input of {x.data.shape[2]} channels, got shape {w.data.shape}")
    if bias is None or np.shape(getattr(bias, "data", bias)) != (w.data.shape[2],):
        raise ShapeError(f"{op}: bias must be a tensor of shape ({w.data.shape[2]},), one per output "
                                   f"channel, got {None if bias is None else np.shape(getattr(bias, 'data', bias))}")
    if isinstance(pad, bool) or not isinstance(pad, (int, np.integer)):
        raise TypeError(f"{op}: pad must be an integer, got {pad!r}")
    steps, width = x.data.shape[0] + 2 * int(pad), w.data.shape[0]
    if steps - width + 1 < 0:
        raise ShapeError(f"{op}: {x.data.shape[0]} time steps padded by {pad} at each end are fewer than "
                                   f"the kernel width {width}")
    if steps - width + 1 == 0:  # (an empty output, in the graph: no step is computed)
        return ops.add(ops.matmul(ops.narrow(x, 0, 0, 0), ops.select(w, 0, 0)), bias)
    if pad < 0:
        x = ops.narrow(x, 0, -int(pad), steps)
    out = ops.conv1d(ops.permute(x, (1, 2, 0)), ops.permute(w, (2, 1, 0)), bias, padding=max(int(pad), 0))
    return ops.permute(out, (2, 0, 1))
