"""The report's HTML: one self-contained page (inline CSS and SVG, no script, nothing fetched)."""
import datetime
import html
import math

__all__ = ["Section", "document", "findings_html", "summary_html", "verdict"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
header{background:#20252d;color:#fff;padding:18px 32px}
header h1{margin:0 0 6px 0;font-size:22px}
header p{margin:2px 0;color:#cfd5dd}
nav{padding:8px 32px;background:#fff;border-bottom:1px solid #dde1e6;position:sticky;top:0;z-index:2}
nav a{margin-right:18px;color:#2456a6;text-decoration:none;font-size:14px}
main{padding:8px 32px 48px 32px;max-width:1180px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:14px 20px;margin:18px 0}
h2{font-size:18px;margin:4px 0 10px 0}
h3{font-size:15px;margin:14px 0 6px 0}
figure.chart{margin:8px 0}
figure.chart svg{max-width:100%;height:auto;display:block}
figcaption{font-size:13px;color:#555;margin-top:4px}
table{border-collapse:collapse;font-size:13px}
td,th{border-bottom:1px solid #e6e9ed;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f0f2f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:target{background:#fff3b0}
.finding{border-left:5px solid #999;padding:6px 14px;margin:8px 0;background:#fafbfc;border-radius:4px;font-size:14px}
.finding p{margin:4px 0}
.ev{display:inline-block;background:#eef1f4;border-radius:4px;padding:0 6px;margin:0 6px 2px 0;font-size:12px;font-variant-numeric:tabular-nums}
.ev .k{color:#555}
.finding:target{outline:3px solid #ffb400;background:#fff8dc}
.sev-error{border-left-color:#d62728}.sev-warning{border-left-color:#ff9f1a}.sev-info{border-left-color:#1f77b4}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;color:#fff;background:#777;margin-right:6px}
.badge.error{background:#d62728}.badge.warning{background:#e08600}.badge.info{background:#1f77b4}
.badge.live{background:#2ca02c}
.finding .advice{color:#1d4f1d}
.verdict{font-size:15px;font-weight:600}
pre{background:#f3f4f6;padding:10px;overflow:auto;font-size:12px}
.muted{color:#666;font-size:13px}
"""


class Section:
    """One section of the page: ``key`` (its anchor), ``title`` and its HTML ``body``."""

    def __init__(self, key, title, body):
        self.key, self.title, self.body = key, title, body


def e(text):
    """HTML-escaped ``str(text)``."""
    return html.escape(str(text), quote=True)


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def verdict(findings):
    """The doctor's verdict in one line (plain text)."""
    if not findings:
        return "the doctor found nothing wrong"
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    head = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    worst = findings[0]
    where = f" in layer '{worst.layer}'" if worst.layer not in (None, "") else ""
    return f"the doctor found {head}; first: {worst.kind}{where}" + (
        f" from step {worst.step}" if worst.step is not None else "")


def chart(svg, caption, anchor=None):
    """A ``<figure class="chart">`` around an inline SVG."""
    ident = f' id="{e(anchor)}"' if anchor else ""
    return f'<figure class="chart"{ident}>{svg}<figcaption>{caption}</figcaption></figure>'


def findings_html(findings, marks, layer_ids, chart_titles):
    """The findings as cards: severity, kind, layer (linked to its summary row), step, message, the
    evidence as a table, the advice, and a link to where the finding is marked in the charts."""
    if not findings:
        return '<p class="verdict">No findings: nothing looks wrong.</p>'
    out = [f'<p class="verdict">{e(verdict(findings)[0].upper() + verdict(findings)[1:])}.</p>']
    for n, f in enumerate(findings, 1):
        layer = ""
        if f.layer not in (None, ""):
            ident = layer_ids.get(f.layer)
            layer = (f' in layer <a href="#{ident}"><code>{e(f.layer)}</code></a>' if ident
                     else f" in layer <code>{e(f.layer)}</code>")
        step = f" from step {e(f.step)}" if f.step is not None else ""
        evidence = " ".join(f'<span class="ev"><span class="k">{e(k)}</span> {e(_fmt(v))}</span>'
                            for k, v in f.evidence.items())
        mark = marks.get(n)
        where = (f' · <a href="#mark-{n}">marked ({n}) on the {e(chart_titles[mark.chart])}</a>' if mark else "")
        out.append(
            f'<div class="finding sev-{e(f.severity)}" id="finding-{n}">'
            f'<div><span class="badge {e(f.severity)}">{n} · {e(f.severity)}</span><strong>{e(f.kind)}</strong>'
            f'{layer}{step}<span class="muted">{where}</span></div><p>{e(f.message)}.</p>'
            + (f'<p class="evidence">{evidence}</p>' if evidence else "")
            + f'<p class="advice">Try: {e(f.advice)}</p></div>')
    return "\n".join(out)


def summary_html(run, findings, layer_ids):
    """The model summary: each layer (type, output shape, parameters, trainable, findings about
    it), then the model's repr and the optimizer."""
    about = {}
    for n, f in enumerate(findings, 1):
        if f.layer not in (None, ""):
            about.setdefault(f.layer, []).append((n, f))
    rows = []
    total = 0
    for entry in run.meta.get("layers", []):
        name = entry["name"]
        total += entry.get("n_params", 0)
        badges = " ".join(f'<a class="badge {e(f.severity)}" href="#finding-{n}">{n} {e(f.kind)}</a>'
                          for n, f in about.get(name, []))
        trainable = entry.get("trainable") or []
        shape = entry.get("output_shape")
        rows.append(f'<tr id="{layer_ids[name]}"><td><code>{e(name)}</code></td><td>{e(entry.get("type", ""))}</td>'
                    f'<td>{e(shape) if shape is not None else ""}</td>'
                    f'<td class="num">{entry.get("n_params", 0):,}</td>'
                    f'<td>{"yes" if trainable and all(trainable) else "no" if trainable else ""}</td><td>{badges}</td></tr>')
    opt = run.meta.get("optimizer") or {}
    opt_line = (f"<p>Optimizer: {e(opt.get('type'))}, learning rate {e(', '.join(_fmt(v) for v in opt.get('lr', [])))}"
                "</p>" if opt else "")
    return (f"<table><tr><th>layer</th><th>type</th><th>output shape</th><th>parameters</th><th>trainable</th>"
            f"<th>findings</th></tr>{''.join(rows)}<tr><th>total</th><th></th><th></th>"
            f"<th class=\"num\">{total:,}</th><th></th><th></th></tr></table>{opt_line}"
            f"<details><summary>model</summary><pre>{e(run.meta.get('model', ''))}</pre></details>")


def document(title, subtitle_lines, sections, refresh=None):
    """The whole page. ``refresh``: seconds after which the browser reloads it (a run still
    training), or None."""
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    nav = "".join(f'<a href="#{e(s.key)}">{e(s.title)}</a>' for s in sections)
    body = "\n".join(f'<section id="{e(s.key)}"><h2>{e(s.title)}</h2>{s.body}</section>' for s in sections)
    sub = "".join(f"<p>{line}</p>" for line in subtitle_lines)
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{meta}'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="generator" content="glassgrad report">'
            f"<title>{e(title)}</title><style>{_CSS}</style></head>\n<body><header><h1>{e(title)}</h1>{sub}"
            f'<p class="muted">generated {e(stamp)}</p></header><nav>{nav}</nav><main>\n{body}\n</main></body></html>\n')
