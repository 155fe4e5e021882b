"""Every plot returns a Figure with a title and labelled axes, and leaves pyplot alone."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mnist_pipeline import plots
from tests.helpers import chapter_calls

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
LABELS = np.arange(20) % 10
PROBA = np.full((3, 10), 0.1)
HISTORY = {
    "loss": [0.5, 0.3],
    "val_loss": [0.4, 0.35],
    "accuracy": [0.8, 0.9],
    "val_accuracy": [0.85, 0.88],
}

CASES = {
    "digit_grid": lambda: plots.digit_grid(IMAGES[:5], [str(d) for d in LABELS[:5]], "Samples"),
    "label_distribution": lambda: plots.label_distribution({"train": LABELS, "test": LABELS[:5]}),
    "mean_images": lambda: plots.mean_images(IMAGES, LABELS),
    "pixel_histogram": lambda: plots.pixel_histogram(IMAGES),
    "projection_scatter": lambda: plots.projection_scatter(RNG.random((20, 2)), LABELS, "PCA"),
    "training_curves": lambda: plots.training_curves(HISTORY, "Model 1"),
    "confusion_heatmap": lambda: plots.confusion_heatmap(np.eye(10, dtype=int), "Confusion"),
    "augmented_samples": lambda: plots.augmented_samples(
        IMAGES[:4] / 255, [IMAGES[4:8] / 255], "Aug"
    ),
    "search_history": lambda: plots.search_history(
        pd.DataFrame({"state": ["COMPLETE", "PRUNED", "COMPLETE"], "value": [0.9, 0.5, 0.95]}),
        "Search",
    ),
    "param_importance": lambda: plots.param_importance({"lr": 0.7, "dropout": 0.3}, "Importance"),
    "validation_curves": lambda: plots.validation_curves({"a": HISTORY, "b": HISTORY}, "Curves"),
    "robustness_curves": lambda: plots.robustness_curves(
        pd.DataFrame(
            {
                "model": ["a", "a", "b", "b"],
                "corruption": ["blur"] * 4,
                "strength": [0, 1, 0, 1],
                "unit": ["sigma"] * 4,
                "accuracy": [1.0, 0.9, 1.0, 0.8],
            }
        ),
        "Robustness",
    ),
    "reliability_diagram": lambda: plots.reliability_diagram(
        {"a": pd.DataFrame({"confidence": [0.5, 0.9], "accuracy": [0.4, 0.95]})}, "Reliability"
    ),
    "per_class_recall": lambda: plots.per_class_recall(
        pd.DataFrame({"a": np.full(10, 0.99), "b": np.full(10, 0.98)}), "Recall"
    ),
    "probability_bars": lambda: plots.probability_bars(IMAGES[:3], PROBA, ["a", "b", "c"], "P"),
    "before_after": lambda: plots.before_after(list(IMAGES[:3]), IMAGES[:3] / 255, ["a"] * 3, "B"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plot_returns_titled_figure_outside_pyplot(name):
    before = plt.get_fignums()
    fig = CASES[name]()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before, "plots must not register figures with pyplot"
    title = fig._suptitle.get_text() if fig._suptitle else fig.axes[0].get_title()
    assert title.strip()


@pytest.mark.parametrize(
    "name",
    [
        "label_distribution",
        "pixel_histogram",
        "projection_scatter",
        "training_curves",
        "confusion_heatmap",
    ],
)
def test_chart_axes_are_labelled(name):
    fig = CASES[name]()
    for ax in fig.axes:
        if ax.get_visible() and ax.has_data():
            assert ax.get_xlabel() and ax.get_ylabel()


def test_figures_display_as_png_in_notebooks():
    png = CASES["training_curves"]()._repr_png_()
    assert png.startswith(b"\x89PNG")


@pytest.mark.parametrize("name", sorted(CASES))
def test_figures_fit_the_page_with_legible_text(name):
    """At most 7 inches wide at 150 dpi, and no text under 8 points at that size."""
    import io

    from PIL import Image

    fig = CASES[name]()
    assert fig.get_size_inches()[0] <= plots.MAX_WIDTH_IN + 1e-9
    png = Image.open(io.BytesIO(fig._repr_png_()))
    assert png.width <= plots.MAX_WIDTH_IN * plots.PNG_DPI + 1
    assert png.info["dpi"][0] >= plots.PNG_DPI - 0.5
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert min(sizes) >= plots.MIN_FONT_PT, name


def test_every_public_figure_function_draws_under_the_style():
    import inspect

    from mnist_pipeline.plots import evaluation as evalplots
    from mnist_pipeline.plots import figures

    public = [
        function
        for module in (figures, evalplots)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    ]
    unstyled = [f.__name__ for f in public if not hasattr(f, "__wrapped__")]
    assert len(public) >= 17 and unstyled == []


def test_every_figure_the_chapters_draw_is_a_public_styled_function_of_plots():
    called = chapter_calls("plots")
    assert called, "the chapters draw figures with plots"
    for name in sorted(called):
        assert callable(getattr(plots, name, None)), f"plots.{name}"
        assert hasattr(getattr(plots, name), "__wrapped__"), f"plots.{name} skips the style"


def test_a_figure_takes_the_style_and_leaves_global_settings_alone():
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    fig = CASES["training_curves"]()
    assert dict(mpl.rcParams) == before
    assert fig.dpi == plots.PNG_DPI != mpl.rcParams["figure.dpi"]
    ticks = [t.get_fontsize() for ax in fig.axes for t in ax.get_xticklabels()]
    assert set(ticks) == {plots.STYLE["xtick.labelsize"]}


@pytest.mark.slow  # a fresh process imports matplotlib and the package: seconds
def test_importing_the_package_leaves_matplotlib_settings_unchanged():
    import subprocess
    import sys

    probe = (
        "import json, matplotlib as mpl\n"
        "before = {k: repr(v) for k, v in mpl.rcParams.items()}\n"
        "import mnist_pipeline\n"
        "from mnist_pipeline import plots\n"
        "after = {k: repr(v) for k, v in mpl.rcParams.items()}\n"
        "print(json.dumps(sorted(k for k in before if before[k] != after[k])))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    assert result.stdout.splitlines()[-1] == "[]"


def test_wide_figures_keep_every_panel_and_shrink_to_the_page():
    fig = plots.probability_bars(IMAGES[:8], np.tile(PROBA[:1], (8, 1)), ["x"] * 8, "P")
    assert fig.get_size_inches()[0] <= plots.MAX_WIDTH_IN
    assert sum(ax.get_visible() for ax in fig.axes) == 16


def test_histogram_bins_hold_whole_grey_levels():
    fig = plots.pixel_histogram(np.arange(256, dtype=np.uint8).reshape(16, 16))
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert len(heights) == 64 and set(heights) == {4}  # 4 levels in every bin: no aliasing


def test_pca_axes_say_how_much_variance_they_explain():
    fig = plots.projection_scatter(
        RNG.random((20, 2)), LABELS[:20], "PCA", explained=[0.097, 0.071]
    )
    assert "9.7% of variance" in fig.axes[0].get_xlabel()
    assert "7.1% of variance" in fig.axes[0].get_ylabel()


def test_every_digit_image_uses_one_colour_map():
    for name in ("digit_grid", "mean_images", "augmented_samples", "probability_bars"):
        maps = {im.get_cmap().name for ax in CASES[name]().axes for im in ax.get_images()}
        assert maps == {plots.DIGIT_CMAP}, name


def test_corruption_gallery_shows_the_clean_digit_and_all_fifteen_corruptions():
    from mnist_pipeline.corruptions import mnistc

    before = plt.get_fignums()
    fig = plots.corruption_gallery(IMAGES[0] / 255, mnistc.corrupt_all(IMAGES[:1] / 255, 0))
    assert plt.get_fignums() == before, "plots must not register figures with pyplot"
    assert fig._suptitle.get_text().strip()
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert titles == ["clean"] + [name.replace("_", " ") for name in mnistc.CORRUPTIONS]
    assert {im.get_cmap().name for ax in fig.axes for im in ax.get_images()} == {plots.DIGIT_CMAP}
    assert fig.get_size_inches()[0] <= plots.MAX_WIDTH_IN + 1e-9
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert min(sizes) >= plots.MIN_FONT_PT
