"""``glassgrad.onnx``: export models to ONNX (PyTorch's ``torch.onnx``); see ``glassgrad/io/onnx.py``."""
from .io.onnx import export  # noqa: F401
