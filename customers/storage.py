"""Private file storage for archive documents: outside MEDIA_ROOT and STATIC_ROOT, with no
URL. Files are only ever served by the permission-checked download view (R-CU5)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible(path="customers.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Reads HELPDESK_PRIVATE_MEDIA_ROOT at call time (so tests and deployments can move it)."""

    def __init__(self):
        super().__init__()

    @property
    def base_location(self):
        return settings.HELPDESK_PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Archive documents have no public URL; use the download view.")


private_storage = PrivateStorage()
