"""The classic 2-2-2 network of the seeds, with the numbers of a well-known worked example.

Inputs i1, i2; hidden nodes h1, h2; outputs o1, o2; biases b1 (into h1 and h2) and b2 (into o1 and
o2); sigmoid everywhere; squared error E = Σ ½(t − o)². The weights, input and targets are those of
Matt Mazur's step-by-step backpropagation example, so a reader can follow its pages line by line:
w1 .. w4 go from the inputs to the hidden layer (w1: i1 → h1, w2: i2 → h1, w3: i1 → h2,
w4: i2 → h2) and w5 .. w8 from the hidden layer to the outputs in the same order, which is
exactly the row-major order of ``nn.Linear.weight``.

The example keeps b1 and b2 fixed during the update (``freeze_biases=True`` here); the forward
values, E and the updated weights do not depend on that choice, the error after the update does.
The example reports 0.291027924 after its first update and 0.0000351085 after 10,000; float64
gives 0.291027774 and 0.0000351019 (a plain NumPy computation agrees), so those two published
figures cannot be reproduced digit for digit. Every number in :data:`PUBLISHED` can.
"""

from __future__ import annotations

from .network import Network, network_from_dict

CLASSIC = {
    "description": "the classic 2-2-2 network (sigmoid, E = Σ ½(t − o)²; the numbers of Matt Mazur's worked example)",
    "layers": [
        {"weight": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35], "activation": "sigmoid"},
        {"weight": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60], "activation": "sigmoid"},
    ],
    "input": [0.05, 0.10],
    "target": [0.01, 0.99],
    "loss": "sse",
    "learning_rate": 0.5,
}

# The example's published values, as printed (float64 reproduces every digit shown).
PUBLISHED = {
    "out_h1": "0.593269992",
    "out_h2": "0.596884378",
    "out_o1": "0.75136507",
    "out_o2": "0.772928465",
    "E_total": "0.298371109",
    "w5_updated": "0.35891648",
    "w6_updated": "0.408666186",
    "w7_updated": "0.511301270",
    "w8_updated": "0.561370121",
    "w1_updated": "0.149780716",
    "w2_updated": "0.19956143",
    "w3_updated": "0.24975114",
    "w4_updated": "0.29950229",
}


def classic_network() -> Network:
    """The 2-2-2 network, its input (0.05, 0.10) and targets (0.01, 0.99), lr 0.5, as a :class:`Network`."""
    return network_from_dict(CLASSIC, where="the classic network")
