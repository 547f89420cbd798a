"""A broken template override is an error the user can act on, never a traceback."""

import subprocess
import sys

from tests.conftest import MINI, write_tree


def test_a_template_that_does_not_compile_is_reported_with_file_and_line(tmp_path):
    root = write_tree(tmp_path / "repo", MINI)
    write_tree(tmp_path / "theme", {"base.html": "<!DOCTYPE html>\n<title>x</title>\n{{ oops( }}\n"})
    result = subprocess.run([sys.executable, "-m", "site_builder", "build", str(root), "-o", str(tmp_path / "site"),
                             "--templates", str(tmp_path / "theme"), "--today", "2026-11-26"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "base.html:3: error:" in result.stderr
    assert not (tmp_path / "site").exists()


def test_an_output_folder_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path):
    root = write_tree(tmp_path / "repo", MINI)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "site_builder", "build", str(root), "-o", str(blocker / "site"),
                             "--today", "2026-11-26"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "not built:" in result.stderr
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_an_undefined_name_in_a_template_is_reported_at_its_template_and_line(tmp_path):
    root = write_tree(tmp_path / "repo", MINI)
    write_tree(tmp_path / "theme", {"rep.html": '{% extends "base.html" %}\n{% block main %}\n{{ nothing.here }}\n'
                                                '{% endblock %}\n'})
    result = subprocess.run([sys.executable, "-m", "site_builder", "build", str(root), "-o", str(tmp_path / "site"),
                             "--templates", str(tmp_path / "theme"), "--today", "2026-11-26"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'theme' / 'rep.html'}:3: error: 'nothing' is undefined [template]" in result.stderr
