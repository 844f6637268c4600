"""Run each application recipe in glassgrad and PyTorch (apps_twin.py, one process each, the two
alternating) and print the table: metric and training wall time of each, and the time ratio.

    python benchmarks/apps_compare.py --data PATH   # the folder holding fsdd/ and sms-spam-collection/
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = {"L_TEXT": "sms-spam-collection", "L_SPEECH": "fsdd", "L_REGRESSION": None}


def run(framework, recipe, data):
    cmd = [sys.executable, os.path.join(HERE, "apps_twin.py"), "--framework", framework, "--recipe", recipe]
    if DATA[recipe]:
        cmd += ["--data-dir", os.path.join(data, DATA[recipe])]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("GLASSGRAD_DATA"), help="full data folder (default $GLASSGRAD_DATA)")
    p.add_argument("--recipes", nargs="+", default=list(DATA), choices=list(DATA))
    args = p.parse_args()
    print("| id | glassgrad metric | PyTorch metric | glassgrad s | PyTorch s | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for recipe in args.recipes:
        ours, ref = run("glassgrad", recipe, args.data), run("torch", recipe, args.data)
        key = "test_mse" if recipe == "L_REGRESSION" else "test_accuracy"
        fmt = (lambda v: f"MSE {v:.4f}") if key == "test_mse" else (lambda v: f"{100 * v:.2f}%")
        print(f"| {recipe} | {fmt(ours[key])} | {fmt(ref[key])} | {ours['train_seconds']:.1f} | "
              f"{ref['train_seconds']:.1f} | {ours['train_seconds'] / ref['train_seconds']:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
