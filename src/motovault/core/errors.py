"""The one exception type the CLI turns into a one-line error."""


class MotovaultError(Exception):
    """An expected failure with a message meant for a person (no traceback)."""
