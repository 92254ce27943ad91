"""Settle executed notebooks and render them as lean HTML pages that share one stylesheet.

Settling keeps what a reader needs and drops what only this machine or this run knows: papermill's input/output
paths, the random id of the injected-parameters cell, (optionally) timestamps, and any folder of this machine in
an output (:func:`xproj_lib.paths.portable`); progress-bar fragments are merged into one stream (nbconvert's
``CoalesceStreamsPreprocessor``) and plots are stored as palette PNGs (64 colours: flat-coloured figures look the
same at about a third of the bytes). The HTML uses nbconvert's ``basic`` template (the notebook's body only) in a
small page that links ``results/notebook.css``, instead of embedding ~300 KB of JupyterLab CSS in every file.
"""
from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path
from typing import Any

from .cache import atomic_write_text
from .paths import portable

PAPERMILL_TIMES = ("start_time", "end_time", "duration")
STYLESHEET = "notebook.css"
PALETTE_COLOURS = 64

LAYOUT_CSS = """\
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 0;
       background: #f6f8fa; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 1.5rem 3rem; background: #fff; min-height: 100vh; }
nav.crumbs { font-size: 0.9em; margin-bottom: 0.5rem; }
a { color: #0969da; }
pre, code { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
.cell { margin: 0.6rem 0; }
.input, .output_area { display: flex; gap: 0.5rem; }
.prompt { flex: 0 0 4.5rem; color: #6e7781; font: 12px ui-monospace, monospace; text-align: right;
          padding-top: 0.4rem; }
.inner_cell, .output_subarea { flex: 1 1 auto; min-width: 0; overflow-x: auto; }
.input_area { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: 0.4rem 0.6rem; }
.output_subarea { padding: 0.3rem 0.6rem; }
.output_stderr { background: #fff8f0; }
.output_error pre { color: #b31d28; }
.output_png img { max-width: 100%; height: auto; }
.text_cell_render h1, .text_cell_render h2 { border-bottom: 1px solid #d8dee4; padding-bottom: 0.2rem; }
.anchor-link { visibility: hidden; margin-left: 0.3rem; text-decoration: none; }
h1:hover .anchor-link, h2:hover .anchor-link, h3:hover .anchor-link { visibility: visible; }
table.dataframe, .rendered_html table { border-collapse: collapse; font-size: 13px; margin: 0.3rem 0; }
table.dataframe th, table.dataframe td, .rendered_html th, .rendered_html td { border: 1px solid #d0d7de;
  padding: 0.15rem 0.5rem; }
table.dataframe th, table.dataframe td { text-align: right; }
table.dataframe thead th, .rendered_html thead th { background: #f6f8fa; }
.ansi-bold { font-weight: bold; }
.ansi-red-fg { color: #b31d28; } .ansi-green-fg { color: #22863a; } .ansi-yellow-fg { color: #b08800; }
.ansi-blue-fg { color: #005cc5; } .ansi-cyan-fg { color: #1b7c83; }
"""


def stylesheet() -> str:
    """The shared stylesheet: the page layout, then pygments' colours for highlighted code."""
    from pygments.formatters import HtmlFormatter

    return LAYOUT_CSS + HtmlFormatter(style="default").get_style_defs(".highlight")


def palette_png(raw: bytes) -> bytes:
    """A PNG as a palette PNG of at most :data:`PALETTE_COLOURS` colours, unless it is one already or that is larger."""
    from PIL import Image

    image = Image.open(io.BytesIO(raw))
    if image.mode == "P":
        return raw
    out = io.BytesIO()
    image.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT).save(
        out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(raw) else raw


def _portable_output(output: Any) -> None:
    """Paths in an output's text, traceback and data made portable; PNGs compacted."""
    if "text" in output:
        output["text"] = portable(output["text"])
    if "traceback" in output:
        output["traceback"] = [portable(line) for line in output["traceback"]]
    data = output.get("data", {})
    for kind in ("text/plain", "text/html", "text/markdown"):
        if kind in data:
            data[kind] = portable(data[kind] if isinstance(data[kind], str) else "".join(data[kind]))
    if "image/png" in data:
        raw = base64.b64decode(data["image/png"])
        small = palette_png(raw)
        if small is not raw:
            data["image/png"] = base64.b64encode(small).decode("ascii")


def settle(nb: Any, *, timings: bool) -> Any:
    """Settle an executed notebook (see the module docstring); returns it, changed in place."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    run = nb.metadata.get("papermill", {})
    for key in ("input_path", "output_path") + (() if timings else PAPERMILL_TIMES):
        run.pop(key, None)
    if "parameters" in run:
        run["parameters"] = {k: portable(v) if isinstance(v, str) else v for k, v in run["parameters"].items()}
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
            cell.source = portable(cell.source)
        if not timings:
            cell.metadata.pop("execution", None)
            for key in PAPERMILL_TIMES:
                cell.metadata.get("papermill", {}).pop(key, None)
        for output in cell.get("outputs", []):
            _portable_output(output)
    return nb


def write_stylesheet(results_dir: Path) -> Path:
    """``results_dir/notebook.css``, (re)written only when missing or stale."""
    css, text = results_dir / STYLESHEET, stylesheet()
    if not css.exists() or css.read_text(encoding="utf-8") != text:
        atomic_write_text(css, text)
    return css


def page(body: str, title: str, css_href: str, crumbs: str = "") -> str:
    """A notebook's rendered body in a small standalone page linking the shared stylesheet."""
    return ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><link rel='stylesheet' href='{css_href}'></head>\n"
            f"<body><main>{crumbs}\n{body}\n</main></body></html>\n")


def finish_notebook(notebook: Path, results_dir: Path, *, timings: bool) -> Path:
    """Settle an executed notebook in place and render it to HTML beside it (one read of the notebook); the page
    links ``results_dir/notebook.css``, written here when missing or stale."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = settle(nbformat.read(notebook, as_version=4), timings=timings)
    atomic_write_text(notebook, nbformat.writes(nb))
    css = write_stylesheet(results_dir)
    href = Path(os.path.relpath(css, notebook.parent)).as_posix()
    index = Path(os.path.relpath(results_dir / "index.html", notebook.parent)).as_posix()
    crumbs = f"<nav class='crumbs'><a href='{index}'>← xproj results</a></nav>"
    body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
    out = notebook.with_suffix(".html")
    atomic_write_text(out, page(body, notebook.stem, href, crumbs))
    return out
