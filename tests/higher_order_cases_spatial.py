"""Second-derivative cases (see higher_order_cases.py for the form) of the spatial rules.

Each option that takes a path of its own has a case: stride (with trailing positions that no window
reads), padding ('same' with unequal sides among them), dilation, groups (the depthwise routes
too), bias or none, unbatched inputs, ceil mode, count_include_pad, output padding. The inputs
are small: the finite-difference test perturbs every element. Max-pooled inputs are standard
normal draws, so no window has ties.
"""

import numpy as np  # noqa: F401

CASES = [
    # convolutions: input, weight (and bias) all differentiated
    ("conv1d stride padding bias", lambda L, F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
     [(2, 3, 7), (4, 3, 3), (4,)], "real"),
    ("conv1d same even kernel dilation", lambda L, F, x, w: F.conv1d(x, w, padding="same", dilation=2),
     [(2, 2, 7), (3, 2, 2)], "real"),
    ("conv2d padding bias", lambda L, F, x, w, b: F.conv2d(x, w, b, padding=1), [(2, 3, 5, 5), (4, 3, 3, 3), (4,)], "real"),
    ("conv2d stride drops rows", lambda L, F, x, w: F.conv2d(x, w, stride=2, padding=1), [(2, 2, 6, 6), (3, 2, 3, 3)], "real"),
    ("conv2d dilation uneven options", lambda L, F, x, w: F.conv2d(x, w, stride=(1, 2), padding=(2, 1), dilation=(2, 1)),
     [(2, 2, 6, 5), (2, 2, 3, 2)], "real"),
    ("conv2d same even kernel", lambda L, F, x, w: F.conv2d(x, w, padding="same"), [(2, 2, 4, 5), (2, 2, 2, 3)], "real"),
    ("conv2d groups bias", lambda L, F, x, w, b: F.conv2d(x, w, b, padding=1, groups=2), [(2, 4, 4, 4), (4, 2, 3, 3), (4,)], "real"),
    ("conv2d depthwise", lambda L, F, x, w: F.conv2d(x, w, padding=1, groups=2), [(2, 2, 5, 5), (2, 1, 3, 3)], "real"),
    ("conv2d depthwise stride", lambda L, F, x, w, b: F.conv2d(x, w, b, stride=2, groups=2), [(2, 2, 6, 6), (2, 1, 3, 3), (2,)], "real"),
    ("conv2d unbatched", lambda L, F, x, w, b: F.conv2d(x, w, b), [(2, 5, 5), (3, 2, 3, 3), (3,)], "real"),
    ("conv2d reflect padding", lambda L, F, x, w: F.conv2d(F.pad(x, (1, 1, 2, 0), mode="reflect"), w),
     [(2, 2, 4, 4), (2, 2, 3, 3)], "real"),
    ("conv3d stride padding bias", lambda L, F, x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1),
     [(1, 2, 3, 4, 3), (2, 2, 2, 2, 2), (2,)], "real"),
    ("conv3d groups", lambda L, F, x, w: F.conv3d(x, w, groups=2), [(1, 2, 3, 3, 3), (4, 1, 2, 2, 2)], "real"),
    # transposed convolutions
    ("conv_transpose1d stride output_padding bias",
     lambda L, F, x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1), [(2, 3, 4), (3, 2, 3), (2,)], "real"),
    ("conv_transpose2d stride output_padding",
     lambda L, F, x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), [(2, 2, 3, 3), (2, 3, 3, 3)], "real"),
    ("conv_transpose2d groups dilation bias",
     lambda L, F, x, w, b: F.conv_transpose2d(x, w, b, groups=2, dilation=2), [(2, 4, 3, 3), (4, 1, 2, 2), (2,)], "real"),
    ("conv_transpose2d unbatched", lambda L, F, x, w: F.conv_transpose2d(x, w, stride=(2, 1)), [(2, 3, 3), (2, 2, 2, 2)], "real"),
    ("conv_transpose3d stride bias", lambda L, F, x, w, b: F.conv_transpose3d(x, w, b, stride=2),
     [(1, 2, 2, 2, 2), (2, 2, 2, 2, 2), (2,)], "real"),
    # max pooling
    ("max_pool1d stride padding", lambda L, F, x: F.max_pool1d(x, 3, stride=2, padding=1), [(2, 3, 7)], "real"),
    ("max_pool2d", lambda L, F, x: F.max_pool2d(x, 2), [(2, 2, 4, 4)], "real"),
    ("max_pool2d overlapping dilation", lambda L, F, x: F.max_pool2d(x, 2, stride=1, dilation=2), [(2, 2, 5, 5)], "real"),
    ("max_pool2d ceil_mode", lambda L, F, x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), [(1, 2, 6, 6)], "real"),
    ("max_pool2d unbatched", lambda L, F, x: F.max_pool2d(x, 2, stride=1), [(2, 3, 3)], "real"),
    ("max_pool3d", lambda L, F, x: F.max_pool3d(x, 2, stride=1), [(1, 2, 3, 3, 3)], "real"),
    # average pooling
    ("avg_pool1d exclude pad", lambda L, F, x: F.avg_pool1d(x, 3, stride=2, padding=1, count_include_pad=False),
     [(2, 3, 7)], "real"),
    ("avg_pool2d", lambda L, F, x: F.avg_pool2d(x, 2), [(2, 2, 4, 4)], "real"),
    ("avg_pool2d ceil_mode include pad", lambda L, F, x: F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
     [(1, 2, 6, 6)], "real"),
    ("avg_pool2d divisor_override", lambda L, F, x: F.avg_pool2d(x, 2, stride=1, divisor_override=3), [(2, 2, 3, 4)], "real"),
    ("avg_pool3d exclude pad", lambda L, F, x: F.avg_pool3d(x, 2, stride=2, padding=1, count_include_pad=False),
     [(1, 2, 3, 3, 3)], "real"),
    ("lp_pool2d", lambda L, F, x: F.lp_pool2d(x, 2, 2), [(2, 2, 4, 4)], "real"),
    # (p = 4: the pow rule takes the exponent 1/p − 1 of a Python float in float32, exact for p = 2 or 4, not 3)
    ("lp_pool1d p=4 ceil_mode", lambda L, F, x: F.lp_pool1d(x, 4, 2, ceil_mode=True), [(2, 2, 5)], "real"),
    # adaptive pooling: bins that overlap, bins that tile (an ordinary pooling), one bin
    ("adaptive_avg_pool1d", lambda L, F, x: F.adaptive_avg_pool1d(x, 3), [(2, 3, 7)], "real"),
    ("adaptive_avg_pool2d overlapping", lambda L, F, x: F.adaptive_avg_pool2d(x, (3, 2)), [(2, 2, 5, 5)], "real"),
    ("adaptive_avg_pool2d tiling", lambda L, F, x: F.adaptive_avg_pool2d(x, 2), [(2, 2, 4, 4)], "real"),
    ("adaptive_avg_pool2d global", lambda L, F, x: F.adaptive_avg_pool2d(x, 1), [(2, 3, 3, 3)], "real"),
    ("adaptive_avg_pool3d", lambda L, F, x: F.adaptive_avg_pool3d(x, 2), [(1, 2, 3, 3, 3)], "real"),
    ("adaptive_max_pool1d", lambda L, F, x: F.adaptive_max_pool1d(x, 3), [(2, 3, 7)], "real"),
    ("adaptive_max_pool2d", lambda L, F, x: F.adaptive_max_pool2d(x, (3, 2)), [(2, 2, 5, 5)], "real"),
    ("adaptive_max_pool3d", lambda L, F, x: F.adaptive_max_pool3d(x, 2), [(1, 2, 3, 3, 3)], "real"),
    ("max_unpool2d", lambda L, F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2), [(2, 2, 4, 4)], "real"),
    ("max_unpool1d", lambda L, F, x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2), [(2, 2, 6)], "real"),
    # padding, resampling, im2col
    ("pad constant crop", lambda L, F, x: F.pad(x, (1, -1, 2, 0), value=0.5), [(2, 3, 4)], "real"),
    ("pad reflect crop", lambda L, F, x: F.pad(x, (2, -1), mode="reflect"), [(2, 2, 5)], "real"),
    ("pad replicate", lambda L, F, x: F.pad(x, (2, 1), mode="replicate"), [(2, 2, 4)], "real"),
    ("pad circular", lambda L, F, x: F.pad(x, (1, 2, 1, 0), mode="circular"), [(1, 2, 3, 4)], "real"),
    ("interpolate nearest", lambda L, F, x: F.interpolate(x, scale_factor=2), [(2, 2, 3, 3)], "real"),
    ("interpolate bilinear", lambda L, F, x: F.interpolate(x, size=(5, 4), mode="bilinear"), [(1, 2, 3, 3)], "real"),
    ("interpolate linear align_corners", lambda L, F, x: F.interpolate(x, size=7, mode="linear", align_corners=True),
     [(2, 2, 4)], "real"),
    # antialiased: a banded weight matrix per axis (down along H, up along W; align_corners; Lanczos)
    ("interpolate antialias bilinear", lambda L, F, x: F.interpolate(x, size=(2, 7), mode="bilinear", antialias=True),
     [(1, 2, 5, 4)], "real"),
    ("interpolate antialias bicubic align_corners",
     lambda L, F, x: F.interpolate(x, scale_factor=(0.6, 1.5), mode="bicubic", align_corners=True, antialias=True),
     [(2, 1, 5, 3)], "real"),
    ("interpolate antialias lanczos", lambda L, F, x: F.interpolate(x, size=(3, 2), mode="lanczos", antialias=True),
     [(1, 2, 4, 6)], "real"),
    # plain bicubic: banded matrices too (a scale factor that keeps W's size still moves its samples)
    ("interpolate bicubic", lambda L, F, x: F.interpolate(x, scale_factor=(0.6, 1.3), mode="bicubic"), [(1, 2, 5, 3)], "real"),
    ("interpolate bicubic align_corners",
     lambda L, F, x: F.interpolate(x, size=(3, 7), mode="bicubic", align_corners=True), [(2, 1, 4, 3)], "real"),
    # grid_sample: the input and the grid differentiated (points beyond the edges among the draws)
    ("grid_sample bilinear", lambda L, F, x, g: F.grid_sample(x, g, align_corners=False), [(1, 2, 3, 4), (1, 2, 3, 2)], "real"),
    ("grid_sample bicubic", lambda L, F, x, g: F.grid_sample(x, g, mode="bicubic", align_corners=False),
     [(1, 2, 3, 4), (1, 2, 3, 2)], "real"),
    ("grid_sample bicubic border align_corners",
     lambda L, F, x, g: F.grid_sample(x, g, mode="bicubic", padding_mode="border", align_corners=True),
     [(1, 1, 4, 3), (1, 3, 2, 2)], "real"),
    ("grid_sample bicubic reflection",
     lambda L, F, x, g: F.grid_sample(x, g, mode="bicubic", padding_mode="reflection", align_corners=False),
     [(2, 1, 3, 3), (2, 2, 2, 2)], "real"),
    ("unfold", lambda L, F, x: F.unfold(x, 2, padding=1, stride=2), [(2, 2, 4, 5)], "real"),
    ("fold", lambda L, F, x: F.fold(x, (4, 4), 2, stride=1), [(2, 8, 9)], "real"),
    # a small network: convolution, ReLU, max pooling, dense layer, cross-entropy
    ("convolutional network", lambda L, F, x, w1, b1, w2: F.cross_entropy(
        F.linear(F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2).reshape(3, -1), w2), L.tensor(np.array([0, 2, 1]))),
     [(3, 1, 4, 4), (2, 1, 3, 3), (2,), (3, 8)], "real"),
]
