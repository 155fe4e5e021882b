"""Provenance: a run's git state, and the stamps that tie a notebook's outputs to the code."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mnist_pipeline import config, provenance

HEX64 = re.compile(r"[0-9a-f]{64}")
REAL_FINGERPRINT = provenance.package_fingerprint
FAKE_MODULES = {
    "__init__.py": '"""The fake package."""\n',
    "train.py": '"""Training."""\n\n\ndef fit(x):\n    """Fit."""\n    return x + 1  # one\n',
    "models/__init__.py": "",
    "models/cnn.py": "LAYERS = 3\n",
    "serve/__init__.py": "",
    "serve/app.py": "ROUTES = ['/predict']\n",
    "serve/schema.py": "FIELDS = ['image']\n",
    "serve/client.py": "URL = 'http://localhost'\n",
    "serve/bench.py": "REQUESTS = 100\n",
}


# --- git state ----------------------------------------------------------------------------


def test_git_state_outside_a_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "PROJ_ROOT", tmp_path)
    assert provenance.git_state() == {"git_commit": "unknown", "git_dirty": "unknown"}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_state_names_the_commit_and_sees_a_changed_module(monkeypatch, tmp_path):
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True
        ).stdout.strip()

    def commit(message):
        identity = ("-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false")
        git("add", ".")
        git(*identity, "commit", "-qm", message)
        return git("rev-parse", "HEAD")

    git("init", "-q")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("A = 1\n")
    (tmp_path / "notes.md").write_text("notes\n")
    first = commit("init")
    monkeypatch.setattr(config, "PROJ_ROOT", tmp_path)
    assert provenance.git_state() == {"git_commit": first, "git_dirty": "false"}
    (tmp_path / "notes.md").write_text("other notes\n")  # not code
    assert provenance.git_state()["git_dirty"] == "false"
    (tmp_path / "src" / "a.py").write_text("A = 2\n")
    assert provenance.git_state() == {"git_commit": first, "git_dirty": "true"}
    second = commit("A is 2")
    assert second != first
    assert provenance.git_state() == {"git_commit": second, "git_dirty": "false"}


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def package(tmp_path, monkeypatch) -> Path:
    """A tiny fake package, which the stamps and checks fingerprint in place of the real one.

    Other work edits the real package while these tests run: only the fake one is stable.
    """
    root = tmp_path / "fakepkg"
    for relative, text in FAKE_MODULES.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    monkeypatch.setattr(
        provenance, "package_fingerprint", functools.partial(REAL_FINGERPRINT, root)
    )
    return root


def _notebook() -> nbformat.NotebookNode:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Baselines\n\nWhat the chapter does."),
            new_code_cell('#| label: fig-digits\n#| fig-cap: "Ten digits."\n\nx = 1\nprint(x)\n'),
            new_markdown_cell("More prose."),
            new_code_cell("y = x + 1", execution_count=2),
        ]
    )
    nb.cells[3].outputs = [new_output("execute_result", {"text/plain": "2"}, execution_count=2)]
    nb.metadata["kernelspec"] = {"name": "mnist-pipeline", "display_name": "Python"}
    return nb


@pytest.fixture
def notebook(tmp_path, package) -> Path:
    """An executed chapter's notebook, not stamped yet."""
    path = tmp_path / "03-baselines.ipynb"
    nbformat.write(_notebook(), path)
    return path


def _edit(path: Path, change) -> None:
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


# --- notebook fingerprint -----------------------------------------------------------------


def test_notebook_fingerprint_is_64_hex_and_depends_on_the_code_only():
    nb = _notebook()
    assert HEX64.fullmatch(provenance.notebook_code_fingerprint(nb))
    other = _notebook()
    other.cells[3].source = "y = x + 2"
    assert provenance.notebook_code_fingerprint(other) != provenance.notebook_code_fingerprint(nb)
    prose = _notebook()
    prose.cells[0].source = "# Baselines\n\nAnother sentence."
    prose.cells[1].source = '#| label: fig-digits\n#| fig-cap: "Nine digits."\n\nx = 1\nprint(x)\n'
    prose.cells[3].source = "#| echo: false\ny = x + 1"
    assert provenance.notebook_code_fingerprint(prose) == provenance.notebook_code_fingerprint(nb)


