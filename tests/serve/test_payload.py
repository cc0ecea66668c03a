"""Every body form of the same rows reads back as the same frame, to the last bit."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames

from modelreg.serving.payload import JSON, Limits, read_rows

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
FLOATS = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    columns = [column(name, elements=FLOATS, dtype=float) for name in names]
    return draw(data_frames(columns, index=st.just(pd.RangeIndex(draw(st.integers(1, 20))))))


@settings(max_examples=60, deadline=None)
@given(frames())
def test_records_columns_split_and_csv_agree(frame: pd.DataFrame) -> None:
    limits = Limits()
    bodies = {
        JSON: [
            json.dumps(frame.to_dict(orient="records")),
            json.dumps(frame.to_dict(orient="list")),
            json.dumps({"dataframe_records": frame.to_dict(orient="records")}),
            json.dumps(
                {"dataframe_split": {"columns": list(frame), "data": frame.values.tolist()}}
            ),
        ],
        "text/csv": [frame.to_csv(index=False)],
    }
    for kind, texts in bodies.items():
        for text in texts:
            read = read_rows(text.encode(), kind, limits)
            pd.testing.assert_frame_equal(read.astype("float64"), frame, check_exact=True)
