"""The corruptions the robustness suites apply: the target suite (:mod:`.target`, the
corruptions model 4's augmentation was designed against) and MNIST-C (:mod:`.mnistc`, with its
operations in :mod:`.mnistc_ops` and :mod:`.mnistc_overlays`), and the validation suite
(:mod:`.validation`) that model 4 is chosen on.

Each suite's module defines its own ``CORRUPTIONS`` and ``corrupt``, so they are imported by
name (``from mnist_pipeline.corruptions import mnistc, target``), and importing this package
loads neither scikit-image nor SciPy.
"""
