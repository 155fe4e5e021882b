"""Tables, computed sentences and source code for notebooks and the report.

A Markdown table is numbered and captioned by Quarto in HTML and Typst alike,
and its text is what nbval compares.
"""

from __future__ import annotations

import inspect

import pandas as pd
from IPython.display import Markdown


def md_table(
    frame: pd.DataFrame, floatfmt: str = ".4f", index: bool = True, numparse: bool = True
) -> Markdown:
    """Render a DataFrame as a Markdown table for display in a notebook cell.

    Args:
        frame: the table.
        floatfmt: format of floating-point cells.
        index: whether to show the index as the first column.
        numparse: whether text that looks like a number is formatted as one; ``False`` keeps
            text as written (p-values such as ``5.4e-05``, which ``floatfmt`` would print as
            ``0.0001``).

    Returns:
        An IPython Markdown object; end a cell on it to show it. Missing values (NaN, None)
        print as "-": a figure that does not exist, not a number.
    """
    # As objects, integer columns stay integers: tabulate would otherwise read the frame as
    # one float array and print counts as 5331.0000.
    cells = frame.astype(object).where(frame.notna(), None)
    return Markdown(
        cells.to_markdown(
            index=index, floatfmt=floatfmt, missingval="-", disable_numparse=not numparse
        )
    )


def say(text: str) -> Markdown:
    """Show a sentence computed by the code (a result stated in prose) as Markdown."""
    return Markdown(text)


def source(obj: object, summary: str) -> Markdown:
    """Show the source code of a function, folded under ``summary`` (HTML) or plain (PDF).

    Args:
        obj: a function or class of the package.
        summary: the line shown while the code is folded.
    """
    code = inspect.getsource(obj).rstrip()
    return Markdown(
        f"<details><summary>{summary}</summary>\n\n```python\n{code}\n```\n\n</details>"
    )
