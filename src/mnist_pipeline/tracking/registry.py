"""MLflow's models: logging a trained model, the registry, its versions and ``champion`` alias.

A model is logged in its family's MLflow flavour (:mod:`mnist_pipeline.adapters` says which)
and registered as a new version of ``config.registered_model()``; it is loaded back in the
same flavour, without this package's model code.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import mlflow
import mlflow.keras
import mlflow.sklearn
import numpy as np
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from mnist_pipeline import adapters, config
from mnist_pipeline.tracking.store import client

# scikit-learn types the baselines hold that skops, MLflow's safe serialisation, does not trust
# by default; all are scikit-learn's own (found with skops.io.get_untrusted_types).
SKOPS_TRUSTED_TYPES = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.tree._tree.Tree",
    "sklearn.utils._bunch.Bunch",
]


def _tensorflow() -> str:
    """The TensorFlow distribution installed here: ``tensorflow-cpu`` on Linux x86_64 and
    Windows, ``tensorflow`` elsewhere or with the GPU extra (the markers of pyproject.toml)."""
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            version(name)
            return name
        except PackageNotFoundError:
            continue
    raise PackageNotFoundError("tensorflow")


def log_model(model: object, x_example: np.ndarray, model_key: str) -> str:
    """Log the active run's model (Keras or scikit-learn) with its signature and register it.

    The signature is inferred from float32 arrays (no ``input_example``: it fails for
    Keras models in MLflow 3.17); a scikit-learn model takes flattened images. Registration
    goes through the client, since ``log_model(registered_model_name=...)`` prints notices
    to stderr.

    Args:
        model: the trained model.
        x_example: a few images ``(n, 28, 28, 1)``, to infer the signature.
        model_key: tagged on the new model version.

    Returns:
        The new version of ``config.registered_model()``, as a string.
    """
    adapter = adapters.for_model(model)
    x_example = np.asarray(x_example, dtype=np.float32)
    signature = infer_signature(*adapter.signature_example(model, x_example))
    flavour = getattr(mlflow, adapter.family)  # mlflow.keras or mlflow.sklearn
    info = flavour.log_model(
        model, name="model", signature=signature, **_FLAVOUR_OPTIONS[adapter.family]()
    )
    return register_model(info.model_uri, mlflow.active_run().info.run_id, model_key)


def _keras_options() -> dict[str, object]:
    # Pinned here: MLflow would infer them by loading the model in a fresh process, which
    # cannot rebuild a custom layer (``augment.for_inference`` drops model 4's before this).
    requirements = [f"{name}=={version(name)}" for name in ("keras", _tensorflow(), "numpy")]
    return {"pip_requirements": requirements}


# What each MLflow flavour needs besides the model and its signature, by family.
_FLAVOUR_OPTIONS = {
    "keras": _keras_options,
    "sklearn": lambda: {"skops_trusted_types": SKOPS_TRUSTED_TYPES},
}


def register_model(model_uri: str, run_id: str, model_key: str) -> str:
    """Register a logged model as a new version of ``config.registered_model()``.

    Returns:
        The new version number, as a string.
    """
    mlflow_client = client()
    try:
        mlflow_client.get_registered_model(config.registered_model())
    except MlflowException:
        mlflow_client.create_registered_model(
            config.registered_model(),
            description="Models of the MNIST study; see the mnist-pipeline book.",
        )
    # MLflow 3 logs a model as ``models:/<model id>``; a tracking server refuses that source
    # unless the version names the id too (a local store does not check).
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None
    version = mlflow_client.create_model_version(
        config.registered_model(),
        source=model_uri,
        run_id=run_id,
        tags={"model_key": model_key},
        model_id=model_id,
    )
    return str(version.version)


def version_of_run(run_id: str) -> str | None:
    """The registered version logged by ``run_id``, if it registered one."""
    versions = client().search_model_versions(f"run_id = '{run_id}'")
    return str(versions[0].version) if versions else None


def load_model(uri: str) -> object:
    """Load a logged model in its own flavour: a Keras model or a scikit-learn estimator.

    A Keras model is logged without its training-only layers (``augment.for_inference``),
    so loading it needs none of this package's custom layers.
    """
    client()
    adapter = adapters.for_flavours(mlflow.models.get_model_info(uri).flavors)
    return getattr(mlflow, adapter.family).load_model(uri)


def load_model_version(version: str) -> object:
    """Load a registered version of the project's model."""
    return load_model(f"models:/{config.registered_model()}/{version}")


def load_champion() -> object:
    """Load the model that carries the ``champion`` alias in the registry."""
    return load_model(f"models:/{config.registered_model()}@{config.CHAMPION_ALIAS}")


def set_champion(version: str) -> None:
    """Point the ``champion`` alias at a registered model version."""
    client().set_registered_model_alias(config.registered_model(), config.CHAMPION_ALIAS, version)


def champion_version() -> str:
    """The registered version that the ``champion`` alias points at."""
    found = client().get_model_version_by_alias(config.registered_model(), config.CHAMPION_ALIAS)
    return str(found.version)


def set_version_description(version: str, text: str) -> None:
    """Write ``text`` (Markdown: the model card) as a registered version's description,
    which the MLflow UI shows on the version's page."""
    client().update_model_version(config.registered_model(), version, description=text)
