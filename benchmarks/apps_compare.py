"""Run each application recipe in glassgrad and PyTorch (apps_twin.py, one process each, the two
alternating, one thread each by default) and print the table: the held-out metric and training
wall time of each, and the time ratio.

    python benchmarks/apps_compare.py --data PATH   # the folder holding fsdd/, sms-spam-collection/, tinyshakespeare/
    python benchmarks/apps_compare.py --data PATH --epochs L_CHAR_LSTM=1 L_CHAR_GPT=1   # time one epoch of the LMs
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = {"L_TEXT": "sms-spam-collection", "L_SPEECH": "fsdd", "L_REGRESSION": None,
        "L_CHAR_LSTM": "tinyshakespeare", "L_CHAR_GPT": "tinyshakespeare"}
METRICS = {"test_accuracy": lambda v: f"{100 * v:.2f}% accuracy", "test_mse": lambda v: f"MSE {v:.4f}",
           "val_loss": lambda v: f"{v:.4f} nats/char"}


def run(framework, recipe, data, threads, epochs=None):
    """apps_twin.py's JSON result for one framework and recipe, in a fresh process."""
    cmd = [sys.executable, os.path.join(HERE, "apps_twin.py"), "--framework", framework, "--recipe", recipe,
           "--threads", str(threads)]
    if DATA[recipe]:
        cmd += ["--data-dir", os.path.join(data, DATA[recipe])]
    if epochs:
        cmd += ["--epochs", str(epochs)]
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "GLASSGRAD_NUM_THREADS"):
        env[var] = str(threads)  # one thread means one: NumPy's BLAS under glassgrad included
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.environ.get("GLASSGRAD_DATA"), help="full data folder (default $GLASSGRAD_DATA)")
    p.add_argument("--recipes", nargs="+", default=list(DATA), choices=list(DATA))
    p.add_argument("--threads", type=int, default=1, help="threads per framework (default 1: steadier figures)")
    p.add_argument("--epochs", nargs="*", default=[], metavar="RECIPE=N", help="override a recipe's epochs")
    args = p.parse_args()
    epochs = dict(e.split("=", 1) for e in args.epochs)
    print("| id | epochs | glassgrad | PyTorch | glassgrad s | PyTorch s | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for recipe in args.recipes:
        ours = run("glassgrad", recipe, args.data, args.threads, epochs.get(recipe))
        ref = run("torch", recipe, args.data, args.threads, epochs.get(recipe))
        key = next(k for k in METRICS if k in ours)
        print(f"| {recipe} | {ours['epochs']} | {METRICS[key](ours[key])} | {METRICS[key](ref[key])} | "
              f"{ours['train_seconds']:.1f} | {ref['train_seconds']:.1f} | "
              f"{ours['train_seconds'] / ref['train_seconds']:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
