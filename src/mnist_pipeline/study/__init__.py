"""The study: training one model (:mod:`.train`), the one path from a spec to a logged,
registered run (:mod:`.experiment`), what a run carries and how it is read back
(:mod:`.runs`), and the hyperparameter search (:mod:`.search`), shared by several workers
(:mod:`.workers`).

Nothing is imported here (TensorFlow, MLflow and Optuna load with the module that needs
them): ``from mnist_pipeline.study import experiment``.
"""
