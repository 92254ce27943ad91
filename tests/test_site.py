"""The results site: built from records (no browser), and the committed ``results/index.html`` in a real
headless Chromium (marked ``browser``; skipped with the reason where Debian's ``chromium`` is not installed)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from xproj_lib.site import answer_html, write_site

REPO = Path(__file__).resolve().parents[1]
INDEX = REPO / "results" / "index.html"


def test_answer_states_verdicts_from_the_numbers():
    summary = pd.DataFrame([
        {"method": "proj-greedy-eflomal-e5", "baseline": "model-transfer", "n_langs": 20, "mean_gain": 0.1,
         "langs_above": 18, "langs_below": 2, "wilcoxon_p": 0.0002, "wilcoxon_q": 0.0006, "n_langs_distance": 18,
         "spearman_rho": 0.2, "spearman_p": 0.4, "spearman_q": 0.59},
        {"method": "adversarial-e5", "baseline": "continued-e5", "n_langs": 20, "mean_gain": -0.025,
         "langs_above": 7, "langs_below": 13, "wilcoxon_p": 0.26, "wilcoxon_q": 0.33, "n_langs_distance": 18,
         "spearman_rho": 0.62, "spearman_p": 0.005, "spearman_q": 0.023}])
    text = answer_html(summary, {"model-transfer": "model transfer"})
    assert "yes, better</span> — <b>proj-greedy-eflomal-e5</b> vs model transfer: mean F1 gain +0.100" in text
    assert "Wilcoxon p &lt; 0.001, BH q &lt; 0.001" in text
    assert "no clear difference</span> — <b>adversarial-e5</b>" in text
    assert "adversarial-e5 vs continued-e5 (ρ = +0.62, q = 0.023)" in text  # the one gain that moves with distance


def test_site_from_no_records_says_so(tmp_path: Path):
    page = write_site(tmp_path).read_text()
    assert "No result records yet" in page and (tmp_path / "notebook.css").is_file()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield instance
        instance.close()


@pytest.mark.browser
def test_index_renders_answer_figures_matrix_and_links(browser):
    assert INDEX.is_file(), "results/index.html is missing: run xproj report"
    page = browser.new_page(viewport={"width": 1366, "height": 900})  # a laptop
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(INDEX.as_uri(), wait_until="load")
    answer = page.inner_text("#answer")
    assert "The question" in answer and "mean F1 gain" in answer and "Wilcoxon" in answer
    assert page.locator("#answer dt").count() >= 3
    figures = page.eval_on_selector_all("#figures img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
    assert len(figures) >= 3 and all(width > 0 for _, width in figures), figures
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366, "the page overflows a laptop's width"
    cells = page.locator("table.matrix[data-dataset='masakhaner2'][data-pipeline='transfer'] td a")
    assert cells.count() >= 100
    rows = page.locator("#runs tbody tr")
    total = rows.count()
    page.fill("#filter-text", "yor")
    shown = page.locator("#runs tbody tr:not([hidden])")
    assert 0 < shown.count() < total and all("yor" in t for t in shown.all_inner_texts())
    assert page.inner_text("#run-count") == f"{shown.count()} of {total} runs"
    href = cells.first.get_attribute("href")
    cells.first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(href), (page.url, href)
    assert "xproj: one study cell" in page.inner_text("h1") and "F1 = " in page.content()
    css = page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth")
    assert css == "1100px", "the run page did not load the shared stylesheet"
    assert not errors, errors
