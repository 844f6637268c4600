"""The layers glassgrad exports to ONNX, each with the largest difference between onnxruntime
and glassgrad (float32, dynamic batch, at two batch sizes). The cases are those of tests/test_onnx.py.

    python benchmarks/onnx_parity.py
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))

from onnx_cases import cases, max_difference, sequence_cases  # noqa: E402


def main():
    print("| layers | max abs difference |\n| --- | --- |")
    for label, model, x, axis in [(label, m, x, 0) for label, m, x in cases()] + sequence_cases():
        print(f"| {label} | {max_difference(model, x, axis):.1e} |", flush=True)


if __name__ == "__main__":
    main()
