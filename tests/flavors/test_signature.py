"""Signatures: inferred from the training frame, and bad prediction frames refused by name."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_result
from modelreg import InvalidInputError, ModelRegistry, TrainingResult
from modelreg.signature import check_input, infer_signature


@pytest.fixture
def training_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ema_20": [1.0, 2.0, 3.0],
            "volume": np.array([10, 20, 30], dtype="int64"),
            "sector": ["a", "b", "a"],
            "is_open": [True, False, True],
        }
    )


@pytest.fixture
def signature(training_frame: pd.DataFrame) -> dict:
    return infer_signature(training_frame, np.array([0.1, 0.2, 0.3]))


def test_infer_records_names_in_order_dtypes_and_output(signature: dict) -> None:
    assert [s["name"] for s in signature["inputs"]] == ["ema_20", "volume", "sector", "is_open"]
    assert [s["kind"] for s in signature["inputs"]] == ["float", "integer", "string", "bool"]
    assert signature["inputs"][0]["dtype"] == "float64"
    assert signature["outputs"] == {"type": "ndarray", "dtype": "float64", "shape": [None]}
    assert json.loads(json.dumps(signature)) == signature


@pytest.mark.parametrize(
    ("predictions", "expected_type"),
    [
        (pd.Series([1, 2], name="y"), "series"),
        (pd.DataFrame({"p0": [0.1], "p1": [0.9]}), "dataframe"),
        (np.zeros((2, 3), dtype="float32"), "ndarray"),
    ],
)
def test_infer_output_types(predictions: object, expected_type: str) -> None:
    outputs = infer_signature(pd.DataFrame({"x": [1.0]}), predictions)["outputs"]
    assert outputs["type"] == expected_type
    json.dumps(outputs)


def test_infer_without_predictions_leaves_output_unknown() -> None:
    assert infer_signature(pd.DataFrame({"x": [1.0]}))["outputs"] is None


def test_infer_refuses_non_frames() -> None:
    with pytest.raises(InvalidInputError, match="DataFrame"):
        infer_signature(np.zeros((2, 2)))  # type: ignore[arg-type]


def test_matching_frame_comes_back_in_signature_order(
    signature: dict, training_frame: pd.DataFrame
) -> None:
    shuffled = training_frame[["is_open", "sector", "volume", "ema_20"]]
    checked = check_input(signature, shuffled)
    assert list(checked.columns) == ["ema_20", "volume", "sector", "is_open"]
    pd.testing.assert_frame_equal(checked, training_frame)


def test_integers_where_floats_were_trained_are_cast(signature: dict) -> None:
    frame = pd.DataFrame(
        {"ema_20": [1, 2], "volume": [1, 2], "sector": ["a", "b"], "is_open": [True, True]}
    )
    checked = check_input(signature, frame)
    assert checked["ema_20"].dtype == np.float64
    assert frame["ema_20"].dtype == np.int64  # the caller's frame is untouched


def test_missing_extra_and_wrong_dtypes_are_all_named(signature: dict) -> None:
    frame = pd.DataFrame(
        {
            "ema_20": ["1.0", "2.0"],  # strings where floats were trained
            "volume": [1.5, 2.5],  # floats where integers were trained
            "sector": ["a", "b"],
            "surprise": [0, 1],
        }
    )
    with pytest.raises(InvalidInputError) as caught:
        check_input(signature, frame)
    error = caught.value
    assert error.missing == ["is_open"]
    assert error.extra == ["surprise"]
    assert set(error.wrong_dtypes) == {"ema_20", "volume"}
    for name in ("is_open", "surprise", "ema_20", "volume"):
        assert name in str(error)


def test_extra_columns_can_be_ignored_on_request(
    signature: dict, training_frame: pd.DataFrame
) -> None:
    frame = training_frame.assign(target=1.0)
    assert list(check_input(signature, frame, allow_extra=True).columns) == [
        "ema_20",
        "volume",
        "sector",
        "is_open",
    ]


def test_object_column_never_passes_for_numbers() -> None:
    signature = infer_signature(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(InvalidInputError, match="x: got object"):
        check_input(signature, pd.DataFrame({"x": pd.Series([1.0, "a"], dtype=object)}))


def test_a_mapping_is_accepted_and_arrays_are_refused(signature: dict) -> None:
    row = {"ema_20": [1.0], "volume": [3], "sector": ["a"], "is_open": [False]}
    assert check_input(signature, row).shape == (1, 4)
    with pytest.raises(InvalidInputError, match="DataFrame with named columns"):
        check_input(signature, np.zeros((1, 4)))


def test_names_only_signature_checks_names_but_not_dtypes() -> None:
    signature = {"inputs": [{"name": "a"}, {"name": "b"}], "outputs": None}
    checked = check_input(signature, pd.DataFrame({"b": ["x"], "a": [1]}))
    assert list(checked.columns) == ["a", "b"]
    with pytest.raises(InvalidInputError, match=r"missing column\(s\) \['b'\]"):
        check_input(signature, pd.DataFrame({"a": [1]}))


def test_hand_written_signature_without_kinds_uses_dtype_names() -> None:
    signature = {"inputs": [{"name": "a", "dtype": "float32"}]}
    assert check_input(signature, pd.DataFrame({"a": [1]}))["a"].dtype == np.float32
    with pytest.raises(InvalidInputError, match="a: got bool"):
        check_input(signature, pd.DataFrame({"a": [True]}))


def test_a_malformed_signature_is_reported() -> None:
    with pytest.raises(InvalidInputError, match="no valid 'inputs'"):
        check_input({"inputs": "a,b"}, pd.DataFrame({"a": [1]}))


# --- recorded at register ---------------------------------------------------------------


def _result_with_signature(signature: dict | None) -> TrainingResult:
    result = make_result()
    result.signature = signature
    return result


def test_register_records_the_signature_and_load_returns_it(
    registry: ModelRegistry, training_frame: pd.DataFrame
) -> None:
    signature = infer_signature(training_frame[["ema_20"]].assign(rsi_14=1.0, vol_20=2.0))
    version = registry.register(_result_with_signature(signature))
    info = registry.get_version_info(version)
    assert info is not None and info["signature"] == signature
    loaded = registry.load_version(version)
    assert loaded is not None and loaded.signature == signature
    with pytest.raises(InvalidInputError, match="rsi_14"):
        check_input(loaded.signature, pd.DataFrame({"ema_20": [1.0], "vol_20": [2.0]}))


def test_no_signature_means_none_is_invented(registry: ModelRegistry) -> None:
    """`features` already lists the names; a names-only signature would make extra columns
    (a target, a timestamp) fail where the original pipeline accepted them."""
    version = registry.register(_result_with_signature(None))
    info = registry.get_version_info(version)
    assert info is not None and "signature" not in info
    assert info["features"] == ["ema_20", "rsi_14", "vol_20"]


def test_a_signature_that_cannot_be_stored_fails_before_anything_is_written(
    registry: ModelRegistry,
) -> None:
    bad = {"inputs": [{"name": "x", "dtype": np.dtype("float64")}]}
    with pytest.raises(InvalidInputError, match="signature"):
        registry.register(_result_with_signature(bad))
    assert registry.list_versions() == []
    assert registry.debris() == []  # no staging folder left behind either
    with pytest.raises(InvalidInputError, match="inputs"):
        registry.register(_result_with_signature({"outputs": None}))


# --- property: a training frame always passes its own signature ---------------------------

_COLUMN_DTYPES = ["float64", "float32", "int64", "int32", "bool", "str", "category"]


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=5, unique=True))
    rows = draw(st.integers(min_value=1, max_value=5))
    columns = {}
    for name in names:
        dtype = draw(st.sampled_from(_COLUMN_DTYPES))
        values = draw(st.lists(st.integers(0, 3), min_size=rows, max_size=rows))
        series = pd.Series(values)
        text = dtype in ("str", "category")
        columns[name] = (series.astype(str) if text else series).astype(dtype)
    return pd.DataFrame(columns)


@settings(max_examples=60, deadline=None)
@given(frame=_frames(), seed=st.integers(0, 2**16))
def test_a_frame_passes_its_own_signature_in_any_column_order(
    frame: pd.DataFrame, seed: int
) -> None:
    signature = json.loads(json.dumps(infer_signature(frame)))  # as stored in metadata.json
    shuffled = frame[list(np.random.default_rng(seed).permutation(frame.columns))]
    pd.testing.assert_frame_equal(check_input(signature, shuffled), frame)
