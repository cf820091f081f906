import pytest

HEADER = "id,title,artist,country,genres,recorded_on,duration\n"


@pytest.fixture
def csv_file(tmp_path):
    """Write rows (CSV text without the header) to a file; return its path."""

    def write(rows, header=HEADER, name="recordings.csv"):
        path = tmp_path / name
        path.write_text(header + rows, encoding="utf-8")
        return str(path)

    return write
