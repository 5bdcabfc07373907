"""Helpers of the complainant-side tests: a valid form post, photos with a GPS position."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def form_data(chosen, **overrides):
    data = {
        "complainant_name": "王小明",
        "contact_phone": "139 1234 5678",
        "contact_email": "",
        "incident_place": "3号楼1202室",
        "incident_at": "2026-12-01T08:00",
        "category": str(chosen.pk),
        "subject": "楼上漏水",
        "description": "卫生间天花板漏水三天了。",
        "consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def jpeg_with_gps(name: str = "leak.jpg") -> SimpleUploadedFile:
    """A small JPEG whose EXIF carries a GPS position and a camera model."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "PhoneCam 9"  # Model
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
