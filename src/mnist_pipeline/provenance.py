"""What code, data, budget and machine an output came from: a run's git state, a notebook's stamp.

The fingerprints of code it records are :mod:`mnist_pipeline.fingerprints`' (re-exported here).
Cheap to import (``tracking`` imports it): TensorFlow, MLflow, nbformat and pandas stay out."""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnist_pipeline import config
from mnist_pipeline.fingerprints import (  # noqa: F401 (re-exported)
    PACKAGE_ROOT,
    SERVICE_PARTS,
    notebook_code_fingerprint,
    package_fingerprint,
)

if TYPE_CHECKING:  # imported where used: nbformat alone takes seconds to import
    import nbformat

# The package's own sources and dependency pins: what decides what a run computes.
CODE_PATHS = ("src", "pyproject.toml", "requirements.lock")
METADATA_KEY = "mnist_pipeline"
REEXECUTE = "re-execute it with make notebooks"
# Each library's key in a stamp, and its distributions: the first one installed counts.
LIBRARIES = {"tensorflow": ("tensorflow", "tensorflow-cpu")}
LIBRARIES |= {name: (name,) for name in ("keras", "scikit-learn", "mlflow", "numpy")}


def _run(*command: str, cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_state() -> dict[str, str]:
    """The commit of the project's checkout and whether its code differs from that commit.

    Returns:
        ``git_commit`` (``"unknown"`` outside a checkout) and ``git_dirty`` (``"true"``,
        ``"false"``, ``"unknown"``) of ``CODE_PATHS``, not of the notebooks (outputs change).
    """
    commit = _run("git", "rev-parse", "HEAD", cwd=config.PROJ_ROOT)
    if commit is None:
        return {"git_commit": "unknown", "git_dirty": "unknown"}
    status = ("status", "--porcelain", "--untracked-files=normal", "--", *CODE_PATHS)
    changes = _run("git", *status, cwd=config.PROJ_ROOT)
    dirty = "unknown" if changes is None else str(bool(changes)).lower()
    return {"git_commit": commit, "git_dirty": dirty}


def machine() -> dict[str, str]:
    """The machine this process runs on (TensorFlow is not asked: it is not imported).

    Returns:
        ``cpu`` (model), ``cores``, ``gpu`` (``nvidia-smi -L``'s names, or ``"none"``), ``platform``.
    """
    info = Path("/proc/cpuinfo")
    lines = info.read_text(encoding="utf-8").splitlines() if info.is_file() else []
    cpus = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    cpu = next(iter(cpus), "") or platform.processor() or platform.machine() or "unknown"
    out = _run("nvidia-smi", "-L") if shutil.which("nvidia-smi") else None
    # "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-...)" -> "NVIDIA A100-SXM4-40GB"
    gpus = [
        line.split(":", 1)[1].split(" (UUID")[0].strip()
        for line in (out or "").splitlines()
        if line.startswith("GPU") and ":" in line
    ]
    cores, gpu = str(os.cpu_count() or "unknown"), ", ".join(gpus) or "none"
    return {"cpu": cpu, "cores": cores, "gpu": gpu, "platform": platform.platform()}


def _version(*distributions: str) -> str:
    for name in distributions:
        with suppress(metadata.PackageNotFoundError):
            return metadata.version(name)
    return "not installed"


def library_versions() -> dict[str, str]:
    """The versions of the libraries that compute the results, read without importing them.

    Returns:
        One per :data:`LIBRARIES` key (``"not installed"`` when missing), and ``python``.
    """
    versions = {key: _version(*names) for key, names in LIBRARIES.items()}
    return versions | {"python": platform.python_version()}


def data_checksum() -> str:
    """One sha256 standing for the MNIST arrays, which loading verifies against pinned ones.

    Returns:
        64 hex characters: the sha256 of the pinned per-array checksums, sorted by name.
    """
    pins = "\n".join(f"{k}:{v}" for k, v in sorted(config.MNIST_EXPECTATION.sha256.items()))
    return hashlib.sha256(pins.encode()).hexdigest()


def _read(path: Path) -> nbformat.NotebookNode:
    import nbformat

    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def stamp(
    path: Path,
    *,
    seconds: float,
    profile: str | None = None,
    now: datetime | None = None,
    package: str | None = None,
) -> dict[str, Any]:
    """Record in an executed notebook's metadata what produced its outputs.

    Args:
        path: the notebook, rewritten in place (its nbformat version and all else kept).
        seconds: its wall time of execution.
        profile: the profile it ran under; default :func:`config.profile`'s.
        now: when it was executed (naive: local time); default now.
        package: the :func:`package_fingerprint` taken *before* the notebook ran (the code that
            made its outputs); default the fingerprint now, which is only right when the
            package did not change while the notebook ran.

    Returns:
        The stamp, stored under ``metadata.mnist_pipeline.provenance``.
    """
    import nbformat

    nb, when = _read(path), (now or datetime.now(UTC)).astimezone(UTC)
    record = {
        "profile": profile or config.profile().name,
        "executed": when.replace(microsecond=0).isoformat(),
        "seconds": round(seconds),
        "notebook_code": notebook_code_fingerprint(nb),
        "package_code": package or package_fingerprint(),
        "data": data_checksum(),
        "machine": machine(),
        "versions": library_versions(),
        "git_commit": git_state()["git_commit"],
    }
    nb.metadata.setdefault(METADATA_KEY, {})["provenance"] = record
    nbformat.write(nb, path)
    return record


def problems(path: Path, *, profile: str = "full", package: str | None = None) -> list[str]:
    """Why a notebook's stored outputs could not have come from the current code.

    Args:
        path: the notebook.
        profile: the profile its outputs must come from.
        package: the current :func:`package_fingerprint` (computed when ``None``).

    Returns:
        One sentence per reason, naming the notebook and what to do; empty if none.
    """
    nb, name = _read(path), Path(path).name
    record = nb.metadata.get(METADATA_KEY, {}).get("provenance")
    if not record:
        return [f"{name} has no provenance stamp: {REEXECUTE}."]
    found = []
    if (ran := record.get("profile")) != profile:
        found.append(f"{name} was executed under profile {ran!r}, not {profile!r}: {REEXECUTE}.")
    if record.get("notebook_code") != notebook_code_fingerprint(nb):
        found.append(f"{name}: its code cells changed after it was executed: {REEXECUTE}.")
    if record.get("package_code") != (package_fingerprint() if package is None else package):
        found.append(f"{name}: mnist_pipeline's code changed after it was executed: {REEXECUTE}.")
    return found


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def _when(executed: str) -> str:
    return datetime.fromisoformat(executed).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def variables_stamp(seconds_by_chapter: Mapping[str, float] | None = None) -> dict[str, str]:
    """The ``provenance`` section of ``_variables.yml``, for ``{{< var provenance.KEY >}}``.

    Args:
        seconds_by_chapter: wall time per chapter, whose sum becomes ``wall_time``.

    Returns:
        Strings, one level deep: ``profile``, ``executed``, ``package_code``, ``data`` (12 hex),
        ``cpu``, ``cores``, ``gpu``, one key per library (``scikit_learn``, ...).
    """
    out = {
        "profile": config.profile().name,
        "executed": _when(datetime.now(UTC).isoformat()),
        "package_code": package_fingerprint()[:12],
        "data": data_checksum()[:12],
    }
    out |= {key: value for key, value in machine().items() if key != "platform"}
    out |= {key.replace("-", "_"): value for key, value in library_versions().items()}
    if seconds_by_chapter:
        out["wall_time"] = _duration(sum(seconds_by_chapter.values()))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``stamp`` an executed notebook, or ``check`` notebooks against the current code.

    Args:
        argv: the arguments (default: the command line's).

    Returns:
        The exit status: 1 when ``check`` finds a problem.
    """
    parser = argparse.ArgumentParser(prog="python -m mnist_pipeline.provenance")
    commands = parser.add_subparsers(dest="command", required=True)
    stamping = commands.add_parser("stamp", help="stamp an executed notebook")
    stamping.add_argument("notebook", type=Path)
    stamping.add_argument("--seconds", type=float, required=True, help="its wall time")
    stamping.add_argument("--profile", help="default: MNIST_PROFILE, else full")
    stamping.add_argument("--package-code", help="the fingerprint taken before execution")
    commands.add_parser("fingerprint", help="print the package's fingerprint")
    checking = commands.add_parser("check", help="check notebooks against the current code")
    checking.add_argument("--profile", default=config.DEFAULT_PROFILE)
    checking.add_argument("notebooks", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "stamp":
        record = stamp(
            args.notebook, seconds=args.seconds, profile=args.profile, package=args.package_code
        )
        print(f"{args.notebook.name}: stamped ({record['profile']}, {record['seconds']} s)")
        return 0
    package = package_fingerprint()
    if args.command == "fingerprint":
        print(package)
        return 0
    found = [
        p for nb in args.notebooks for p in problems(nb, profile=args.profile, package=package)
    ]
    if found:
        print(*found, sep="\n", file=sys.stderr)
        return 1
    print(f"{len(args.notebooks)} notebooks: provenance matches the current code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
