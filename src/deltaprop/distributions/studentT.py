"""PyTorch's ``torch.distributions.studentT`` path: StudentT, re-exported from where deltaprop keeps it."""

from .student_t import StudentT

__all__ = ["StudentT"]
