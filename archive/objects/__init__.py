"""Object stores: where the bytes of originals and derivatives live, content-addressed by SHA-256."""

from archive.objects.base import (
    ObjectInfo,
    ObjectStore,
    StoredObject,
    key_for_sha256,
)

__all__ = ["ObjectInfo", "ObjectStore", "StoredObject", "key_for_sha256"]