def test_notebook_fingerprint_keeps_the_order_of_the_code_cells():
    nb, swapped = _notebook(), _notebook()
    swapped.cells[1], swapped.cells[3] = swapped.cells[3], swapped.cells[1]
    assert provenance.notebook_code_fingerprint(swapped) != provenance.notebook_code_fingerprint(nb)


def test_notebook_fingerprint_does_not_merge_cells():
    joined, split = _notebook(), _notebook()
    joined.cells = [new_code_cell("a = 1\nb = 2")]
    split.cells = [new_code_cell("a = 1"), new_code_cell("b = 2")]
    assert provenance.notebook_code_fingerprint(joined) != provenance.notebook_code_fingerprint(
        split
    )


# --- stamp and problems -------------------------------------------------------------------


def test_a_stamped_notebook_matches_the_code_it_was_executed_with(notebook, package):
    record = provenance.stamp(notebook, seconds=42.4, profile="full")
    assert provenance.problems(notebook) == []
    stored = nbformat.read(notebook, as_version=4).metadata["mnist_pipeline"]["provenance"]
    assert stored == record
    assert record["profile"] == "full" and record["seconds"] == 42
    assert record["notebook_code"] == provenance.notebook_code_fingerprint(_notebook())
    assert record["package_code"] == REAL_FINGERPRINT(package)
    assert record["data"] == provenance.data_checksum()
    assert set(record["machine"]) == {"cpu", "cores", "gpu", "platform"}
    assert record["versions"]["python"] == platform.python_version()
    assert record["git_commit"] == provenance.git_state()["git_commit"]


def test_stamp_keeps_everything_else_of_the_notebook(notebook):
    before = nbformat.read(notebook, as_version=nbformat.NO_CONVERT)
    provenance.stamp(notebook, seconds=3)
    after = nbformat.read(notebook, as_version=nbformat.NO_CONVERT)
    del after.metadata["mnist_pipeline"]
    assert after == before
    assert (after.nbformat, after.nbformat_minor) == (before.nbformat, before.nbformat_minor)
    nbformat.validate(nbformat.read(notebook, as_version=nbformat.NO_CONVERT))


def test_stamp_records_utc_to_the_second_and_the_profile_of_the_process(notebook, monkeypatch):
    monkeypatch.setenv(config.PROFILE_VARIABLE, "smoke")
    paris = timezone(timedelta(hours=2))
    record = provenance.stamp(notebook, seconds=7, now=datetime(2025, 5, 1, 14, 34, 56, 789, paris))
    assert record["executed"] == "2025-05-01T12:34:56+00:00"
    assert record["profile"] == "smoke"


def test_stamp_keeps_other_metadata_of_the_package(notebook):
    _edit(notebook, lambda nb: nb.metadata.update({"mnist_pipeline": {"owner": "chapter 3"}}))
    provenance.stamp(notebook, seconds=1)
    stored = nbformat.read(notebook, as_version=4).metadata["mnist_pipeline"]
    assert stored["owner"] == "chapter 3" and "provenance" in stored


def _set_source(index: int, source: str):
    return lambda nb: setattr(nb.cells[index], "source", source)


CHANGES_OF_CODE = {
    "edit a code cell": _set_source(3, "y = x + 2"),
    "add a code cell": lambda nb: nb.cells.append(new_code_cell("z = 3")),
    "delete a code cell": lambda nb: nb.cells.pop(3),
    "change indentation": _set_source(3, "if x:\n    y = x + 1"),
}
CHANGES_OF_NOTHING_BUT_PROSE = {
    "edit a markdown cell": _set_source(0, "# Baselines\n\nA different sentence."),
    "add a markdown cell": lambda nb: nb.cells.append(new_markdown_cell("A note.")),
    "edit a caption": _set_source(
        1, '#| label: fig-digits\n#| fig-cap: "Nine digits."\n\nx = 1\nprint(x)\n'
    ),
    "add a cell option": _set_source(3, "#| echo: false\ny = x + 1"),
    "trailing whitespace and blank end lines": _set_source(3, "\n\ny = x + 1   \n\n"),
    "clear the outputs": lambda nb: setattr(nb.cells[3], "outputs", []),
    "renumber the executions": lambda nb: setattr(nb.cells[3], "execution_count", 17),
    "cell metadata": lambda nb: nb.cells[3].metadata.update({"tags": ["hide"]}),
    "add an empty code cell": lambda nb: nb.cells.append(new_code_cell("\n")),
}


