"""review5: a job whose post.json's "files" is not a JSON object (damaged, or made so) is
refused with a StorageError naming its records, never an AttributeError, when pushed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("obstore")

from remote_jobs import make_job  # noqa: E402

from acbuild.errors import StorageError  # noqa: E402
from acbuild.remote import manifest as mf  # noqa: E402


@pytest.mark.parametrize("files", [[], "x", 3])
def test_files_not_an_object_is_a_disagreement(tmp_path: Path, files: object) -> None:
    job = make_job(tmp_path)
    post = json.loads((job / "post.json").read_text())
    (job / "post.json").write_text(json.dumps({**post, "files": files}))
    with pytest.raises(StorageError, match="post.json"):
        mf.of_job(job)
    assert mf.disagreements((), {}, {"files": files}) == ["post.json"]
