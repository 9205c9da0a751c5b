"""Object storage for Ulak: one interface, a local-directory and an S3/MinIO backend.

This package knows nothing of the hub; it can be used and tested on its own.
"""

from storage._support import RESPONSE_HEADER_OVERRIDES
from storage.base import (
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStream,
    StorageError,
    StorageIntegrityError,
    StorageUnavailable,
)
from storage.layout import media_key, put_media, story_key, validate_key
from storage.local import LocalObjectStore
from storage.s3 import S3ObjectStore

__all__ = [
    "RESPONSE_HEADER_OVERRIDES",
    "InvalidKey",
    "LocalObjectStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStream",
    "S3ObjectStore",
    "StorageError",
    "StorageIntegrityError",
    "StorageUnavailable",
    "media_key",
    "put_media",
    "story_key",
    "validate_key",
]