@pytest.mark.parametrize("change", CHANGES_OF_CODE.values(), ids=CHANGES_OF_CODE.keys())
def test_changing_the_code_of_a_stamped_notebook_without_reexecuting_it_is_a_problem(
    notebook, change
):
    provenance.stamp(notebook, seconds=5, profile="full")
    _edit(notebook, change)
    found = provenance.problems(notebook)
    assert len(found) == 1
    assert "03-baselines.ipynb" in found[0] and "code cells changed" in found[0]
    assert "make notebooks" in found[0]


@pytest.mark.parametrize(
    "change", CHANGES_OF_NOTHING_BUT_PROSE.values(), ids=CHANGES_OF_NOTHING_BUT_PROSE.keys()
)
def test_changing_anything_but_code_is_no_problem(notebook, change):
    provenance.stamp(notebook, seconds=5, profile="full")
    before = notebook.read_text()
    _edit(notebook, change)
    assert notebook.read_text() != before  # the change did reach the file
    assert provenance.problems(notebook) == []


def test_a_notebook_executed_under_another_profile_is_a_problem(notebook):
    provenance.stamp(notebook, seconds=5, profile="smoke")
    found = provenance.problems(notebook, profile="full")
    assert len(found) == 1 and "smoke" in found[0] and "03-baselines.ipynb" in found[0]
    assert provenance.problems(notebook, profile="smoke") == []


def test_an_unstamped_notebook_is_a_problem(notebook):
    found = provenance.problems(notebook)
    assert len(found) == 1
    assert "03-baselines.ipynb has no provenance stamp" in found[0] and "make notebooks" in found[0]


def test_changing_the_package_after_execution_is_a_problem(notebook, package):
    provenance.stamp(notebook, seconds=5, profile="full")
    (package / "models" / "cnn.py").write_text("LAYERS = 4\n")
    found = provenance.problems(notebook)
    assert len(found) == 1 and "mnist_pipeline" in found[0] and "make notebooks" in found[0]
    assert provenance.problems(notebook, package=REAL_FINGERPRINT(package)) == found
    stamped = nbformat.read(notebook, as_version=4).metadata.mnist_pipeline.provenance
    assert provenance.problems(notebook, package=stamped.package_code) == []


def test_changing_the_service_after_execution_is_no_problem(notebook, package):
    provenance.stamp(notebook, seconds=5, profile="full")
    (package / "serve" / "app.py").write_text("ROUTES = ['/predict', '/health']\n")
    assert provenance.problems(notebook) == []


# --- package fingerprint ------------------------------------------------------------------


def _changed(package: Path, relative: str, text: str) -> bool:
    before = REAL_FINGERPRINT(package)
    (package / relative).parent.mkdir(parents=True, exist_ok=True)
    (package / relative).write_text(text)
    return REAL_FINGERPRINT(package) != before


def test_package_fingerprint_is_64_hex_and_stable(package):
    assert HEX64.fullmatch(REAL_FINGERPRINT(package))
    assert REAL_FINGERPRINT(package) == REAL_FINGERPRINT(package)


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        ("train.py", '"""Training."""\n\n\ndef fit(x):\n    """Fit."""\n    return x + 2  # one\n'),
        ("models/cnn.py", "LAYERS = 4\n"),  # a subpackage's module
        ("models/resnet.py", "BLOCKS = 2\n"),  # a new module
        ("models/__init__.py", "from .cnn import LAYERS\n"),
    ],
)
def test_changing_code_changes_the_package_fingerprint(package, relative, text):
    assert _changed(package, relative, text)


