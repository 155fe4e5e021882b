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
# As chapter 9 builds them, from the rows of a float array: "7.0 as 1.0 (99%)".
MISTAKE_TITLES = [
    f"{t} as {p} ({c:.0%})"
    for t, p, c in np.column_stack([LABELS, (LABELS + 3) % 10, np.linspace(0.99, 0.88, 20)]).astype(
        float
    )
]
MODELS = [
    "model 1",
    "model 2",
    "model 3",
    "model 4",
    "model 4 without augmentation",
    "RBF SVM on 50 PCA components",
]
LONG_RECALLS = pd.DataFrame({m: np.linspace(0.96, 0.99, 10) for m in MODELS})
RELIABILITY = {
    m: pd.DataFrame(
        {
            "count": [2, 7, 35, 120, 9800],
            "confidence": [0.35, 0.45, 0.6, 0.8, 0.99],
            "accuracy": [0.0, 1.0, 0.55, 0.8, 0.995],
        }
    )
    for m in MODELS
}
CURVES = pd.DataFrame(
    [
        {"model": m, "corruption": c, "strength": s, "unit": "sigma", "accuracy": 0.99 - i * s / 8}
        for i, m in enumerate(MODELS)
        for c in ("blur", "noise")
        for s in (0.0, 0.3, 0.6, 1.0)
    ]
)

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
    "mistakes_grid": lambda: plots.digit_grid(IMAGES, MISTAKE_TITLES, "Mistakes"),
    "reliability_counts": lambda: plots.reliability_diagram(RELIABILITY, "Reliability"),
    "robustness_bands": lambda: plots.robustness_curves(
        CURVES, "Robustness", targets={"blur": 1.0, "noise": 0.3}, n=200
    ),
    "long_legend_recall": lambda: plots.per_class_recall(LONG_RECALLS, "Recall"),
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
    from mnist_pipeline.plots import figures, prediction, robustness, training

    public = [
        function
        for module in (figures, evalplots, prediction, robustness, training)
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


# --- legibility at the book's width: what a reviewer of the rendered book found hard to read


def _drawn(fig):
    fig.draw_without_rendering()
    return fig


def _inside(box, fig) -> bool:
    page = fig.bbox
    return (
        box.x0 >= page.x0 - 1
        and box.y0 >= page.y0 - 1
        and box.x1 <= page.x1 + 1
        and box.y1 <= page.y1 + 1
    )


def _legend(fig):
    legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert len(legends) == 1
    return legends[0]


def test_digit_grid_prints_float_labels_as_integers():
    titles = [ax.get_title() for ax in CASES["mistakes_grid"]().axes if ax.get_images()]
    assert titles[0].split() == ["0", "as", "3", "(99%)"]
    assert not any(".0" in t for t in titles)
    fig = plots.digit_grid(IMAGES[:3], [np.float64(7.0), 2, "a 0.5 b"], "Numbers")
    assert [ax.get_title() for ax in fig.axes[:3]] == ["7", "2", "a 0.5 b"]


def test_digit_grid_titles_neither_overlap_nor_leave_the_canvas():
    fig = _drawn(CASES["mistakes_grid"]())
    boxes = [ax.title.get_window_extent() for ax in fig.axes if ax.get_images()]
    assert len(boxes) == 20
    assert all(_inside(box, fig) for box in boxes)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), "two panel titles overlap"
    # the titles wrapped onto two lines, each clear of the image above it
    assert all("\n" in ax.get_title() for ax in fig.axes if ax.get_images())
    top_row, second_row = fig.axes[:10], fig.axes[10:20]
    for upper, lower in zip(top_row, second_row, strict=True):
        image_above = upper.get_window_extent()
        assert lower.title.get_window_extent().y1 <= image_above.y0 + 1


def test_digit_grid_draws_grey_levels_on_a_fixed_scale():
    # a contrast-reduced image (ink at 0.3 on 0.2) must look faint, not stretched to full range
    faint = np.full((2, 28, 28), 0.2)
    faint[:, 10:18, 10:18] = 0.3
    fig = plots.digit_grid(faint, ["faint", "faint"], "Low contrast")
    shown = [image for ax in fig.axes for image in ax.get_images()]
    assert len(shown) == 2 and all(image.get_clim() == (0, 1) for image in shown)
    # MNIST's uint8 arrays (0 to 255) are drawn on the same scale, not saturated
    raw = plots.digit_grid(IMAGES[:1], ["raw"], "Raw").axes[0].get_images()[0]
    assert raw.get_clim() == (0, 1)
    assert np.asarray(raw.get_array()).max() == pytest.approx(IMAGES[0].max() / 255)


def test_digit_grid_keeps_the_callers_line_breaks_and_short_titles():
    fig = plots.digit_grid(IMAGES[:2], ["noise\nrefused", "label 7"], "Answers", n_cols=6)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["noise\nrefused", "label 7"]


@pytest.mark.parametrize(
    "name",
    ["long_legend_recall", "reliability_counts", "validation_curves", "search_history"],
)
def test_legends_lie_whole_inside_the_canvas(name):
    fig = _drawn(CASES[name]())
    legend = _legend(fig)
    assert _inside(legend.get_window_extent(), fig), name
    # and under the axes, where it hides no data
    lowest = min(ax.get_window_extent().y0 for ax in fig.axes if ax.get_visible())
    assert legend.get_window_extent().y1 <= lowest + 1, name


