"""The page runner (tests/docs_blocks.py) runs every block, or fails saying which one."""

from __future__ import annotations

from pathlib import Path

import pytest

from docs_blocks import fenced_blocks, pip_lines_checked, run_page


def page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_blocks_share_a_session_and_exports_carry_over(tmp_path: Path) -> None:
    text = (
        "# Page\n\n```bash\nexport GREETING=hello\necho -n made > made.txt\n```\n\n"
        "```python\nimport os\nword = os.environ['GREETING'] + open('made.txt').read()\n```\n\n"
        "## Later\n\n```python\nprint(word)\n```\n"
    )
    done = run_page(page(tmp_path, text), tmp_path)
    assert "hellomade" in done.stdout


def test_a_failing_block_fails_the_page_naming_its_line(tmp_path: Path) -> None:
    text = "# Page\n\n```python\nx = 1\n```\n\n## Broken\n\n```python\nassert x == 2\n```\n"
    with pytest.raises(AssertionError, match=r"FAILED: page.md line 10 \(under 'Broken'\)"):
        run_page(page(tmp_path, text), tmp_path)


def test_a_block_nothing_can_run_fails(tmp_path: Path) -> None:
    text = '# Page\n\n```json\n{"a": 1}\n```\n'
    with pytest.raises(AssertionError, match="no way to run ```json"):
        run_page(page(tmp_path, text), tmp_path)


def test_a_file_block_is_written_and_a_missing_placeholder_fails(tmp_path: Path) -> None:
    text = "# Page\n\n<!-- docs-test: file conf/x.yaml -->\n```yaml\na: 1\n```\n"
    [block] = fenced_blocks(page(tmp_path, text))
    assert block.marker == "file conf/x.yaml" and block.lang == "yaml"
    run_page(tmp_path / "page.md", tmp_path)
    assert (tmp_path / "conf" / "x.yaml").read_text() == "a: 1\n"
    with pytest.raises(AssertionError, match=r"no longer mentions db\.example"):
        run_page(tmp_path / "page.md", tmp_path, {"db.example": "127.0.0.1"})


def test_pip_lines_are_checked_not_run() -> None:
    code = 'pip install "modelreg[sql,s3]"\npip install -e ".[docs]"  # the site\necho ok\n'
    assert pip_lines_checked(code, "here") == "echo ok\n"
    with pytest.raises(AssertionError, match="not in dev"):
        pip_lines_checked('pip install "modelreg[torch]"', "here")
    with pytest.raises(AssertionError, match="other than modelreg"):
        pip_lines_checked("pip install requests", "here")
