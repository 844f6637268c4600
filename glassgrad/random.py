"""Random number generation: ``Generator``, ``manual_seed`` and the default generator.

Streams come from NumPy's PCG64, so a seed reproduces a run exactly (they are not PyTorch's
streams: the same seed gives different numbers than in PyTorch).
"""
import numpy as np


class Generator:
    """A seeded source of random numbers (PyTorch's ``torch.Generator``)."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(np.random.SeedSequence().entropy % (2 ** 63))

    def manual_seed(self, seed):
        """Reset the stream to ``seed`` and return self."""
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    seed = manual_seed

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The stream's state as a uint8 array (for checkpoints)."""
        import json
        return np.frombuffer(json.dumps(self.rng.bit_generator.state).encode(), dtype=np.uint8).copy()

    def set_state(self, state):
        """Restore a state from ``get_state``."""
        import json
        data = state.numpy() if hasattr(state, "numpy") else np.asarray(state)
        self.rng.bit_generator.state = json.loads(bytes(data.astype(np.uint8)).decode())


default_generator = Generator().manual_seed(0)


def manual_seed(seed):
    """Seed the default generator (and NumPy's global one, which helpers like shuffles may use)."""
    default_generator.manual_seed(seed)
    np.random.seed(int(seed) % (2 ** 32))
    return default_generator


def seed():
    """Seed the default generator from the OS and return the seed."""
    s = int(np.random.SeedSequence().entropy % (2 ** 63))
    default_generator.manual_seed(s)
    return s


def initial_seed():
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (restore with ``set_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(state):
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(state)


# Callables run before each draw through ``rng_of`` (vmap's randomness="error" raises from one).
draw_checks = []


def rng_of(generator=None):
    """The NumPy generator behind ``generator`` (the default one when None)."""
    if draw_checks:
        for check in draw_checks:
            check()
    return (generator or default_generator).rng
