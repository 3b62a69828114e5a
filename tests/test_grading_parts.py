"""The grader's parts on their own: the wire format, the child process, the checks."""

import builtins
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_cnn.grading import wire
from tinygrad_cnn.grading.checks import CheckFailed, assert_close, assert_equal, expect_raises
from tinygrad_cnn.grading.plugin import _message
from tinygrad_cnn.grading.sandbox import Limits, Submission, SubmissionError

# ----------------------------------------------------------------- wire
arrays = hnp.arrays(
    st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_]),
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
)
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | arrays,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=5).filter(lambda k: not k.startswith("__")), inner)
    ),
    max_leaves=8,
)


def same(a, b):
    """Equal values of equal types; a 0-d array arrives as the numpy scalar it holds."""
    if isinstance(a, (np.ndarray, np.generic)):
        return (
            isinstance(b, (np.ndarray, np.generic))
            and np.shape(a) == np.shape(b)
            and np.asarray(a).dtype == np.asarray(b).dtype
            and np.array_equal(a, b)
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@given(plain)
def test_plain_data_crosses_unchanged(value):
    assert same(value, wire.read_message(_reader(wire.dumps(value))))


def _reader(data):
    position = 0

    def read(n):
        nonlocal position
        chunk = data[position : position + n]
        position += len(chunk)
        return chunk

    return read


@pytest.mark.parametrize(
    "value, what",
    [
        (object(), "a object"),
        (np.array(["a", "b"]), "dtype <U1"),
        (np.array([None], dtype=object), "dtype object"),
        ({1: 2}, "keys that are not strings"),
        ({"__array__": 1}, "reserved key"),
        (lambda: 0, "a function"),
    ],
)
def test_what_cannot_cross_is_refused_by_name(value, what):
    with pytest.raises(wire.WireError, match=what):
        wire.dumps(value)


def test_malformed_or_oversized_messages_are_refused():
    for body in (b"{", b'{"__array__": ["|O", [1]], "data": ""}', b'{"__array__": 3}', b"\xff"):
        with pytest.raises(wire.WireError):
            wire.loads(body)
    with pytest.raises(wire.WireError, match="limit"):
        wire.read_message(_reader((2**40).to_bytes(8, "big") + b"{}"))
    with pytest.raises(wire.WireError, match="ended early"):
        wire.read_message(_reader((10).to_bytes(8, "big") + b"{}"))
    assert wire.read_message(_reader(b"")) is None


# ----------------------------------------------------------------- the child process
SOLUTION = """\
import os
print("imported")


def add(a, b):
    return a + b


def fail(x):
    raise ValueError(f"bad x: {x}")


def spin():
    while True:
        pass


def leave():
    os._exit(7)


def tensor():
    import tinygrad_cnn
    return tinygrad_cnn.Tensor([1.0, 2.0])


def shout():
    print("y" * 100_000)
    return 1


CONSTANT = 42
"""


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "scratch").mkdir()
    (tmp_path / "code" / "solution.py").write_text(SOLUTION)
    child = Submission(tmp_path / "code", tmp_path / "scratch", Limits(timeout=2, output=1000))
    yield child
    child.stop()


def give_time(child, seconds=10):
    child.set_deadline(time.monotonic() + seconds, seconds)


def test_calls_return_plain_values_and_tensors_as_arrays(submission):
    give_time(submission)
    assert_equal(submission.add(np.arange(3), 1), [1, 2, 3], "add")
    assert submission.add(a="x", b="y") == "xy"
    assert submission.get("CONSTANT") == 42
    assert_equal(submission.tensor(), [1.0, 2.0], "tensor")
    assert repr(submission) == "student"


def test_errors_name_the_exception_and_the_line(submission):
    give_time(submission)
    with pytest.raises(
        SubmissionError, match=r"fail raised ValueError: bad x: 3 \(solution.py, line 10\)"
    ):
        submission.fail(3)
    expect_raises(ValueError, lambda: submission.fail(3), "fail(3)")
    with pytest.raises(CheckFailed, match="should raise KeyError; instead: fail raised Value"):
        expect_raises(KeyError, lambda: submission.fail(3), "fail(3)")
    with pytest.raises(SubmissionError, match="has no attribute 'missing'"):
        submission.missing()


def test_a_timeout_kills_the_child_and_the_next_test_gets_a_fresh_one(submission):
    give_time(submission, 0.5)
    with pytest.raises(SubmissionError, match="spin timed out after 0.5 s"):
        submission.spin()
    with pytest.raises(SubmissionError, match="timed out"):  # the test's time is over
        submission.add(1, 2)
    give_time(submission)
    assert submission.add(1, 2) == 3


def test_a_dead_child_is_reported_and_replaced(submission):
    give_time(submission)
    with pytest.raises(SubmissionError, match="ended with exit status 7 before replying"):
        submission.leave()
    assert submission.add(2, 2) == 4


def test_output_is_kept_up_to_the_limit(submission):
    give_time(submission)
    assert submission.shout() == 1
    time.sleep(0.2)  # the reading thread drains the pipe
    text = submission.captured_output()
    assert text.startswith("imported") and "more bytes of output not shown" in text
    assert len(submission.output) == 1000


def test_an_import_failure_fails_every_call_without_restarting(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "solution.py").write_text("def f(:\n")
    child = Submission(tmp_path / "code", tmp_path, Limits(timeout=5))
    give_time(child)
    for _ in range(2):
        with pytest.raises(SubmissionError, match="could not be imported: SyntaxError"):
            child.f()
    assert child._process is None


# ----------------------------------------------------------------- checks and messages
def test_assert_close_says_where_and_by_how_much():
    with pytest.raises(CheckFailed) as failure:
        assert_close([1.0, 2.0, 3.5], [1.0, 2.0, 3.0], "f(x)")
    assert "f(x): at index (2,) expected 3.0, got 3.5 (1 of 3 elements differ)" in str(
        failure.value
    )
    with pytest.raises(CheckFailed, match=r"expected shape \(2,\), got shape \(3,\)"):
        assert_close([1, 2, 3], [1, 2], "f(x)")
    with pytest.raises(CheckFailed, match="expected numbers, got NoneType"):
        assert_close(None, [1, 2], "f(x)")
    assert_close([1.0, np.nan], [1.0 + 1e-12, np.nan], "f(x)")


def test_expect_raises_in_process_and_when_nothing_is_raised():
    expect_raises(ValueError, lambda: int("x"), "int('x')")
    with pytest.raises(CheckFailed, match="returned a value; it should raise ValueError"):
        expect_raises(ValueError, lambda: 1, "one()")
    with pytest.raises(CheckFailed, match="it raised KeyError"):
        expect_raises(ValueError, lambda: {}["k"], "lookup")


def test_a_failure_message_is_the_first_of_a_group_with_its_notes():
    inner = CheckFailed("f(x): expected 1, got 2")
    inner.add_note("Falsifying example: test_f(x=1)")
    group_type = getattr(builtins, "ExceptionGroup", None)  # Python 3.11; hypothesis's before
    group_type = group_type or pytest.importorskip("exceptiongroup").ExceptionGroup
    group = group_type("Hypothesis found 2 distinct failures.", [inner, ValueError("v")])
    assert _message(group) == "f(x): expected 1, got 2\nFalsifying example: test_f(x=1)"
    assert _message(TypeError("cannot unpack")) == "TypeError: cannot unpack"
