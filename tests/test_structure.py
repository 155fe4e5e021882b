"""The structure appendix and its diagram name the package's modules as the source has them."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPENDIX = ROOT / "report" / "notebook-structure.qmd"


def _diagram():
    spec = importlib.util.spec_from_file_location("diagram", ROOT / "report" / "diagram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


diagram = _diagram()


def appendix_modules(text: str) -> list[str]:
    """The module column of the appendix's ``| module | owns |`` table, in order."""
    table = text[text.index("| module | owns |") :].split("\n\n")[0]
    return re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)


def test_modules_are_read_from_the_source_with_their_docstrings(tmp_path):
    (tmp_path / "__init__.py").write_text('"""The package."""\n')
    (tmp_path / "_private.py").write_text('"""Hidden."""\n')
    (tmp_path / "alpha.py").write_text('"""First line\ncontinued.\n\nDetails."""\nX = 1\n')
    assert diagram.modules(tmp_path) == {"alpha": "First line continued."}
    (tmp_path / "beta.py").write_text("X = 2\n")
    with pytest.raises(ValueError, match="beta.py has no docstring"):
        diagram.modules(tmp_path)


def test_the_diagram_lists_every_module_and_every_chapter():
    boxes = diagram.boxes()
    package_words = set(boxes["package"][5].split())
    assert set(diagram.modules()) <= package_words
    chapters = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    listed = boxes["notebooks"][5].replace("\u00a0", "-")
    assert chapters and all(chapter in listed for chapter in chapters)


def test_the_appendix_names_every_module_of_the_package_once_and_nothing_else():
    listed = appendix_modules(APPENDIX.read_text(encoding="utf-8"))
    assert len(listed) == len(set(listed)), "a module is listed twice"
    source = set(diagram.modules())
    assert not source - set(listed), f"missing from the appendix: {sorted(source - set(listed))}"
    assert not set(listed) - source, f"not in src/mnist_pipeline: {sorted(set(listed) - source)}"
