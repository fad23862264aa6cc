"""Exceptions raised for bad user input (files, configs)."""


class DeguInputError(ValueError):
    """Bad input data or configuration.

    The message always names the offending file (or config key) and, where it
    applies, the line number or record identifier.
    """
