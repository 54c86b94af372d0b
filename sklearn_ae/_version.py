"""The version of sklearn-ae (one place: the package metadata and saved files read it)."""

__version__ = "0.1.0.dev0"
