"""Fingerprints of code: a notebook's code cells and the package's modules, blind to all else.

A module's fingerprint changes when what runs changes, and only then: comments, docstrings and
formatting do not count. A notebook's is blind to markdown, outputs and Quarto's ``#|`` options,
but counts a code cell's comments and layout. Standard library only.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # notebooks are read by the caller: nbformat alone takes seconds to import
    import nbformat

PACKAGE_ROOT = Path(__file__).resolve().parent
# The service (HTTP API, client, benchmark): globs matched whole against POSIX paths relative to
# the package. It computes no model, evaluation or _variables.yml figure (chapter 11's outputs do come
# from it), so package_fingerprint() leaves it out: no re-execution.
SERVICE_PARTS = ("serve/*",)


def _cell_code(source: str | list[str]) -> str:
    lines = "".join(source).splitlines()
    kept = [line.rstrip() for line in lines if not line.strip().startswith("#|")]
    return "\n".join(kept).strip("\n")


def notebook_code_fingerprint(nb: nbformat.NotebookNode) -> str:
    """The sha256 of a notebook's code cells, in order, blind to all that is not code.

    Args:
        nb: the notebook. Quarto options (``#|`` lines: captions are prose), trailing whitespace,
            blank end lines, empty cells, markdown, metadata, outputs and counts do not count.

    Returns:
        64 hex characters.
    """
    codes = [_cell_code(cell.source) for cell in nb.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps([code for code in codes if code]).encode()).hexdigest()


def _without_docstrings(tree: ast.Module) -> ast.Module:
    kinds = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    for node in ast.walk(tree):
        if isinstance(node, kinds) and ast.get_docstring(node, clean=False) is not None:
            node.body = node.body[1:]
    return tree


def package_fingerprint(root: Path = PACKAGE_ROOT, exclude: Sequence[str] = SERVICE_PARTS) -> str:
    """The sha256 of every module's relative path and code (``ast.unparse`` without docstrings).

    Args:
        root: the package folder, searched recursively for ``.py`` files.
        exclude: glob patterns of relative POSIX paths to leave out (:data:`SERVICE_PARTS`).

    Returns:
        64 hex characters; comments, docstrings and formatting do not count.
    """
    digest = hashlib.sha256()
    for relative in sorted(path.relative_to(root).as_posix() for path in root.rglob("*.py")):
        if any(fnmatchcase(relative, pattern) for pattern in exclude):
            continue
        tree = _without_docstrings(ast.parse((root / relative).read_text(encoding="utf-8")))
        digest.update(json.dumps([relative, ast.unparse(tree)]).encode())
    return digest.hexdigest()
