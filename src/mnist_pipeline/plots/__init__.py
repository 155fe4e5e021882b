"""Pure plotting functions: each returns a matplotlib Figure with a title and labelled axes.

The figures of the data and training chapters are in :mod:`.figures`, the evaluation
chapter's in :mod:`.evaluation`, and the house style they all draw under in :mod:`.style`.
Every public name of the three is reachable from here, as ``plots.<name>``.
"""

from mnist_pipeline.plots.evaluation import (
    corruption_gallery,
    per_class_recall,
    reliability_diagram,
    robustness_curves,
    validation_curves,
)
from mnist_pipeline.plots.figures import (
    DIGITS,
    augmented_samples,
    before_after,
    confusion_heatmap,
    digit_grid,
    label_distribution,
    mean_images,
    param_importance,
    pixel_histogram,
    probability_bars,
    projection_scatter,
    search_history,
    training_curves,
)
from mnist_pipeline.plots.style import (
    DIGIT_CMAP,
    MAX_WIDTH_IN,
    MIN_FONT_PT,
    PNG_DPI,
    STYLE,
    NotebookFigure,
    blank,
    image_grid,
    styled,
    subplots,
)

__all__ = [
    "DIGITS",
    "DIGIT_CMAP",
    "MAX_WIDTH_IN",
    "MIN_FONT_PT",
    "PNG_DPI",
    "STYLE",
    "NotebookFigure",
    "augmented_samples",
    "before_after",
    "blank",
    "confusion_heatmap",
    "corruption_gallery",
    "digit_grid",
    "image_grid",
    "label_distribution",
    "mean_images",
    "param_importance",
    "per_class_recall",
    "pixel_histogram",
    "probability_bars",
    "projection_scatter",
    "reliability_diagram",
    "robustness_curves",
    "search_history",
    "styled",
    "subplots",
    "training_curves",
    "validation_curves",
]
