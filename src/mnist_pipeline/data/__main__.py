"""``python -m mnist_pipeline.data``: fetch (if needed), verify and cache MNIST."""

from mnist_pipeline import config
from mnist_pipeline.data.load import load_mnist, validation_report


def main() -> None:
    """``python -m mnist_pipeline.data``: fetch (if needed), verify and cache MNIST."""
    mnist = load_mnist()
    print(f"Verified MNIST in {config.MNIST_CACHE.relative_to(config.PROJ_ROOT)}:")
    print(validation_report(mnist).to_string())


if __name__ == "__main__":
    main()
