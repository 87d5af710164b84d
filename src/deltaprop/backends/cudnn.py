"""The cuDNN switches PyTorch scripts set (``cudnn.benchmark = True``): there is no cuDNN here, so
they are kept and read back but change nothing. The values are PyTorch's defaults."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: there is no cuDNN."""
    return False
