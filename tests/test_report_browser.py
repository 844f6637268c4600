"""The HTML report in a real browser: Debian's headless Chromium driven by Playwright loads the page
with every network request blocked, and finds no console error, no request for anything outside the
page, every chart drawn (a visible box with more than a blank background in it), and the links
between findings and chart marks working. The screenshot is kept in tests/artifacts/ (gitignored).

Needs the ``chromium`` package (.ci/run installs it) and Playwright for Python (the ``test`` extra);
Playwright's own browser download is not used."""
import io
import os
import pathlib

import numpy as np

from glassgrad.inspect import scenarios
from glassgrad.inspect.html_report import write_report

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = pathlib.Path(__file__).parent / "artifacts"


def _nonblank(png):
    """Whether a screenshot shows more than one flat colour (a drawn chart, not an empty box)."""
    from PIL import Image
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float64)
    return pixels.size > 0 and pixels.std() > 5.0 and (pixels < 128).mean() > 0.002


def test_report_in_headless_chromium(tmp_path):
    from playwright.sync_api import sync_playwright
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)"
    outcome = scenarios.run("lr_too_high")  # findings on the curves and on the gradient map, NaN figures
    run_dir = str(tmp_path / "run")
    outcome.monitor.save(run_dir)
    path = tmp_path / "report.html"
    write_report(run_dir, str(path))
    url = path.as_uri()

    requests, blocked, console_errors, page_errors = [], [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)

            def route(r):
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()
            context.route("**/*", route)
            page = context.new_page()
            page.on("request", lambda req: requests.append(req.url))
            page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.goto(url, wait_until="load")

            charts = page.locator("figure.chart > svg")
            count = charts.count()
            # curves, 3 heat maps (gradient norm, update ratio, dead/saturated), 3 histograms, the graph
            assert count == 8
            for i in range(count):
                chart = charts.nth(i)
                box = chart.bounding_box()
                assert box and box["width"] > 200 and box["height"] > 100, f"chart {i} has no size: {box}"
                assert _nonblank(chart.screenshot()), f"chart {i} is blank"
            # a heat map is an image inside its SVG: it decoded and has pixels
            sizes = page.eval_on_selector_all("#chart-grad_norm svg image",
                                              "els => els.map(e => [e.getBBox().width, e.getBBox().height])")
            assert sizes and all(w > 0 and h > 0 for w, h in sizes)

            # a finding's card links to its mark on the chart, and the mark back to the card
            first_mark = page.locator("div.finding a[href^='#mark-']").first
            target = first_mark.get_attribute("href")[1:]
            first_mark.click()
            assert page.evaluate("location.hash") == "#" + target
            assert page.evaluate(f"document.getElementById('{target}').closest('figure').id").startswith("chart-")
            number = target.split("-")[1]
            page.evaluate(f"location.hash = '#finding-{number}'")
            outline = page.eval_on_selector(f"#finding-{number}", "e => getComputedStyle(e).outlineStyle")
            assert outline == "solid"  # :target highlights the card
            page.evaluate("location.hash = ''")

            # the harness itself: a page that fetches something and logs an error is caught
            probe = tmp_path / "probe.html"
            probe.write_text('<!DOCTYPE html><img src="https://example.com/x.png"><script>console.error("x")</script>')
            probe_page = context.new_page()
            probe_errors = []
            probe_page.on("console", lambda msg: probe_errors.append(msg.text) if msg.type == "error" else None)
            probe_page.goto(probe.as_uri(), wait_until="load")
            assert "https://example.com/x.png" in blocked and "x" in probe_errors
            blocked.remove("https://example.com/x.png")
            probe_page.close()

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        finally:
            browser.close()
    assert not console_errors and not page_errors, (console_errors, page_errors)
    assert not blocked, f"the page asked for {blocked}"
    assert all(u == url or u.startswith("data:") for u in requests), requests
    assert shot.stat().st_size > 10000