def test_reliability_diagram_shows_bin_counts_and_leaves_small_bins_unjoined():
    fig = CASES["reliability_counts"]()
    top, counts = fig.axes
    assert counts.get_yscale() == "log"
    shown = sorted(y for line in counts.get_lines() for y in np.atleast_1d(line.get_ydata()))
    assert {2, 7, 35, 120, 9800} <= set(shown)
    joined = next(line for line in top.get_lines() if line.get_label() == "model 1")
    assert list(joined.get_xdata()) == [0.6, 0.8, 0.99]  # bins of 20 images or more
    hollow = [
        line
        for line in top.get_lines()
        if line.get_linestyle() == "None" and line.get_markerfacecolor() == "white"
    ]
    assert sorted(x for line in hollow[:1] for x in line.get_xdata()) == [0.35, 0.45]


def test_reliability_diagram_without_counts_draws_as_before():
    fig = CASES["reliability_diagram"]()
    assert len(fig.axes) == 1
    line = next(line for line in fig.axes[0].get_lines() if line.get_label() == "a")
    assert list(line.get_xdata()) == [0.5, 0.9]


def test_robustness_curves_draw_intervals_targets_and_distinct_lines():
    from matplotlib.collections import PolyCollection

    fig = CASES["robustness_bands"]()
    blur = next(ax for ax in fig.axes if ax.get_title() == "blur")
    bands = [c for c in blur.collections if isinstance(c, PolyCollection)]
    assert len(bands) == len(MODELS)
    targets = [line for line in blur.get_lines() if line.get_linestyle() == ":"]
    assert [line.get_xdata()[0] for line in targets] == [1.0]
    curves = [line for line in blur.get_lines() if line.get_label() in MODELS]
    looks = {(line.get_color(), line.get_marker(), line.get_linestyle()) for line in curves}
    assert len(looks) == len(MODELS)
    assert len({line.get_marker() for line in curves}) == len(MODELS)
    legend = next(ax.get_legend() for ax in fig.axes if ax.get_legend())
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [*MODELS, "95 % interval", "target strength"]


def test_robustness_intervals_come_from_the_table_or_a_wilson_interval():
    from mnist_pipeline.plots.robustness import _intervals, _wilson

    low, high = _wilson(np.array([0.9]), 100)
    assert low[0] == pytest.approx(0.8256, abs=1e-4) and high[0] == pytest.approx(0.9448, abs=1e-4)
    rows = pd.DataFrame({"accuracy": [0.9], "ci_low": [0.5], "ci_high": [0.95], "n": [100]})
    assert [list(x) for x in _intervals(rows, n=10)] == [[0.5], [0.95]]
    assert _intervals(rows.drop(columns=["ci_low", "ci_high"]), n=None)[0][0] == low[0]
    assert _intervals(rows[["accuracy"]], n=None) is None
    plain = CASES["robustness_curves"]()  # no intervals known: no bands, no targets
    assert not any(ax.collections for ax in plain.axes)


def test_validation_curves_scale_to_the_settled_epochs_and_mark_what_is_off_the_axis():
    settled = {"val_loss": [0.06, 0.06, 0.05, 0.05], "val_accuracy": [0.983, 0.984, 0.987, 0.988]}
    slow = {"val_loss": [0.3, 0.06, 0.04, 0.03], "val_accuracy": [0.90, 0.982, 0.99, 0.993]}
    fig = plots.validation_curves({"a": settled, "b": slow}, "Curves")
    loss, accuracy = fig.axes
    low, high = accuracy.get_ylim()
    assert 0.975 < low < 0.982 and 0.993 <= high <= 1.0  # not squashed down to 90 %
    assert loss.get_ylim()[1] < 0.3
    arrows = [
        line for ax in fig.axes for line in ax.get_lines() if "arrow" in str(line.get_marker())
    ]
    assert len(arrows) == 2  # the 90 % and the loss of 0.3, at the axes' edges
    everything = plots.validation_curves({"a": settled, "b": slow}, "Curves", clip=False)
    assert everything.axes[1].get_ylim()[0] < 0.90


def test_probability_bars_use_a_log_axis_and_name_the_prediction():
    proba = np.full((2, 10), 1e-7)
    proba[0, 3], proba[0, 5] = 0.99, 0.01 - 8e-7
    proba[1, 7] = 1 - 9e-7
    fig = plots.probability_bars(IMAGES[:2], proba, [3.0, "true 7"], "P")
    charts = [ax for ax in fig.axes if ax.patches]
    assert [ax.get_yscale() for ax in charts] == ["log", "log"]
    assert [ax.get_title() for ax in charts] == ["3: 99.00%", "7: >99.99%"]
    assert fig.axes[0].get_title() == "3"  # a float label printed as an integer
    first = [bar.get_facecolor() for bar in charts[0].patches]
    assert first[3] != first[0] and first[5] == first[0]  # the prediction stands out
    heights = [bar.get_y() + bar.get_height() for bar in charts[0].patches]
    assert heights[5] == pytest.approx(0.01, rel=1e-3)  # the second choice is visible
    linear = plots.probability_bars(IMAGES[:2], proba, ["a", "b"], "P", log=False)
    assert {ax.get_yscale() for ax in linear.axes if ax.patches} == {"linear"}


def test_search_history_shows_accuracy_in_percent():
    fig = _drawn(CASES["search_history"]())
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert ticks and all(t.endswith("%") for t in ticks)


def test_mean_images_share_one_grey_scale():
    labels = np.repeat(np.arange(10), 2)
    images = np.zeros((20, 28, 28), np.uint8)
    images[labels == 1] = 40  # a faint digit stays faint beside the others
    shown = [ax.get_images()[0] for ax in plots.mean_images(images, labels).axes[:10]]
    assert all(image.get_clim() == (0, 255) for image in shown)
    floats = plots.mean_images(images / 255.0, labels).axes[0].get_images()[0]
    assert floats.get_clim() == (0, 1)
