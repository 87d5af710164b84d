"""PyTorch's ``torch.nn.modules.sparse`` path: the embedding tables,
re-exported from where deltaprop keeps them."""

from ..sparse import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
