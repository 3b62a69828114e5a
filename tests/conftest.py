import os
from pathlib import Path

import pytest
from hypothesis import settings

from tinygrad_cnn.testing import register_profiles

register_profiles()
settings.load_profile(os.environ.get("TINYGRAD_CNN_PROFILE", "ci"))

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def mnist_dir():
    """The real MNIST files: $TINYGRAD_CNN_DATA, else ../shared/data/mnist beside the repo."""
    folder = Path(os.environ.get("TINYGRAD_CNN_DATA", SHARED_MNIST))
    if not (folder / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST not found in {folder} (set TINYGRAD_CNN_DATA)")
    return folder
