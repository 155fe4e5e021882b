"""data.shapes_table: the arrays a chapter holds, as a table instead of a raw dict or tuple."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mnist_pipeline import data
from mnist_pipeline.book.display import md_table


def test_each_array_gets_a_row_with_its_shape_and_type_in_the_order_given():
    table = data.shapes_table(
        x_train=np.zeros((54_000, 28, 28, 1), np.float32),
        y_train=np.arange(54_000, dtype=np.uint8) % 10,
    )
    assert list(table.index) == ["x_train", "y_train"] and table.index.name == "array"
    assert table.loc["x_train", "shape"] == "54,000 × 28 × 28 × 1"
    assert table.loc["x_train", "dtype"] == "float32"
    assert table.loc["y_train", "shape"] == "54,000" and table.loc["y_train", "dtype"] == "uint8"


def test_labels_say_how_many_images_each_digit_has():
    uneven = np.array([0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    own = np.repeat(np.arange(10), 2)
    table = data.shapes_table(images=np.zeros((20, 28, 28)), own=own, uneven=uneven)
    assert table.loc["own", "per digit"] == "2 each"
    assert table.loc["uneven", "per digit"] == "1 to 3"
    assert pd.isna(table.loc["images", "per digit"])  # md_table prints it as "-"
    assert "| images " in md_table(table).data and "-" in md_table(table).data


def test_no_labels_no_column_of_dashes_and_no_arrays_is_an_error():
    table = data.shapes_table(x=np.zeros((3, 28, 28)), y=np.array([0.5, 1.5, 2.5]))
    assert list(table.columns) == ["shape", "dtype"]
    assert "per digit" not in data.shapes_table(not_digits=np.array([3, 12])).columns
    with pytest.raises(ValueError, match="at least one"):
        data.shapes_table()
