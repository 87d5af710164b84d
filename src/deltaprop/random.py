"""The library's randomness: ``Generator``, PyTorch's seedable source of random numbers, and the
default one behind every draw that is given no generator of its own.

Weight initialisation, dropout masks, ``rand``/``randn`` and data shuffling without an explicit
seed or generator all draw from ``default_generator``, so ``deltaprop.manual_seed(n)`` makes a whole
run repeatable. A ``Generator`` of your own (``generator=`` wherever PyTorch takes one: ``rand``,
``randperm``, ``nn.init``, ``random_split``, the samplers, ``DataLoader``, ...) keeps a stream apart
from it, as in PyTorch. Each is NumPy's PCG64 generator underneath, so its numbers are not PyTorch's
for the same seed; two generators seeded alike draw alike.
"""

from __future__ import annotations

import os

import numpy as np

from .devices import check_device
from .errors import ConfigError

# A fresh Generator's seed, PyTorch's: its draws repeat from one run to the next until reseeded.
DEFAULT_SEED = 67280421310721

# get_state()'s bytes: PCG64's 128-bit state and increment, its buffered half-word (a flag and 32
# bits), then the initial seed (64 bits), all little-endian.
_STATE_LAYOUT = (("state", 16), ("inc", 16), ("has_uint32", 1), ("uinteger", 4), ("initial_seed", 8))
_STATE_BYTES = sum(size for _, size in _STATE_LAYOUT)


def _checked_seed(seed, where: str) -> int:
    """``seed`` as PyTorch reads it: an integer from -2**63 to 2**64 - 1, a negative one taken
    modulo 2**64."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"{where}: seed must be an integer, got {seed!r}")
    seed = int(seed)
    if not -2**63 <= seed < 2**64:
        raise ConfigError(f"{where}: seed must lie in [-2**63, 2**64), got {seed}")
    return seed % 2**64


class Generator:
    """A seedable source of random numbers, as ``torch.Generator``: pass it as ``generator=`` to
    draw from a stream of its own.

        >>> g = Generator().manual_seed(42)
        >>> g.initial_seed()
        42

    A fresh generator starts from PyTorch's default seed, 67280421310721. ``device`` can only be
    the CPU.
    """

    def __init__(self, device="cpu"):
        check_device("Generator", device)
        self.device = "cpu"
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed) -> Generator:
        """Restart the stream from ``seed`` (an integer; negative ones count modulo 2**64, as in
        PyTorch); returns the generator itself."""
        self._initial_seed = _checked_seed(seed, "Generator.manual_seed")
        self._numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed (64 bits)."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the stream started from (the one ``manual_seed`` or ``seed`` last set)."""
        return self._initial_seed

    def get_state(self):
        """The generator's state as a uint8 tensor, for :meth:`set_state` (PyTorch's form: a byte
        tensor, which ``deltaprop.save`` can store)."""
        from .tensor import Tensor  # (tensor.py draws from this module)

        state = self._numpy.bit_generator.state
        fields = {**state["state"], "has_uint32": state["has_uint32"], "uinteger": state["uinteger"],
                  "initial_seed": self._initial_seed}
        raw = b"".join(int(fields[name]).to_bytes(size, "little") for name, size in _STATE_LAYOUT)
        return Tensor._wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state from :meth:`get_state` (of this generator or another; as a tensor, or as
        the NumPy array ``deltaprop.load`` gives back): the draws that followed it follow again.
        Returns the generator itself."""
        from .tensor import Tensor

        data = new_state.data if isinstance(new_state, Tensor) else new_state
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
            raise TypeError(f"Generator.set_state: the state must be a uint8 tensor from get_state(), got "
                            f"{type(new_state).__name__}" + (f" of {data.dtype}" if isinstance(data, np.ndarray) else ""))
        if data.shape != (_STATE_BYTES,):
            raise ConfigError(f"Generator.set_state: a state from get_state() holds {_STATE_BYTES} bytes, got a "
                              f"tensor of shape {tuple(data.shape)}")
        raw, fields, start = data.tobytes(), {}, 0
        for name, size in _STATE_LAYOUT:
            fields[name] = int.from_bytes(raw[start:start + size], "little")
            start += size
        if fields["has_uint32"] > 1 or fields["inc"] % 2 == 0:
            raise ConfigError("Generator.set_state: these bytes are not a state from get_state()")
        numpy = np.random.default_rng()
        numpy.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": fields["state"], "inc": fields["inc"]},
                                     "has_uint32": fields["has_uint32"], "uinteger": fields["uinteger"]}
        self._numpy, self._initial_seed = numpy, fields["initial_seed"]
        return self

    def clone_state(self) -> Generator:
        """A new generator in this one's state: it draws what this one would draw next."""
        return Generator().set_state(self.get_state())

    def __repr__(self) -> str:
        return f"deltaprop.Generator(initial_seed={self._initial_seed})"


default_generator = Generator()
default_generator.seed()  # a new process starts from fresh entropy, as PyTorch's default generator


def numpy_generator(generator=None, where: str = "generator") -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s, or the library's default one for None.
    Anything but a deltaprop ``Generator`` is refused in one sentence naming ``where``."""
    if generator is None:
        return default_generator._numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"{where}: generator must be a deltaprop.Generator (or None for the library's own), got "
                        f"{type(generator).__module__}.{type(generator).__name__}")
    return generator._numpy


def manual_seed(seed) -> Generator:
    """Reseed the library's generator, so every later random draw repeats; returns it, as PyTorch's."""
    _checked_seed(seed, "manual_seed")
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the library's generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the library's generator started from."""
    return default_generator.initial_seed()


def get_rng_state():
    """The library's generator's state, a uint8 tensor (PyTorch's ``torch.get_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the library's generator to a state from :func:`get_rng_state`."""
    default_generator.set_state(new_state)


def state_dict(generator: Generator | None = None) -> dict:
    """``generator``'s state (the library's generator's for None) as plain data (JSON-serialisable),
    for checkpoints."""
    return numpy_generator(generator).bit_generator.state


def load_state_dict(state: dict, generator: Generator | None = None) -> None:
    """Restore a state returned by :func:`state_dict` into ``generator`` (the library's for None)."""
    numpy_generator(generator).bit_generator.state = state
