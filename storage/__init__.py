"""Object storage for Ulak: one interface, a local-directory and an S3/MinIO backend.

This package knows nothing of the hub; it can be used and tested on its own.
"""

from storage.base import (
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStream,
    StorageError,
    StorageIntegrityError,
    StorageUnavailable,
)

__all__ = [
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStream",
    "StorageError",
    "StorageIntegrityError",
    "StorageUnavailable",
]
