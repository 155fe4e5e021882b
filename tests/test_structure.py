"""The structure appendix and its diagram place every module of the package as the source has it."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPENDIX = ROOT / "report" / "notebook-structure.qmd"
PACKAGE = ROOT / "src" / "mnist_pipeline"


def _diagram():
    spec = importlib.util.spec_from_file_location("diagram", ROOT / "report" / "diagram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


diagram = _diagram()


def appendix_rows(text: str) -> dict[str, str]:
    """The appendix's ``| subpackage | owns |`` table: each row's part to its text, in order."""
    table = text[text.index("| subpackage | owns |") :].split("\n\n")[0]
    return dict(re.findall(r"^\| `([\w/]+)` \| (.*) \|$", table, flags=re.MULTILINE))


def unplaced(package: Path, rows: dict[str, str]) -> list[str]:
    """Every module under ``package`` that the appendix's rows do not place.

    A public top-level module needs its own row; a subpackage's module needs its subpackage's
    row, which names it in backticks (its ``__init__`` and ``__main__`` belong to the row).
    """
    missing = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if "__pycache__" in relative.parts:
            continue
        if len(relative.parts) == 1:
            if not path.stem.startswith("_") and path.stem not in rows:
                missing.append(relative.as_posix())
            continue
        row = rows.get(f"{relative.parts[0]}/")
        name = Path(relative.parts[1]).stem
        if row is None or (name not in {"__init__", "__main__"} and f"`{name}`" not in row):
            missing.append(relative.as_posix())
    return missing


def test_parts_are_read_from_the_source_with_their_docstrings(tmp_path):
    (tmp_path / "__init__.py").write_text('"""The package."""\n')
    (tmp_path / "_private.py").write_text('"""Hidden."""\n')
    (tmp_path / "alpha.py").write_text('"""First line\ncontinued.\n\nDetails."""\nX = 1\n')
    (tmp_path / "gamma").mkdir()
    (tmp_path / "gamma" / "__init__.py").write_text('"""A stage."""\n')
    (tmp_path / "gamma" / "inner.py").write_text("Y = 1\n")
    assert diagram.modules(tmp_path) == {"alpha": "First line continued.", "gamma/": "A stage."}
    (tmp_path / "beta.py").write_text("X = 2\n")
    with pytest.raises(ValueError, match="beta.py has no docstring"):
        diagram.modules(tmp_path)


def test_the_diagram_lists_every_part_and_every_chapter():
    boxes = diagram.boxes()
    package_words = set(boxes["package"][5].split())
    assert set(diagram.modules()) <= package_words
    chapters = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    listed = boxes["notebooks"][5].replace("\u00a0", "-")
    assert chapters and all(chapter in listed for chapter in chapters)


def test_the_appendix_has_one_row_per_part_of_the_package_and_nothing_else():
    text = APPENDIX.read_text(encoding="utf-8")
    listed = re.findall(
        r"^\| `([\w/]+)` \|",
        text[text.index("| subpackage | owns |") :].split("\n\n")[0],
        flags=re.MULTILINE,
    )
    assert len(listed) == len(set(listed)), "a part is listed twice"
    source = set(diagram.modules())
    assert not source - set(listed), f"missing from the appendix: {sorted(source - set(listed))}"
    assert not set(listed) - source, f"not in src/mnist_pipeline: {sorted(set(listed) - source)}"


def test_the_appendix_places_every_module_of_the_package():
    rows = appendix_rows(APPENDIX.read_text(encoding="utf-8"))
    assert unplaced(PACKAGE, rows) == []


def test_a_module_the_appendix_does_not_place_is_found(tmp_path):
    rows = appendix_rows(APPENDIX.read_text(encoding="utf-8"))
    package = tmp_path / "mnist_pipeline"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "fmt.py").write_text('"""Numbers as text."""\n')
    (package / "data" / "extra.py").write_text('"""More data."""\n')
    (package / "reports").mkdir()
    (package / "reports" / "__init__.py").write_text('"""Reports."""\n')
    assert unplaced(package, rows) == ["data/extra.py", "fmt.py", "reports/__init__.py"]
