"""The one exception type for mistakes a user can fix: the CLI prints it as one line, no traceback."""


class UserError(Exception):
    """Bad input or configuration; the message names the file/line or task and what to do."""
