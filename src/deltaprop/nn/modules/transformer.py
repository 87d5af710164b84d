"""PyTorch's ``torch.nn.modules.transformer`` path: the transformer layers,
re-exported from where deltaprop keeps them."""

from ..transformer import (
    Transformer, TransformerEncoder, TransformerDecoder, TransformerEncoderLayer, TransformerDecoderLayer,
)

__all__ = [
    "Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer",
]
