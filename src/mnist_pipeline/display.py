"""Tables for notebooks and the report.

A Markdown table is numbered and captioned by Quarto in HTML and Typst alike,
and its text is what nbval compares.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown


def md_table(frame: pd.DataFrame, floatfmt: str = ".4f", index: bool = True) -> Markdown:
    """Render a DataFrame as a Markdown table for display in a notebook cell.

    Args:
        frame: the table.
        floatfmt: format of floating-point cells.
        index: whether to show the index as the first column.

    Returns:
        An IPython Markdown object; end a cell on it to show it.
    """
    # As objects, integer columns stay integers: tabulate would otherwise read the frame as
    # one float array and print counts as 5331.0000.
    return Markdown(frame.astype(object).to_markdown(index=index, floatfmt=floatfmt))