def test_renaming_a_module_changes_the_package_fingerprint(package):
    before = REAL_FINGERPRINT(package)
    (package / "models" / "cnn.py").rename(package / "models" / "convnet.py")
    assert REAL_FINGERPRINT(package) != before


@pytest.mark.parametrize(
    "text",
    [
        '"""Training, better said."""\n\n\ndef fit(x):\n    """Fit."""\n    return x + 1  # one\n',
        '"""Training."""\n\n\ndef fit(x):\n    """Fit x, at length."""\n    return x + 1  # one\n',
        '"""Training."""\n\n\ndef fit(x):\n    """Fit."""\n    return x + 1  # another comment\n',
        '"""Training."""\ndef fit( x ):\n    """Fit."""\n\n    return (x\n            + 1)\n',
    ],
    ids=["module docstring", "function docstring", "comment", "formatting"],
)
def test_docstrings_comments_and_formatting_do_not_change_the_package_fingerprint(package, text):
    assert not _changed(package, "train.py", text)


@pytest.mark.parametrize(
    "relative",
    [
        "serve/app.py",
        "serve/schema.py",
        "serve/model.py",
        "serve/client.py",
        "serve/bench.py",
        "serve/routes/v2.py",
    ],
)
def test_the_service_does_not_change_the_package_fingerprint(package, relative):
    assert not _changed(package, relative, "CHANGED = True\n")


def test_the_service_is_left_out_by_the_exclude_patterns_alone(package):
    before = REAL_FINGERPRINT(package, exclude=())
    (package / "serve" / "app.py").write_text("ROUTES = []\n")
    assert REAL_FINGERPRINT(package, exclude=()) != before  # the service is code like any other
    assert REAL_FINGERPRINT(package, exclude=("serve/*",)) == REAL_FINGERPRINT(package)


def test_the_real_package_fingerprint_leaves_out_the_real_service(tmp_path):
    # On a snapshot of the package's sources: others edit the package while the tests run.
    snapshot = tmp_path / "snapshot"
    shutil.copytree(provenance.PACKAGE_ROOT, snapshot, ignore=shutil.ignore_patterns("__pycache__"))
    with_service = REAL_FINGERPRINT(snapshot)
    service = [path for path in snapshot.rglob("*.py") if path.parent.name == "serve"]
    assert service, "the package has a service"
    for path in service:
        path.unlink()
    assert REAL_FINGERPRINT(snapshot) == with_service
    (snapshot / "config.py").write_text((snapshot / "config.py").read_text() + "\nEXTRA = 1\n")
    assert REAL_FINGERPRINT(snapshot) != with_service


# --- data, machine, versions --------------------------------------------------------------


def test_data_checksum_is_stable_and_stands_for_the_pinned_arrays(monkeypatch):
    checksum = provenance.data_checksum()
    assert HEX64.fullmatch(checksum) and provenance.data_checksum() == checksum
    pins = dict(config.MNIST_EXPECTATION.sha256, y_test="0" * 64)
    other = dataclasses.replace(config.MNIST_EXPECTATION, sha256=pins)
    monkeypatch.setattr(config, "MNIST_EXPECTATION", other)
    assert provenance.data_checksum() != checksum


def test_machine_names_cpu_cores_gpu_and_platform():
    host = provenance.machine()
    assert set(host) == {"cpu", "cores", "gpu", "platform"}
    assert all(isinstance(value, str) and value for value in host.values())
    assert host["cores"] == str(os.cpu_count()) and host["platform"] == platform.platform()


