"""The one base class of bad-input errors: anything raised as BadInput makes the CLI exit 2.

Each module raises its own subclass (StudyError, DataError, ...) with a message that names
the offending key or file; the CLI needs to know only this class, and importing it costs
nothing (no torch).
"""


class BadInput(ValueError):
    """Input the user must fix (a study key, a file, an argument); the CLI exits 2."""
