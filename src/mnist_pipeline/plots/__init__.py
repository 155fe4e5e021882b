"""Pure plotting functions: each returns a matplotlib Figure with a title and labelled axes.

The figures of the data chapters are in :mod:`.figures`, of training and the search in
:mod:`.training`, of the evaluation chapter in :mod:`.evaluation` and :mod:`.robustness`, of
prediction in :mod:`.prediction`, and the house style they all draw under in :mod:`.style`.
Every public figure is reachable from here, as ``plots.<name>``.
"""

from mnist_pipeline.plots.evaluation import (
    per_class_recall,
    reliability_diagram,
    validation_curves,
)
from mnist_pipeline.plots.figures import (
    augmented_samples,
    digit_grid,
    label_distribution,
    mean_images,
    pixel_histogram,
    projection_scatter,
)
from mnist_pipeline.plots.prediction import before_after, probability_bars
from mnist_pipeline.plots.robustness import corruption_gallery, robustness_curves
from mnist_pipeline.plots.style import (
    DIGIT_CMAP,
    DIGITS,
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
from mnist_pipeline.plots.training import (
    confusion_heatmap,
    param_importance,
    search_history,
    training_curves,
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
