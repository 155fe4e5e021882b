"""The book: numbers turned into the reader's words. Sentences (:mod:`.narrate`), verdicts
(:mod:`.verdicts`, and against the baselines :mod:`.baselines`), reproductions (:mod:`.reproduction`), the model card (:mod:`.modelcard`), the report's variables
(:mod:`.variables`), display helpers for the chapters (:mod:`.display`) and the check that a
reproduction reaches the committed conclusions (:mod:`.conclusions`).

Nothing is imported here: ``from mnist_pipeline.book import narrate``.
"""
