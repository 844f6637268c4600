"""nn.utils: gradient clipping and helpers."""
