"""Markdown tables for notebooks."""

import pandas as pd

from mnist_pipeline.book.display import md_table


def test_md_table_formats_floats_and_index():
    table = md_table(pd.DataFrame({"acc": [0.98765]}, index=pd.Index(["m1"], name="model")))
    assert table.data.splitlines()[0].replace(" ", "") == "|model|acc|"
    assert "0.9877" in table.data and "m1" in table.data


def test_md_table_keeps_integer_columns_integer_beside_floats():
    frame = pd.DataFrame({"count": [5331, 12], "share": [0.5, 0.25]})
    text = md_table(frame, floatfmt=".2f", index=False).data
    assert "5331 " in text and "5331.00" not in text and "0.50" in text


def test_md_table_prints_missing_values_as_a_dash():
    frame = pd.DataFrame({"study": [0.975, float("nan")], "ours": [0.981, 0.993]})
    text = md_table(frame, floatfmt=".3f", index=False).data
    assert "nan" not in text
    assert [cell.strip() for cell in text.splitlines()[3].split("|")[1:3]] == ["-", "0.993"]
    assert "0.975" in text


def test_md_table_can_keep_numeric_looking_text_as_written():
    frame = pd.DataFrame({"pair": ["a", "b"], "p-value": ["2.7e-07", "0.07"]})
    assert "0.0000" in md_table(frame, index=False).data  # what numparse does to a p-value
    kept = md_table(frame, index=False, numparse=False).data
    assert "2.7e-07" in kept and "0.0000" not in kept
