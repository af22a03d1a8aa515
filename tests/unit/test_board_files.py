"""The board's files: a name resolves inside its job directory or is refused; source is
escaped HTML with line numbers."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acbuild.board.files import FileMissing, FileRefused, highlighted, inside, media_type


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    job = tmp_path / "work" / "m-1"
    (job / "sub").mkdir(parents=True)
    (job / "sub" / "a.txt").write_text("a")
    (job / "result.pickle").write_bytes(b"x")
    (tmp_path / "secret").write_text("s")
    (job / "link").symlink_to(tmp_path / "secret")
    (job / "inner").symlink_to(job / "sub" / "a.txt")
    return job


def test_files_inside_resolve(job_dir: Path) -> None:
    assert inside(job_dir, "sub/a.txt") == (job_dir / "sub" / "a.txt").resolve()
    assert inside(job_dir, "inner") == (job_dir / "sub" / "a.txt").resolve()


@pytest.mark.parametrize("name", ["../secret", "sub/../../secret", "/etc/passwd", "link", "",
                                  ".", "sub", "a\x00b", "sub/./../../secret"])
def test_names_leading_out_or_to_no_file_are_refused(job_dir: Path, name: str) -> None:
    with pytest.raises(FileRefused):
        inside(job_dir, name)


def test_a_missing_file_is_missing(job_dir: Path) -> None:
    with pytest.raises(FileMissing):
        inside(job_dir, "nothing.txt")


def test_media_types() -> None:
    assert media_type(Path("a.py")) == ("text/plain; charset=utf-8", True)
    assert media_type(Path("a.png"))[1] is True
    assert media_type(Path("result.pickle")) == ("application/octet-stream", False)


def test_highlighted_escapes_and_numbers_lines() -> None:
    text = highlighted('x = "<b>"  # & not\n\nif x:\n    pass\n')
    assert '<span class="s">&quot;&lt;b&gt;&quot;</span>' in text
    assert '<span class="c"># &amp; not</span>' in text
    assert '<span class="ln">   3</span> <span class="k">if</span>' in text
    assert "<b>" not in text


def test_text_that_is_not_python_is_still_escaped() -> None:
    text = highlighted('"""never closed <script>\n')
    assert "&lt;script&gt;" in text and "<script>" not in text


def test_a_string_over_several_lines_is_styled_on_each() -> None:
    text = highlighted('def f():\n    """One\n    two <i>\n    """\n    return 1\n')
    assert '<span class="s">&quot;&quot;&quot;One</span>' in text
    assert '<span class="s">    two &lt;i&gt;</span>' in text
    assert '<span class="s">    &quot;&quot;&quot;</span>' in text
    assert '<span class="k">return</span>' in text


def test_odd_line_breaks_keep_rows_and_styles_in_step() -> None:
    text = highlighted('x = 1  # a\x0cform feed\ny = "s"\r\n')
    assert text.count('class="ln"') == 2
    assert '<span class="ln">   2</span> y = <span class="s">&quot;s&quot;</span>' in text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab1 _:"\'#<>&\\\n\r\x0c\t()=')), max_size=60))
def test_the_text_shown_is_the_text_given(text: str) -> None:
    shown = highlighted(text)
    assert shown.startswith('<pre class="src">') and shown.endswith("</pre>")
    inner = shown[len('<pre class="src">'):-len("</pre>")]
    rows = [re.sub(r"^<span class=\"ln\">\s*\d+</span> ", "", row)
            for row in inner.split("\n")]
    plain = html.unescape("\n".join(re.sub(r"</?span[^>]*>", "", row) for row in rows))
    assert plain == (text[:-1] if text.endswith("\n") else text)  # a last newline: no row
