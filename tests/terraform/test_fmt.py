"""terraform/ is formatted the way `terraform fmt -check` wants it."""

from __future__ import annotations

from pathlib import Path

from tests.terraform import hclfmt


def test_terraform_files_are_formatted() -> None:
    result = hclfmt.run()
    assert result.returncode == 0, (
        f"not formatted (run `make terraform-fmt`):\n{result.stdout}{result.stderr}"
    )


def test_the_formatter_notices_misalignment(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tf"
    bad.write_text("locals {\n  a = 1\n  long = 2\n}\n")
    result = hclfmt.run([bad])
    assert result.returncode == 1
    assert str(bad) in result.stdout
