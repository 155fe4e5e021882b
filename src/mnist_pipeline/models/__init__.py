"""The models: the CNN builders (:mod:`.cnn`), model 4's candidate designs (:mod:`.designs`),
augmentation (:mod:`.augment`, :mod:`.photometric`), the "not a digit" detector
(:mod:`.detector`, reading :mod:`.layer_features`), the scikit-learn baselines (:mod:`.baselines`) and the spec of every model
(:mod:`.specs`).

``from mnist_pipeline import models`` gives the builders and the augmentation names the
chapters show (``models.build_deeper_cnn``, ``models.summary_table``, ``models.augmentation``).
"""

from mnist_pipeline.models.augment import (
    RandomNoise,
    RandomStrokeWidth,
    augmentation,
    for_inference,
)
from mnist_pipeline.models.cnn import (
    STEPS_PER_EXECUTION,
    build_baseline_cnn,
    build_batchnorm_cnn,
    build_deeper_cnn,
    build_robust_cnn,
    build_tunable_cnn,
    compile_model,
    summary_table,
)
from mnist_pipeline.models.designs import DESIGNS, Design, design_named

__all__ = [
    "DESIGNS",
    "STEPS_PER_EXECUTION",
    "Design",
    "RandomNoise",
    "RandomStrokeWidth",
    "augmentation",
    "build_baseline_cnn",
    "build_batchnorm_cnn",
    "build_deeper_cnn",
    "build_robust_cnn",
    "build_tunable_cnn",
    "compile_model",
    "design_named",
    "for_inference",
    "summary_table",
]
