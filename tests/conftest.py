import os

from hypothesis import settings

from tinygrad_cnn.testing import register_profiles

register_profiles()
settings.load_profile(os.environ.get("TINYGRAD_CNN_PROFILE", "ci"))
