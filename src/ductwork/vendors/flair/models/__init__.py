"""The Flair domain: resource types as declarative tables, each with the behaviour Flair gives it.

Each resource type lists its attributes with the document's "Editable?" column (and the real
attribute names seen in recorded traffic), its relationships, its table and the OAuth scope
resources that may reach it. The generic JSON:API operations in `service` are driven by these
tables and dispatch to each type's hooks (`resource.ResourceType`), which a type's class
overrides beside its table where the real service does more than store what it is given:

- `homes`: users, structures, zones, rooms, schedules;
- `vents`: vents and vent states;
- `devices`: pucks, puck apps, HVAC units, bridges, thermostats, remote sensors;
- `history`: readings, thermostat states, weather, beacon sightings, phones;
- `partners`: applications and callbacks.
"""

from __future__ import annotations

from ductwork.vendors.flair.models.access import ALL_SCOPES, EDIT, VIEW, Principal
from ductwork.vendors.flair.models.devices import (
    BRIDGES,
    HVAC_UNITS,
    PUCK_APPS,
    PUCKS,
    REMOTE_SENSORS,
    THERMOSTATS,
)
from ductwork.vendors.flair.models.fields import Attr, Rel
from ductwork.vendors.flair.models.history import (
    BEACON_SIGHTINGS,
    DEVICES,
    SENSOR_READINGS,
    THERMOSTAT_STATES,
    VENT_SENSOR_READINGS,
    WEATHER_READINGS,
)
from ductwork.vendors.flair.models.homes import ROOMS, SCHEDULES, STRUCTURES, USERS, ZONES
from ductwork.vendors.flair.models.partners import (
    APPLICATIONS,
    CALLBACKS,
    EVENT_TYPES,
    webhook_source,
)
from ductwork.vendors.flair.models.resource import Effects, ResourceType, Write
from ductwork.vendors.flair.models.vents import VENT_STATES, VENTS

TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        USERS,
        STRUCTURES,
        ZONES,
        ROOMS,
        VENTS,
        PUCKS,
        HVAC_UNITS,
        BRIDGES,
        SENSOR_READINGS,
        VENT_SENSOR_READINGS,
        CALLBACKS,
        APPLICATIONS,
        PUCK_APPS,
        THERMOSTATS,
        THERMOSTAT_STATES,
        REMOTE_SENSORS,
        SCHEDULES,
        VENT_STATES,
        BEACON_SIGHTINGS,
        WEATHER_READINGS,
        DEVICES,
    )
}

__all__ = [
    "ALL_SCOPES",
    "EDIT",
    "EVENT_TYPES",
    "TYPES",
    "USERS",
    "VENTS",
    "VIEW",
    "Attr",
    "Effects",
    "Principal",
    "Rel",
    "ResourceType",
    "Write",
    "webhook_source",
]
