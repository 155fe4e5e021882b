"""The digit-reading service: the HTTP API (:mod:`.app`), how request bodies become checked
batches (:mod:`.inputs`), which model is served and how it loads (:mod:`.model`), its compiled inference (:mod:`.predict`), its export for the Docker image (:mod:`.export`), the OpenAPI
contract (:mod:`.schema`), a client (:mod:`.client`) and a benchmark (:mod:`.bench`).

``python -m mnist_pipeline.serve`` (``make serve``) starts it. The service's public names are
reachable from here: ``serve.create_app``, ``serve.load``, ``serve.NoModelError``.
"""

from mnist_pipeline.serve.app import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    create_app,
    input_png,
    main,
    parser,
)
from mnist_pipeline.serve.export import export_champion
from mnist_pipeline.serve.inputs import (
    MAX_BATCH,
    MAX_BODY_BYTES,
    MAX_UPLOAD_BYTES,
    NPY_TYPE,
    UPLOAD_TYPES,
    as_batch,
    batch_from_body,
    check_length,
    content_type,
    fast_json_batch,
    image_from_upload,
    uploaded_file,
)
from mnist_pipeline.serve.model import (
    DETECTOR_FILE,
    METADATA_FILE,
    MODEL_CARD_FILE,
    MODEL_PATH_ENV,
    LoadedModel,
    ModelInfo,
    NoModelError,
    champion_info,
    load,
)
from mnist_pipeline.serve.predict import fast_predict, fast_predict_and_features

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DETECTOR_FILE",
    "MAX_BATCH",
    "MAX_BODY_BYTES",
    "MAX_UPLOAD_BYTES",
    "METADATA_FILE",
    "MODEL_CARD_FILE",
    "MODEL_PATH_ENV",
    "NPY_TYPE",
    "UPLOAD_TYPES",
    "LoadedModel",
    "ModelInfo",
    "NoModelError",
    "as_batch",
    "batch_from_body",
    "champion_info",
    "check_length",
    "content_type",
    "create_app",
    "export_champion",
    "fast_json_batch",
    "fast_predict",
    "fast_predict_and_features",
    "image_from_upload",
    "input_png",
    "load",
    "main",
    "parser",
    "uploaded_file",
]
