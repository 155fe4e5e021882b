"""Quarto's project variables, ``_variables.yml``: the numbers the prose chapters quote.

Each chapter that computes numbers the book's prose needs writes them under top-level keys
of its own with :func:`update`; ``index.qmd`` and ``report/*.qmd`` read them with
``{{< var section.name >}}`` (two levels, as Quarto's dot notation expects). Values are stored as the text the prose shows ("98.10 %"),
so the shortcode needs no formatting. The file's location comes from
``config.variables_path()``, which a test run points at a temporary file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from mnist_pipeline import config

HEADER = (
    "# Written by the notebooks (make notebooks), read by the book's {{< var >}} shortcodes.\n"
    "# Do not edit by hand: rerun the chapter that computes a number to change it.\n"
)


def read(path: Path | None = None) -> dict:
    """The variables written so far (an empty mapping when there is no file yet)."""
    path = path or config.variables_path()
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def dump(values: Mapping) -> str:
    """YAML text of ``values``, keys sorted, one per line."""
    return yaml.safe_dump(dict(values), sort_keys=True, allow_unicode=True, width=100)


def update(sections: Mapping[str, Mapping[str, object]], path: Path | None = None) -> str:
    """Replace some top-level sections of the variables file, keeping the others.

    Args:
        sections: top-level key (``model_1``, ``champion``, ``own_images``...) to its values,
            plain strings and numbers; the prose reads them as ``{{< var key.name >}}``.
        path: the file; ``config.variables_path()`` by default.

    Returns:
        The YAML text of the sections written, for the chapter to show.
    """
    path = path or config.variables_path()
    everything = read(path)
    written = {key: _plain(values) for key, values in sections.items()}
    everything.update(written)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + dump(everything))
    return dump(written)


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item"):  # a NumPy scalar
        return value.item()
    return value
