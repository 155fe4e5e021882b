"""``python -m mnist_pipeline.serve``: serve the champion over HTTP (see :mod:`.app`)."""

import sys

from mnist_pipeline.serve.app import main

if __name__ == "__main__":
    sys.exit(main())
