# Makes the real-stack session fixture available to the tests in this folder.
from stack import real_stack  # noqa: F401
