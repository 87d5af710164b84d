"""Second-derivative cases (see higher_order_cases.py for the form) of the spatial rules."""

import numpy as np  # noqa: F401

CASES = [
]
