"""``glassgrad.io``: safetensors reading and writing (checkpoints without pickle)."""
from .safetensors import load, load_file, load_file_with_metadata, read_metadata, save, save_file  # noqa: F401
