"""Ulak hub: the FastAPI service, its database, the job queue, the worker and the CLI."""

__version__ = "0.1.0"
