"""The book shows the package's source in a column 88 characters wide (``show_source``),
so no line of the package may be longer: a longer one would run off the page."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tinygrad_tutorial"
WIDTH = 88


def test_no_line_of_the_package_is_wider_than_the_book_s_column():
    long_lines = [f"{path.relative_to(PACKAGE)}:{number}: {len(line)} characters"
                  for path in sorted(PACKAGE.rglob("*.py"))
                  for number, line in enumerate(path.read_text().splitlines(), 1)
                  if len(line) > WIDTH]
    assert not long_lines, "\n".join(long_lines)
