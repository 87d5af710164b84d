"""The weighted maps: linear and bilinear, convolutions and their transposes (1-d, 2-d, 3-d), and im2col (unfold/fold)."""

from __future__ import annotations

from ... import ops

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
