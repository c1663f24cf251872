"""The corpus explorer (``lendcorpus serve``): search, read, and trace documents to their archived page."""

from lendcorpus.analysis.explorer.app import create_app

__all__ = ["create_app"]
