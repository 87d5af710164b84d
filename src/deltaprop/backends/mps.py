"""Apple's GPU backend: not available, as PyTorch reports on a machine without it."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
