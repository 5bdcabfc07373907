"""Private file storage for archive documents (R-CU2, R-CU5): never a public URL. Files are only
ever served by the permission-checked download view, which streams them through Django so the
permission check and the access log always apply.

Where the files live is one setting, ``STORAGES["private"]`` (helpdesk/settings/base.py):

* ``customers.storage.LocalPrivateStorage`` (default): a folder, HELPDESK_PRIVATE_MEDIA_ROOT —
  ``var/private`` for ``make run``, a named volume shared by the containers of one host;
* ``storages.backends.s3.S3Storage`` (HELPDESK_PRIVATE_STORAGE=s3): a private bucket on any
  S3-compatible object store, shared by web processes on several hosts.

Model fields use ``private_storage``, a thin proxy that looks the named storage up on every
call, so the backend can change (settings, tests) without a migration.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible

PRIVATE_STORAGE_ALIAS = "private"
NO_URL_MESSAGE = "Archive documents have no public URL; use the download view."


class LocalPrivateStorage(FileSystemStorage):
    """A folder outside MEDIA_ROOT and STATIC_ROOT. Reads HELPDESK_PRIVATE_MEDIA_ROOT at call
    time (so tests and deployments can move it)."""

    def __init__(self, **kwargs):
        kwargs.pop("location", None)  # always HELPDESK_PRIVATE_MEDIA_ROOT
        kwargs.pop("base_url", None)  # never a URL
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return settings.HELPDESK_PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError(NO_URL_MESSAGE)


def get_private_storage() -> Storage:
    """The configured ``STORAGES["private"]`` backend."""
    return storages[PRIVATE_STORAGE_ALIAS]


@deconstructible(path="customers.storage.PrivateStorage")
class PrivateStorage(Storage):
    """Delegates every operation to ``STORAGES["private"]``, except ``url``: there is none."""

    @property
    def backend(self) -> Storage:
        return get_private_storage()

    def open(self, name, mode="rb"):
        return self.backend.open(name, mode)

    def save(self, name, content, max_length=None):
        return self.backend.save(name, content, max_length=max_length)

    def get_valid_name(self, name):
        return self.backend.get_valid_name(name)

    def get_alternative_name(self, file_root, file_ext):
        return self.backend.get_alternative_name(file_root, file_ext)

    def get_available_name(self, name, max_length=None):
        return self.backend.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return self.backend.generate_filename(filename)

    def path(self, name):
        return self.backend.path(name)  # NotImplementedError on object storage

    def delete(self, name):
        return self.backend.delete(name)

    def exists(self, name):
        return self.backend.exists(name)

    def listdir(self, path):
        return self.backend.listdir(path)

    def size(self, name):
        return self.backend.size(name)

    def url(self, name):
        raise ValueError(NO_URL_MESSAGE)

    def get_accessed_time(self, name):
        return self.backend.get_accessed_time(name)

    def get_created_time(self, name):
        return self.backend.get_created_time(name)

    def get_modified_time(self, name):
        return self.backend.get_modified_time(name)


private_storage = PrivateStorage()
