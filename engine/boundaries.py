"""Party boundaries (GeoJSON or CAP polygons) and whether they intersect an alert's geometry."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from engine.cap_geometry import GeometryError, polygon_rings


class BoundaryError(ValueError):
    """A `boundary` attribute that cannot be read as a polygon (one sentence)."""


def _from_geojson(data) -> BaseGeometry:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        geometries = [f.get("geometry") for f in data.get("features") or ()]
        data = {"type": "GeometryCollection", "geometries": [g for g in geometries if g]}
    elif isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    try:
        found = shape(data)
    except Exception as exc:  # noqa: BLE001 - shapely says many things; the user gets one
        raise BoundaryError(f"it is not a GeoJSON geometry ({exc})") from None
    if found.is_empty or found.area == 0:
        raise BoundaryError("it encloses no area")
    return found if found.is_valid else found.buffer(0)


@lru_cache(maxsize=4096)
def boundary_shape(value: str, folder: str | None) -> BaseGeometry:
    """A party's `boundary`: inline GeoJSON, inline CAP polygon points ("lat,lon lat,lon ..."),
    or a GeoJSON file (.geojson or .json) relative to the agreement's folder."""
    text = value.strip()
    if text.startswith("{"):
        try:
            return _from_geojson(json.loads(text))
        except json.JSONDecodeError as exc:
            raise BoundaryError(f"it is not valid GeoJSON ({exc.msg})") from None
    if text.lower().endswith((".geojson", ".json")):
        if folder is None:
            raise BoundaryError(f"the file '{text}' cannot be found without the agreement's "
                                "folder")
        path = Path(folder) / text
        try:
            return _from_geojson(json.loads(path.read_text(encoding="utf-8")))
        except OSError as exc:
            raise BoundaryError(f"the file '{text}' cannot be read ({exc.strerror})") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BoundaryError(f"the file '{text}' is not GeoJSON") from None
    try:
        rings = polygon_rings(text)
    except GeometryError as exc:
        raise BoundaryError(str(exc)) from None
    return _from_geojson({"type": "MultiPolygon", "coordinates": rings})


@lru_cache(maxsize=4096)
def _incident_shape(geometry: str) -> BaseGeometry | None:
    try:
        found = shape(json.loads(geometry))
    except Exception:  # noqa: BLE001 - a malformed geometry places nobody
        return None
    return None if found.is_empty else found


def intersects(boundary: BaseGeometry, geometry) -> bool:
    """Whether the alert's GeoJSON geometry touches the boundary."""
    found = _incident_shape(json.dumps(geometry, sort_keys=True))
    return found is not None and boundary.intersects(found)
