"""Key locations: which OSM features a patrol plans around, and their layers.

A volunteer patrol in a Chinese community visits schools at opening and
closing time, markets, stations, police posts, the residents' committee
(居委会) and places that draw crowds at night (bars, KTV, 网吧). This module
turns an OSM tag set into one *kind* of key location, and each kind into the
*layer* (``layers/<layer>.geojson`` in an area workspace) it is drawn on.

The mapping is a table, :data:`PLACE_RULES`, read top to bottom; the first
rule whose tags all match wins, so more specific rules come first (a subway
station before a railway station, a school before the building it sits in).
``"*"`` as a rule value matches any value except ``"no"``.

=====================  =========================================================
kind                   OSM tags (first match wins)
=====================  =========================================================
subway_entrance        railway=subway_entrance
subway_station         railway=station + station=subway; station=subway;
                       public_transport=station + subway=yes
railway_station        railway=station, railway=halt, public_transport=station
                       + train=yes
bus_station            amenity=bus_station, public_transport=station + bus=yes
kindergarten           amenity=kindergarten, amenity=childcare
school                 amenity=school
university             amenity=university, amenity=college
hospital               amenity=hospital, healthcare=hospital
clinic                 amenity=clinic, amenity=doctors, healthcare=clinic,
                       healthcare=doctor, healthcare=centre
pharmacy               amenity=pharmacy, healthcare=pharmacy
police                 amenity=police, office=police
fire_station           amenity=fire_station
marketplace            amenity=marketplace, shop=marketplace
supermarket            shop=supermarket
mall                   shop=mall, shop=department_store
bank                   amenity=bank
atm                    amenity=atm
post_office            amenity=post_office
community_centre       amenity=community_centre, amenity=townhall,
                       amenity=social_facility, office=government or
                       office=association whose name contains 居委会 /
                       居民委员会 / 村委会 / 社区服务 / 社区工作站
nightlife              amenity=bar, pub, nightclub, karaoke_box (KTV),
                       casino, gambling; leisure=adult_gaming_centre
internet_cafe          amenity=internet_cafe, shop=internet_cafe (网吧)
hotel                  tourism=hotel, hostel, guest_house, motel
place_of_worship       amenity=place_of_worship
park                   leisure=park
=====================  =========================================================

Everything else (restaurants, parking, shops in general, bus stops) is not a
key location and classifies as ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Ordered rules ``(required tags, kind)``; the first rule whose tags all match wins.
PLACE_RULES: tuple[tuple[Mapping[str, str], str], ...] = (
    ({"railway": "subway_entrance"}, "subway_entrance"),
    ({"railway": "station", "station": "subway"}, "subway_station"),
    ({"public_transport": "station", "station": "subway"}, "subway_station"),
    ({"public_transport": "station", "subway": "yes"}, "subway_station"),
    ({"railway": "station"}, "railway_station"),
    ({"railway": "halt"}, "railway_station"),
    ({"public_transport": "station", "train": "yes"}, "railway_station"),
    ({"amenity": "bus_station"}, "bus_station"),
    ({"public_transport": "station", "bus": "yes"}, "bus_station"),
    ({"amenity": "kindergarten"}, "kindergarten"),
    ({"amenity": "childcare"}, "kindergarten"),
    ({"amenity": "school"}, "school"),
    ({"amenity": "university"}, "university"),
    ({"amenity": "college"}, "university"),
    ({"amenity": "hospital"}, "hospital"),
    ({"healthcare": "hospital"}, "hospital"),
    ({"amenity": "clinic"}, "clinic"),
    ({"amenity": "doctors"}, "clinic"),
    ({"healthcare": "clinic"}, "clinic"),
    ({"healthcare": "doctor"}, "clinic"),
    ({"healthcare": "centre"}, "clinic"),
    ({"amenity": "pharmacy"}, "pharmacy"),
    ({"healthcare": "pharmacy"}, "pharmacy"),
    ({"amenity": "police"}, "police"),
    ({"office": "police"}, "police"),
    ({"amenity": "fire_station"}, "fire_station"),
    ({"amenity": "marketplace"}, "marketplace"),
    ({"shop": "marketplace"}, "marketplace"),
    ({"shop": "supermarket"}, "supermarket"),
    ({"shop": "mall"}, "mall"),
    ({"shop": "department_store"}, "mall"),
    ({"amenity": "bank"}, "bank"),
    ({"amenity": "atm"}, "atm"),
    ({"amenity": "post_office"}, "post_office"),
    ({"amenity": "community_centre"}, "community_centre"),
    ({"amenity": "townhall"}, "community_centre"),
    ({"amenity": "social_facility"}, "community_centre"),
    ({"amenity": "bar"}, "nightlife"),
    ({"amenity": "pub"}, "nightlife"),
    ({"amenity": "nightclub"}, "nightlife"),
    ({"amenity": "karaoke_box"}, "nightlife"),
    ({"amenity": "casino"}, "nightlife"),
    ({"amenity": "gambling"}, "nightlife"),
    ({"leisure": "adult_gaming_centre"}, "nightlife"),
    ({"amenity": "internet_cafe"}, "internet_cafe"),
    ({"shop": "internet_cafe"}, "internet_cafe"),
    ({"tourism": "hotel"}, "hotel"),
    ({"tourism": "hostel"}, "hotel"),
    ({"tourism": "guest_house"}, "hotel"),
    ({"tourism": "motel"}, "hotel"),
    ({"amenity": "place_of_worship"}, "place_of_worship"),
    ({"leisure": "park"}, "park"),
)

#: Name fragments that mark a government/association office as a residents' committee.
COMMITTEE_NAME_PARTS: tuple[str, ...] = ("居委会", "居民委员会", "村委会", "社区服务", "社区工作站")

#: Layer (workspace file ``layers/<layer>.geojson``) of each kind.
LAYER_OF_KIND: Mapping[str, str] = {
    "school": "schools",
    "kindergarten": "schools",
    "university": "schools",
    "hospital": "health",
    "clinic": "health",
    "pharmacy": "health",
    "police": "police",
    "fire_station": "police",
    "marketplace": "markets",
    "supermarket": "markets",
    "mall": "markets",
    "bus_station": "stations",
    "railway_station": "stations",
    "subway_station": "stations",
    "subway_entrance": "stations",
    "bank": "banks",
    "atm": "banks",
    "post_office": "other",
    "community_centre": "other",
    "nightlife": "other",
    "internet_cafe": "other",
    "hotel": "other",
    "place_of_worship": "other",
    "park": "other",
}

#: Every kind :func:`classify_place` can return.
PLACE_KINDS: tuple[str, ...] = tuple(LAYER_OF_KIND)


def _matches(tags: Mapping[str, str], required: Mapping[str, str]) -> bool:
    for key, value in required.items():
        tagged = tags.get(key)
        if tagged is None:
            return False
        if value == "*":
            if tagged == "no":
                return False
        elif tagged != value:
            return False
    return True


def classify_place(tags: Mapping[str, str]) -> str | None:
    """Return the key-location kind of an OSM feature, or ``None``.

    Parameters
    ----------
    tags : Mapping[str, str]
        The feature's OSM tags, e.g. ``{"amenity": "school", "name": "海淀小学"}``.

    Returns
    -------
    str or None
        One of :data:`PLACE_KINDS` (first matching rule of :data:`PLACE_RULES`,
        then the residents' committee name rule), or ``None`` when the feature
        is not a key location. Features tagged ``disused=yes`` or
        ``abandoned=yes`` are not key locations.
    """
    if tags.get("disused") == "yes" or tags.get("abandoned") == "yes":
        return None
    for required, kind in PLACE_RULES:
        if _matches(tags, required):
            return kind
    if tags.get("office") in ("government", "association"):
        name = tags.get("name", "")
        if any(part in name for part in COMMITTEE_NAME_PARTS):
            return "community_centre"
    return None


def layer_of(kind: str) -> str:
    """Return the layer name a key-location ``kind`` is drawn on (``"other"`` if unknown)."""
    return LAYER_OF_KIND.get(kind, "other")
