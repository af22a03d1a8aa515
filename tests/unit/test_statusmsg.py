"""``with status()``: a stack, and the stack an error was raised under."""

from __future__ import annotations

import pytest

from acbuild import JobError, status, statusmsg


def test_nested_status_is_a_stack_and_update_changes_its_own_level() -> None:
    assert statusmsg.current() == ()
    with status("outer") as update:
        with status(7):
            assert statusmsg.current() == ("outer", "7")
            update("outer, later")
            assert statusmsg.current() == ("outer, later", "7")
        assert statusmsg.current() == ("outer, later",)
    assert statusmsg.current() == ()


def test_an_error_carries_the_stack_of_where_it_was_raised() -> None:
    with pytest.raises(ZeroDivisionError) as caught, status("loading"), status("line 7"):
        1 / 0  # noqa: B018
    assert statusmsg.of(caught.value) == ("loading", "line 7")
    assert statusmsg.describe(statusmsg.of(caught.value)) == \
        "status when the error happened: loading › line 7"
    assert statusmsg.current() == ()
    assert statusmsg.of(ValueError()) == ()


def test_job_error_formats_as_the_accelerators() -> None:
    e = JobError("m", job="m-1", phase="analysis", sliceno=1, error="KeyError: 'x'",
                 status=("a", "b"))
    assert e.format_msg() == ("job m-1 failed in analysis slice 1: KeyError: 'x'\n"
                              "status when the error happened: a › b")
    assert e.exit_status == 1


def test_a_job_process_writes_its_stack_and_each_slices_for_the_display(tmp_path) -> None:
    import os

    (tmp_path / "slice-logs").mkdir()
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        statusmsg.publish_to(lambda: fd)
        with status("job"):
            assert statusmsg.read(tmp_path) == "job"
            statusmsg.publish_to(lambda: fd, "slice-logs/1.status")
            with status("counting"):
                assert statusmsg.read(tmp_path) == "job; slice 1: job › counting"
    finally:
        statusmsg.publish_to(None)
        os.close(fd)
    assert statusmsg.read(tmp_path) == "job"  # the slice's stack is empty now
    assert statusmsg.read(tmp_path / "nowhere") == ""
