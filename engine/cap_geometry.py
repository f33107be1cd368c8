"""CAP polygons and circles as one GeoJSON MultiPolygon (plain dicts and lists, [lon, lat], rings closed)."""

from __future__ import annotations

import math
import re

import shapely
from shapely.geometry import Polygon

CIRCLE_POINTS = 64  # a circle becomes a polygon of 64 points (65 coordinates, the ring closed)
EARTH_RADIUS_KM = 6371.0088  # the mean radius; a CAP circle's radius is in kilometres
_DIGITS = 6  # about 0.1 m: enough for an alert area, and the same output on every machine
_COMMA = re.compile(r"\s*,\s*")


class GeometryError(ValueError):
    """Why one polygon or circle was left out of the geometry (one sentence, no element path)."""


def _point(pair: str) -> tuple[float, float]:
    """A CAP point "lat,lon" as (lon, lat)."""
    parts = pair.split(",")
    if len(parts) != 2:
        raise GeometryError(f"'{pair}' is not a point written as latitude,longitude")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise GeometryError(f"'{pair}' is not a point written as latitude,longitude")
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise GeometryError(f"'{pair}' is outside the range of latitudes and longitudes")
    return lon, lat


def polygon_rings(text: str) -> list[list[list[float]]]:
    """The polygons of one CAP <polygon> (usually one; a self-intersecting ring is split into
    the valid polygons that cover the same area), each as [exterior ring]."""
    pairs = _COMMA.sub(",", text.strip()).split()
    ring = [list(_point(pair)) for pair in pairs]
    if ring and ring[0] != ring[-1]:
        ring.append(list(ring[0]))
    if len({tuple(p) for p in ring}) < 3:
        raise GeometryError("a polygon needs at least three distinct points")
    shape = Polygon(ring)
    if shape.is_valid:
        return [[ring]]
    fixed = shapely.make_valid(shape)
    parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type == "Polygon" and
             not g.is_empty]
    if not parts:
        raise GeometryError("the polygon encloses no area")
    return [[_coordinates(part.exterior.coords)] + [_coordinates(i.coords) for i in part.interiors]
            for part in parts]


def _coordinates(coords) -> list[list[float]]:
    return [[round(x, _DIGITS) + 0.0, round(y, _DIGITS) + 0.0] for x, y in coords]


def circle_ring(text: str) -> list[list[float]]:
    """One CAP <circle> "lat,lon radius_km" as a closed ring of CIRCLE_POINTS points,
    counter-clockwise (the GeoJSON right-hand rule), starting due north of the centre."""
    parts = _COMMA.sub(",", text.strip()).split()
    if len(parts) != 2:
        raise GeometryError(f"'{text.strip()}' is not a circle written as latitude,longitude "
                            "radius")
    lon0, lat0 = _point(parts[0])
    try:
        radius = float(parts[1])
    except ValueError:
        raise GeometryError(f"the radius '{parts[1]}' is not a number of kilometres")
    if not math.isfinite(radius) or radius < 0:
        raise GeometryError(f"the radius '{parts[1]}' is not a number of kilometres")
    if radius == 0:
        raise GeometryError("a circle of radius 0 is a point, not an area")
    angular = min(radius / EARTH_RADIUS_KM, math.pi / 2)
    phi0, lambda0 = math.radians(lat0), math.radians(lon0)
    ring = []
    for i in range(CIRCLE_POINTS):
        bearing = -2 * math.pi * i / CIRCLE_POINTS  # north, then west: counter-clockwise
        phi = math.asin(math.sin(phi0) * math.cos(angular) +
                        math.cos(phi0) * math.sin(angular) * math.cos(bearing))
        lam = lambda0 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(phi0),
                                   math.cos(angular) - math.sin(phi0) * math.sin(phi))
        ring.append([round(math.degrees(lam), _DIGITS) + 0.0,
                     round(math.degrees(phi), _DIGITS) + 0.0])
    ring.append(list(ring[0]))
    return ring


def multipolygon(polygons: list[list[list[list[float]]]]) -> dict:
    return {"type": "MultiPolygon", "coordinates": polygons}
