# The digit-reading service (mnist_pipeline.serve) with the exported champion inside.
#   make export-model          # writes build/champion/ from the local registry
#   docker build -t mnist-pipeline .
#   docker run --rm -p 127.0.0.1:8000:8000 mnist-pipeline
# or `docker compose up` to run it beside an MLflow tracking server (compose.yaml).
# One definition for linux/amd64 and linux/arm64 (an Apple-silicon Mac builds arm64 by default):
#   docker buildx build --platform linux/amd64,linux/arm64 -t mnist-pipeline .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    DO_NOT_TRACK=true \
    TF_CPP_MIN_LOG_LEVEL=3 \
    HOST=0.0.0.0 \
    PORT=8000 \
    MNIST_MODEL_PATH=/app/model/model.keras

WORKDIR /app

# The locked versions (requirements.lock, the same pins as `make setup`), then the package.
# pyproject's markers pick TensorFlow's build for the architecture: tensorflow-cpu on amd64,
# tensorflow on arm64 (tensorflow-cpu has no arm64 wheel). Wheels only: the slim image has no
# compiler, so a package without a wheel for the platform fails here, by name. The 'postgres'
# extra (psycopg 3) lets compose.yaml's MLflow server keep its runs in PostgreSQL.
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
RUN pip install --only-binary :all: --constraint requirements.lock ".[postgres]" \
 && useradd --create-home --uid 10001 app \
 && mkdir -p /data && chown app /data

# The champion exported by `make export-model`: model.keras, model.json (name, version, run),
# its model card and its "not a digit" detector (detector.json), when it has them.
COPY build/champion /app/model

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=4)"]
# HOST and PORT come from the environment: container platforms set PORT.
CMD ["python", "-m", "mnist_pipeline.serve"]
