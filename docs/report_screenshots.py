"""Make the report screenshots of the docs: the report of `glassgrad demo`'s run (docs/report.png, as
the README shows it) and of a deliberately broken run, 20 sigmoid layers on the same digits
(docs/report_broken.png). Prints each report's size and generation time.

    python docs/report_screenshots.py [--out docs] [--work DIR]

Needs the demo and report extras, Playwright for Python and Debian's chromium (/usr/bin/chromium)."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"


def broken_run(run_dir):
    """20 sigmoid layers, default init, SGD: the gradients vanish on their way to the first layers."""
    import glassgrad
    from glassgrad import nn, optim
    from glassgrad.data import DataLoader, load_digits, random_split
    from glassgrad.train import InspectCallback, fit
    glassgrad.manual_seed(0)
    data = load_digits()
    n_test = len(data) // 5
    train, test = random_split(data, [len(data) - n_test, n_test], generator=glassgrad.Generator().manual_seed(0))
    layers = [nn.Flatten(), nn.Linear(64, 32), nn.Sigmoid()]
    for _ in range(19):
        layers += [nn.Linear(32, 32), nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(32, 10))
    fit(model, optim.SGD(model.parameters(), lr=0.05), nn.CrossEntropyLoss(), DataLoader(train, batch_size=32,
        shuffle=True), DataLoader(test, batch_size=500), epochs=3, verbose=False,
        callbacks=[InspectCallback(run_dir, every=5)])


def screenshot(html, png, height=None):
    """A 1280-wide screenshot of the page (the top ``height`` pixels, or all of it)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": height or 900})
        page.goto("file://" + os.path.abspath(html))
        page.screenshot(path=png, full_page=height is None)
        browser.close()
    from PIL import Image
    Image.open(png).convert("RGB").quantize(colors=128).save(png, optimize=True)  # a smaller file for the docs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="where the PNGs go")
    ap.add_argument("--work", default=None, help="where the runs and reports go (default: a temporary folder)")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="glassgrad-report-")
    os.makedirs(work, exist_ok=True)
    subprocess.run([sys.executable, "-m", "glassgrad.cli", "demo", "--quiet", "--out",
                    os.path.join(work, "demo.safetensors")], check=True)
    broken_run(os.path.join(work, "broken-run"))
    from glassgrad.inspect import write_report
    for name, run_dir, png, height in (("demo", "demo-run", "report.png", 1400),
                                       ("broken", "broken-run", "report_broken.png", 2900)):
        html = os.path.join(work, f"{name}-report.html")
        start, cpu = time.perf_counter(), time.process_time()
        write_report(os.path.join(work, run_dir), html)
        took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
        screenshot(html, os.path.join(a.out, png), height)
        print(f"{name}: {html} {os.path.getsize(html):,} bytes, written in {took:.2f} s ({took_cpu:.2f} s CPU); "
              f"screenshot "
              f"{os.path.join(a.out, png)}")


if __name__ == "__main__":
    main()
