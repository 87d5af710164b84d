"""``torch.backends.cuda``: the switches of CUDA's matrix products, which scripts set
(``torch.backends.cuda.matmul.allow_tf32 = True`` in nanoGPT); there is no CUDA here, so they are
kept and read back but change nothing. The values are PyTorch's defaults."""


class _Matmul:
    """TF32 and reduced-precision sums in CUDA's matrix products."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built() -> bool:
    """False: deltaprop is built for NumPy, not CUDA."""
    return False
