"""The corruptions the robustness suites apply: the target suite (:mod:`.target`, the
corruptions model 4's augmentation was designed against), MNIST-C (:mod:`.mnistc`, with its
operations in :mod:`.mnistc_ops` and :mod:`.mnistc_overlays`), and the validation suite
(:mod:`.validation`: eight corruptions MNIST-C does not use, to choose a model on).

Both modules define ``CORRUPTIONS`` and ``corrupt``, so they are imported by name
(``from mnist_pipeline.corruptions import mnistc, target``), and importing this package loads
neither scikit-image nor SciPy.
"""