def test_machine_reads_the_gpus_from_nvidia_smi(monkeypatch):
    listing = (
        "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1234)\nGPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-5)"
    )
    monkeypatch.setattr(provenance.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(provenance, "_run", lambda *command, cwd=None: listing)
    assert provenance.machine()["gpu"] == "NVIDIA A100-SXM4-40GB, NVIDIA A100-SXM4-40GB"
    monkeypatch.setattr(provenance, "_run", lambda *command, cwd=None: None)  # it failed
    assert provenance.machine()["gpu"] == "none"
    monkeypatch.setattr(provenance.shutil, "which", lambda name: None)
    assert provenance.machine()["gpu"] == "none"


def test_library_versions_name_the_installed_ones():
    versions = provenance.library_versions()
    assert set(versions) == {"tensorflow", "keras", "scikit-learn", "mlflow", "numpy", "python"}
    assert versions["numpy"] == importlib.metadata.version("numpy")
    assert versions["tensorflow"] != "not installed"  # tensorflow or tensorflow-cpu


def test_library_versions_take_either_tensorflow_build(monkeypatch):
    def version(name):
        if name == "tensorflow-cpu":
            return "9.9.9"
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(provenance.metadata, "version", version)
    versions = provenance.library_versions()
    assert versions["tensorflow"] == "9.9.9" and versions["keras"] == "not installed"


def test_importing_the_module_stays_cheap():
    code = (
        "import sys, mnist_pipeline.provenance\n"
        "print([m for m in ('tensorflow', 'keras', 'mlflow', 'nbformat', 'pandas') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- what the book shows ------------------------------------------------------------------


def test_variables_stamp_is_plain_strings_one_level_deep(package):
    values = provenance.variables_stamp({"01-data-collection": 30, "04-model-1": 180})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
    assert {"profile", "executed", "package_code", "data", "cpu", "cores", "gpu"} <= set(values)
    assert {"tensorflow", "keras", "scikit_learn", "mlflow", "numpy", "python"} <= set(values)
    assert values["package_code"] == REAL_FINGERPRINT(package)[:12]
    assert values["data"] == provenance.data_checksum()[:12]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", values["executed"])
    assert values["wall_time"] == "3.5 min"
    assert yaml.safe_load(yaml.safe_dump({"provenance": values})) == {"provenance": values}


# --- command line -------------------------------------------------------------------------


def test_cli_check_passes_a_clean_notebook_and_fails_an_edited_one(notebook, capsys):
    assert provenance.main(["stamp", str(notebook), "--seconds", "12", "--profile", "full"]) == 0
    assert provenance.main(["check", str(notebook)]) == 0
    assert "1 notebooks: provenance matches the current code" in capsys.readouterr().out
    _edit(notebook, _set_source(3, "y = x * 10"))
    assert provenance.main(["check", str(notebook)]) == 1
    err = capsys.readouterr().err
    assert "03-baselines.ipynb" in err and "make notebooks" in err


def test_cli_check_knows_the_profile(notebook, tmp_path, capsys):
    provenance.main(["stamp", str(notebook), "--seconds", "12", "--profile", "smoke"])
    assert provenance.main(["check", str(notebook)]) == 1
    assert provenance.main(["check", "--profile", "smoke", str(notebook)]) == 0
    unstamped = tmp_path / "05-model-2.ipynb"
    nbformat.write(_notebook(), unstamped)
    assert provenance.main(["check", "--profile", "smoke", str(notebook), str(unstamped)]) == 1
    assert "05-model-2.ipynb has no provenance stamp" in capsys.readouterr().err


def test_cli_stamp_writes_the_stamp(notebook):
    assert provenance.main(["stamp", str(notebook), "--seconds", "3.6"]) == 0
    stored = json.loads(notebook.read_text())["metadata"]["mnist_pipeline"]["provenance"]
    assert stored["seconds"] == 4 and stored["profile"] == config.profile().name


def test_a_stamp_records_the_code_from_before_the_run_not_after(notebook, package):
    # The package changed while the notebook ran: its outputs came from the code before.
    before = provenance.package_fingerprint()
    (package / "train.py").write_text(FAKE_MODULES["train.py"].replace("x + 1", "x + 2"))
    record = provenance.stamp(notebook, seconds=5, profile="full", package=before)
    assert record["package_code"] == before != provenance.package_fingerprint()
    assert any("code changed" in problem for problem in provenance.problems(notebook))


def test_the_command_line_prints_the_fingerprint_and_stamps_with_a_given_one(
    notebook, package, capsys
):
    assert provenance.main(["fingerprint"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == provenance.package_fingerprint()
    assert provenance.main(["stamp", str(notebook), "--seconds", "3", "--package-code", "abc"]) == 0
    stored = nbformat.read(notebook, as_version=4).metadata["mnist_pipeline"]["provenance"]
    assert stored["package_code"] == "abc"
