"""The corruptions the robustness suites apply: the target suite (:mod:`.target`, the
corruptions model 4's augmentation was designed against) and MNIST-C (:mod:`.mnistc`, with its
operations in :mod:`.mnistc_ops` and :mod:`.mnistc_overlays`).

Both modules define ``CORRUPTIONS`` and ``corrupt``, so they are imported by name
(``from mnist_pipeline.corruptions import mnistc, target``), and importing this package loads
neither scikit-image nor SciPy.
"""
