"""Settling and rendering executed notebooks: portable, compact, one shared stylesheet."""
from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from xproj_lib.render import STYLESHEET, finish_notebook, palette_png  # noqa: E402


def _plot_png() -> bytes:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.imshow([[0, 1, 0], [1, 0, 1]], cmap="Greys")
    ax.set_title("an alignment")
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    plt.close(fig)
    return out.getvalue()


def test_palette_png_is_smaller_and_same_size():
    from PIL import Image

    raw = _plot_png()
    small = palette_png(raw)
    assert len(small) < len(raw)
    assert Image.open(io.BytesIO(small)).size == Image.open(io.BytesIO(raw)).size
    assert palette_png(small) is small  # already a palette image


def test_finish_notebook_settles_and_renders_lean_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XPROJ_CACHE_DIR", str(cache))
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('data_dir = ""', metadata={"tags": ["injected-parameters"]})
    code = nbformat.v4.new_code_cell("run()", outputs=[
        nbformat.v4.new_output("stream", name="stderr", text="Loading: 0%\r"),
        nbformat.v4.new_output("stream", name="stderr", text="\rLoading: 100%\n"),
        nbformat.v4.new_output("stream", name="stdout", text=f"model from {cache}/models/ner-1\n"),
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(_plot_png()).decode()}),
    ])
    nb.cells = [params, code]
    nb.metadata["papermill"] = {"input_path": "/somewhere/notebooks/experiment.ipynb", "output_path": "/x.ipynb",
                                "parameters": {"data_dir": ""}}
    results = tmp_path / "results"
    path = results / "runs" / "masakhaner2" / "hau" / "m.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    html = finish_notebook(path, results, timings=True)
    settled = nbformat.read(path, as_version=4)
    assert "input_path" not in settled.metadata["papermill"] and settled.cells[0].id == "injected-parameters"
    outputs = settled.cells[1].outputs
    assert [o.output_type for o in outputs] == ["stream", "stream", "display_data"]  # the two stderr merged
    assert outputs[0].text == "Loading: 100%\n"
    assert outputs[1].text == "model from $XPROJ_CACHE_DIR/models/ner-1\n"
    page = html.read_text()
    assert "href='../../../notebook.css'" in page and (results / STYLESHEET).is_file()
    assert "<style" not in page.split("<body>")[0]  # no embedded CSS in the head
    assert len(page) < 40_000
