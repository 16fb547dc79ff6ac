import math

import numpy as np
import pytest

from geo.crs import KM_PER_DEG_LAT, KM_PER_DEG_LON_EQUATOR, gcj02_to_wgs84, wgs84_to_gcj02

# Published reference pairs (eviltransform's test vectors): (wgs lat, lon), (gcj lat, lon).
REFERENCE = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


def metres(lon1, lat1, lon2, lat2):
    east = (lon1 - lon2) * KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat1))
    return 1000 * math.hypot(east, (lat1 - lat2) * KM_PER_DEG_LAT)


@pytest.mark.parametrize("wgs,gcj", REFERENCE)
def test_forward_matches_published_pairs(wgs, gcj):
    lon, lat = wgs84_to_gcj02(wgs[1], wgs[0])
    assert lon == pytest.approx(gcj[1], abs=1e-9)
    assert lat == pytest.approx(gcj[0], abs=1e-9)


@pytest.mark.parametrize("wgs,gcj", REFERENCE)
def test_inverse_recovers_published_pairs_within_a_metre(wgs, gcj):
    lon, lat = gcj02_to_wgs84(gcj[1], gcj[0])
    assert metres(lon, lat, wgs[1], wgs[0]) < 1.0


def test_round_trip_over_laoshan_is_under_a_metre():
    rng = np.random.default_rng(1)
    lon = rng.uniform(120.40, 120.72, 5000)
    lat = rng.uniform(36.05, 36.35, 5000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    worst = max(metres(a, b, c, d) for a, b, c, d in zip(lon, lat, back_lon, back_lat, strict=True))
    assert worst < 1.0


def test_laoshan_offset_is_about_420_m_east():
    # The shared geo README measured +0.0047° lon and ~0 lat at Laoshan.
    lon, lat = wgs84_to_gcj02(120.55, 36.15)
    assert 0.0040 < lon - 120.55 < 0.0055
    assert abs(lat - 36.15) < 0.0010


def test_outside_china_is_unchanged():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)

