"""Errors that carry a message meant for the user."""


class UserError(Exception):
    """Something the user can understand and fix: a bad path, a refused file, no images."""


class NoImagesError(UserError):
    """A path held nothing the importer could use."""


class CheckpointRefused(UserError):
    """A model file was refused; the message names the reason."""


class Cancelled(Exception):
    """Long work stopped because the user asked it to."""
