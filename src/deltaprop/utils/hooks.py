"""PyTorch's ``torch.utils.hooks``: ``RemovableHandle``, what registering a module's hook returns
(``handle.remove()`` takes the hook off; ``with handle:`` removes it on leaving).

A tensor's ``register_hook`` returns the engine's handle of the same behaviour, another class."""

from ..nn.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
