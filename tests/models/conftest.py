"""One torch thread for the model tests too (the training tests' fixture): on shared cores more are far slower."""

from tests.train.conftest import _one_thread  # noqa: F401  (an autouse fixture, used by being here)
