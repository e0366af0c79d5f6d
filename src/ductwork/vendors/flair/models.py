"""The Flair domain as declarative tables: resource types, their attributes and links, scopes.

Each resource type lists its attributes with the document's "Editable?" column (and the real
attribute names seen in recorded traffic), its relationships and the OAuth scope resources
that may reach it. The JSON:API layer in `service` is driven entirely by these tables.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Any

VIEW, EDIT = "view", "edit"
MODES = ("auto", "manual")
HEAT_COOL_MODES = ("float", "heat", "cool", "auto")
BAND_C = 5.0 / 9.0  # Flair's hysteresis band: 1 °F around each room's set point
VENT_LOCK_SECONDS = 15 * 60  # a vent moves no sooner than 15 minutes after its last move
BALANCE_EVERY_MINUTES = 5
MODE_SWITCH_HYSTERESIS_C = 3.0 * 5.0 / 9.0  # 3 °F, Flair's default heat/cool hysteresis
MIN_OPEN_FRACTION = 0.3  # back-pressure limit: keep at least 30 % of vent area open
SET_POINT_LOW_C, SET_POINT_HIGH_C = 10.0, 32.23  # the pucks' default set-point bounds
PUCK_APP_TYPES = ("temp-control", "tv-remote", "ir-remote", "occupancy")


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute: its JSON kind, whether clients may write it, and its allowed values."""

    name: str
    kind: str  # "string", "integer", "number", "boolean", "strings", "object", "any"
    editable: bool = False
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    nullable: bool = True
    on_create: bool = False  # writable when the resource is created, read-only after


@dataclass(frozen=True, slots=True)
class Rel:
    """One relationship.

    A to-one link is the column `column` of this type's table; a to-many link is the column
    `column` of the target's table pointing back here. `linkage` says whether resource objects
    carry `data` for it (the real service omits it for large or computed links), `self_link`
    whether it has a relationship endpoint (links.self), `editable` whether clients may change it.
    A `reverse` to-one link is the first target row whose `column` points back here (in the
    target's order: the newest reading or state, a room's thermostat).
    """

    name: str
    target: str
    many: bool
    column: str | None
    _: KW_ONLY
    linkage: bool = True
    self_link: bool = True
    editable: bool = False
    reverse: bool = False
    typed_null: bool = False  # an empty to-one link is {"type": ..., "id": null}, not null


def _related_only(
    name: str, target: str, column: str, *, many: bool = True, reverse: bool = False
) -> Rel:
    """A link with only `links.related`: readings, states and sightings (large, or computed
    like the newest one)."""
    return Rel(name, target, many, column, linkage=False, self_link=False, reverse=reverse)


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A JSON:API resource type of the Flair API."""

    name: str
    scopes: tuple[str, ...]  # scope resources that grant access (e.g. "structures")
    attrs: tuple[Attr, ...]
    rels: tuple[Rel, ...] = ()
    creatable: bool = False
    deletable: bool = False
    uuid_ids: bool = False
    required_on_create: tuple[str, ...] = ()  # relationships a POST must name
    attr_index: dict[str, Attr] = field(init=False, repr=False, compare=False)
    rel_index: dict[str, Rel] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attr_index", {a.name: a for a in self.attrs})
        object.__setattr__(self, "rel_index", {r.name: r for r in self.rels})


def _stamps() -> tuple[Attr, Attr]:
    return Attr("created-at", "string"), Attr("updated-at", "string")


_STRUCTURE = Rel("structure", "structures", False, "structure_id", editable=True)
# Attributes the real service sends that ductwork does not model (read-only, null unless set).
_REAL_USER_KEYS = ("beta-bridge-user", "betas", "contractor-validated", "no-proactive",
                   "notification-settings-prompted", "review-prompted", "review-stars",
                   "sales-channel")  # fmt: skip
_REAL_PUCK_KEYS = ("beacon-interval-ms", "bluetooth-tx-power-mw", "demo-mode", "features",
                   "humidity-offset", "ignore-readings-for-room", "ir-download",
                   "ir-setup-enabled", "last-reported-as-gateway", "oauth-app-assigned-at",
                   "sub-ghz-radio-tx-power-mw", "temperature-offset-c")  # fmt: skip
_ROOM = Rel("room", "rooms", False, "room_id", editable=True)

USERS = ResourceType(
    "users",
    ("users",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("email", "string"),
        Attr("temperature-scale", "string", editable=True, choices=("F", "C", "K")),
        Attr("default-temperature-preference-c", "number", True, (), 10.0, 32.23),
        Attr("alert-emails", "boolean", editable=True),
        Attr("firmware-emails", "boolean", editable=True),
        Attr("global-email", "boolean", editable=True),
        Attr("global-push", "boolean", editable=True),
        Attr("email-structure-alert-types", "any"),
        Attr("push-structure-alert-types", "any"),
        Attr("role", "string"),
        Attr("partner", "boolean"),
        *(Attr(n, "any") for n in _REAL_USER_KEYS),  # sent by the real service; null here
        *_stamps(),
    ),
    (
        Rel("structures", "structures", True, "account_id", linkage=False),
        Rel("adminable-structures", "structures", True, "account_id", linkage=False),
        Rel("editable-structures", "structures", True, None, linkage=False),
        Rel("viewable-structures", "structures", True, None, linkage=False),
        Rel("default-structure", "structures", False, "default_structure"),
        _related_only("devices", "devices", "account_id"),
    ),
)

STRUCTURES = ResourceType(
    "structures",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("mode", "string", editable=True, choices=MODES, nullable=False),
        Attr("structure-heat-cool-mode", "string", True, HEAT_COOL_MODES, nullable=False),
        Attr("set-point-temperature-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C),
        Attr(
            "set-point-mode",
            "string",
            editable=True,
            choices=(
                "Home Evenness For Active Rooms Flair Setpoint",
                "Home Evenness For Active Rooms Follow Third Party",
            ),
        ),
        Attr("home", "boolean", editable=True, nullable=False),
        Attr(
            "home-away-mode",
            "string",
            editable=True,
            choices=("Manual", "Third Party Home Away", "Flair Autohome Autoaway"),
        ),
        Attr("structure-away-mode", "string", editable=True, choices=("Smart Away", "Off Only")),
        Attr(
            "default-hold-duration",
            "string",
            editable=True,
            choices=("Until", "3h", "8h", "24h", "Forever"),
        ),
        Attr("temperature-scale", "string", editable=True, choices=("F", "C", "K")),
        Attr("time-zone", "string", editable=True, nullable=False),
        Attr("location", "string", editable=True),
        Attr("hold-until", "string"),
        Attr("active-schedule-id", "string", editable=True),
        Attr("setup-complete", "boolean"),
        Attr("current-heat-cool-mode", "string"),
        Attr("hvac-running", "boolean"),
        *_stamps(),
    ),
    (
        Rel("rooms", "rooms", True, "structure_id", linkage=False, editable=True),
        Rel("zones", "zones", True, "structure_id", linkage=False, editable=True),
        Rel("vents", "vents", True, "structure_id", linkage=False, editable=True),
        Rel("pucks", "pucks", True, "structure_id", linkage=False, editable=True),
        Rel("hvac-units", "hvac-units", True, "structure_id", linkage=False, editable=True),
        Rel("bridges", "bridges", True, "structure_id", linkage=False, editable=True),
        Rel("thermostats", "thermostats", True, "structure_id", linkage=False, editable=True),
        Rel("remote-sensors", "remote-sensors", True, "structure_id", linkage=False),
        Rel("schedules", "schedules", True, "structure_id", linkage=False, editable=True),
        _related_only("weather-readings", "weather-readings", "structure_id"),
    ),
    creatable=True,
    deletable=True,
)

ZONES = ResourceType(
    "zones",
    ("structures",),
    (Attr("name", "string", editable=True, nullable=False), *_stamps()),
    (_STRUCTURE, Rel("rooms", "rooms", True, "zone_id", editable=True)),
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)

ROOMS = ResourceType(
    "rooms",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("active", "boolean", editable=True, nullable=False),
        Attr("set-point-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C, False),
        Attr("set-point-manual", "boolean"),
        Attr("current-temperature-c", "number"),
        Attr("current-humidity", "number"),
        Attr("pucks-inactive", "string"),
        Attr("hold-until", "string"),
        Attr("hold-reason", "string"),
        Attr("level", "string", editable=True),
        Attr("room-type", "string", editable=True),
        Attr("air-return", "boolean", editable=True),
        Attr("windows", "any", editable=True),
        Attr("occupancy-mode", "string", editable=True, choices=("Flair Auto", "Manual")),
        Attr("room-away-mode", "string", editable=True, choices=("Smart Away", "Off Only")),
        Attr("temp-away-min-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C),
        Attr("temp-away-max-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C),
        Attr("humidity-away-min", "integer", True, (), 0, 100),
        Attr("humidity-away-max", "integer", True, (), 0, 100),
        Attr("preheat-precool", "boolean", editable=True),
        Attr("frozen-pipe-pet-protect", "boolean", editable=True),
        Attr("state-updated-at", "string"),
        Attr("hold-until-schedule-event", "boolean"),
        *_stamps(),
    ),
    (
        _STRUCTURE,
        Rel("zones", "zones", True, "zone_id"),
        Rel("vents", "vents", True, "room_id", editable=True),
        Rel("pucks", "pucks", True, "room_id", editable=True),
        Rel("hvac-units", "hvac-units", True, "room_id", editable=True),
        Rel("bridges", "bridges", True, "room_id", editable=True),
        Rel("remote-sensors", "remote-sensors", True, "room_id", editable=True),
        Rel("thermostat", "thermostats", False, "room_id", reverse=True, typed_null=True),
        Rel("puck-apps", "puck-apps", True, "room_id", linkage=False),
    ),
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)

VENTS = ResourceType(
    "vents",
    ("vents", "structures"),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("percent-open", "integer", True, (), 0, 100, False),
        Attr("percent-open-reason", "string"),
        Attr("inactive", "boolean"),
        Attr("voltage", "number"),
        Attr("current-rssi", "integer"),
        Attr("has-buzzed", "boolean"),
        Attr("setup-lightstrip", "integer"),
        *_stamps(),
    ),
    (
        _ROOM,
        _STRUCTURE,
        _related_only(
            "current-reading", "vent-sensor-readings", "vent_id", many=False, reverse=True
        ),
        _related_only("sensor-readings", "vent-sensor-readings", "vent_id"),
        _related_only("current-state", "vent-states", "vent_id", many=False, reverse=True),
        _related_only("vent-states", "vent-states", "vent_id"),
    ),
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
)

PUCKS = ResourceType(
    "pucks",
    ("pucks", "structures"),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("display-number", "string"),
        Attr("current-temperature-c", "number"),
        Attr("current-humidity", "number"),
        Attr("voltage", "number"),
        Attr("current-rssi", "integer"),
        Attr("is-gateway", "boolean"),
        Attr("inactive", "boolean"),
        Attr("setpoint-bound-low", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C, False),
        Attr("setpoint-bound-high", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C, False),
        Attr("temperature-offset-override-c", "number", True, (), -5.0, 5.0),
        Attr("puck-display-color", "string", editable=True, choices=("white", "black")),
        Attr("locked", "boolean", editable=True, nullable=False),
        Attr("orientation", "string"),
        Attr("reporting-interval-ds", "integer"),
        *(Attr(n, "any") for n in _REAL_PUCK_KEYS),  # sent by the real service; null here
        *_stamps(),
    ),
    (
        _ROOM,
        _STRUCTURE,
        _related_only("current-reading", "sensor-readings", "puck_id", many=False, reverse=True),
        _related_only("sensor-readings", "sensor-readings", "puck_id"),
        _related_only("beacon-sightings", "beacon-sightings", "puck_id"),
        Rel("puck-apps", "puck-apps", True, "puck_id", linkage=False),
    ),
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
)

HVAC_UNITS = ResourceType(
    "hvac-units",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("make-name", "string", editable=True),
        Attr("model-id", "string", editable=True),
        Attr("power", "string", editable=True, choices=("On", "Off"), nullable=False),
        Attr("mode", "string", editable=True, choices=("Cool", "Heat", "Fan", "Dry", "Auto")),
        Attr("temperature", "number", True, (), 16.0, 32.0),
        Attr("fan-speed", "string", editable=True, choices=("Auto", "High", "Medium", "Low")),
        Attr("swing", "string", editable=True, choices=("On", "Off")),
        Attr("capabilities", "string"),
        Attr("constraints", "any"),
        *_stamps(),
    ),
    (_ROOM, _STRUCTURE),
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
)

BRIDGES = ResourceType(
    "bridges",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("led-brightness", "integer", True, (), 20, 100),
        Attr("inactive", "boolean"),
        *_stamps(),
    ),
    (
        _ROOM,
        _STRUCTURE,
        # The newest reading relayed through the bridge: see service._related_select.
        _related_only(
            "current-reading", "sensor-readings", "structure_id", many=False, reverse=True
        ),
    ),
    uuid_ids=True,
)

SENSOR_READINGS = ResourceType(
    "sensor-readings",
    ("sensors", "pucks"),
    (
        Attr("room-temperature-c", "number"),
        Attr("humidity", "integer"),
        Attr("room-pressure", "number"),
        Attr("light", "integer"),
        Attr("system-voltage", "number"),
        Attr("rssi", "integer"),
        Attr("is-gateway", "boolean"),
        Attr("desired-temperature-c", "number"),
        Attr("button-pushes", "integer"),
        Attr("firmware-version-s", "integer"),
        Attr("firmware-version-b", "integer"),
        Attr("firmware-version-w", "integer"),
        Attr("temperature", "number"),
        Attr("die-temperature", "number"),
        Attr("current-offset", "number"),
        Attr("rotary-encoded-clicks", "integer"),
        Attr("message-version", "integer"),
        Attr("created-at", "string"),
    ),
    (Rel("puck", "pucks", False, "puck_id", self_link=False),),
    uuid_ids=True,
)

VENT_SENSOR_READINGS = ResourceType(
    "vent-sensor-readings",
    ("structures", "vents"),
    (
        Attr("duct-temperature-c", "number"),
        Attr("duct-pressure", "number"),
        Attr("percent-open", "integer"),
        Attr("system-voltage", "number"),
        Attr("rssi", "integer"),
        Attr("motor-run-time", "integer"),
        Attr("motor-current", "integer"),
        Attr("firmware-version-s", "integer"),
        Attr("lights", "integer"),
        Attr("created-at", "string"),
    ),
    (Rel("vent", "vents", False, "vent_id", self_link=False),),
    uuid_ids=True,
)

# What a callback may listen to, and the resource type each event carries.
EVENT_TYPES = {"vent": "vents", "puck": "pucks", "sensor": "sensor-readings"}

CALLBACKS = ResourceType(
    "callbacks",
    ("applications",),
    (
        Attr("webhookurl", "string", editable=True, nullable=False),
        Attr("event_type", "string", editable=True, choices=tuple(EVENT_TYPES), nullable=False),
        *_stamps(),
    ),
    (
        Rel("structure", "structures", False, "structure_id", editable=True),
        Rel("application", "applications", False, "application_id", self_link=False),
    ),
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)

APPLICATIONS = ResourceType(
    "applications",
    ("applications",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("description", "string", editable=True, nullable=False),
        Attr("client_id", "string"),
        Attr("client_secret", "string"),
        Attr("redirect_uris", "strings", editable=True, nullable=False),
        Attr("scopes", "strings", editable=True, nullable=False),
        Attr("created-at", "string"),
    ),
    (
        Rel("user", "users", False, "account_id"),
        Rel("callbacks", "callbacks", True, "application_id", linkage=False),
    ),
    creatable=True,
    deletable=True,
)

PUCK_APPS = ResourceType(
    "puck-apps",
    ("puck-apps",),
    (
        Attr("app-type", "string", choices=PUCK_APP_TYPES, nullable=False, on_create=True),
        Attr("app-state", "object", editable=True, nullable=False),
        *_stamps(),
    ),
    (Rel("puck", "pucks", False, "puck_id", editable=True),),
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("puck",),
)

THERMOSTATS = ResourceType(
    "thermostats",
    ("thermostats",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("make", "string", on_create=True),
        Attr("model", "string", on_create=True),
        Attr("mode", "string"),
        Attr("operating-state", "string"),
        Attr("last-non-idle-mode", "string"),
        Attr("current-set-point", "number"),
        Attr("is-offline", "boolean"),
        Attr("is-out-of-sync", "boolean"),
        *_stamps(),
    ),
    (
        _ROOM,
        _STRUCTURE,
        _related_only("thermostat-states", "thermostat-states", "thermostat_id"),
        _related_only(
            "current-state", "thermostat-states", "thermostat_id", many=False, reverse=True
        ),
        Rel("remote-sensor", "remote-sensors", False, "thermostat_id", reverse=True),
    ),
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
)

THERMOSTAT_STATES = ResourceType(
    "thermostat-states",
    ("thermostats",),
    (
        Attr("ambient-temperature-c", "number"),
        Attr("target-temperature-c", "number"),
        Attr("upper-setpoint-c", "number"),
        Attr("lower-setpoint-c", "number"),
        Attr("operating-state", "string"),
        Attr("mode", "string"),
        Attr("fan-state", "string"),
        Attr("humidity", "integer"),
        Attr("home-away", "string"),
        Attr("online", "boolean"),
        Attr("created-at", "string"),
    ),
    (Rel("thermostat", "thermostats", False, "thermostat_id", self_link=False),),
    uuid_ids=True,
)

REMOTE_SENSORS = ResourceType(
    "remote-sensors",
    ("sensors", "structures"),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("sensor-type", "string"),
        Attr("is-tstat", "boolean"),
        Attr("inactive", "boolean"),
        *_stamps(),
    ),
    (_ROOM, _STRUCTURE, Rel("thermostat", "thermostats", False, "thermostat_id")),
    uuid_ids=True,
)

SCHEDULES = ResourceType(
    "schedules",
    ("structures",),
    (Attr("name", "string", editable=True, nullable=False), *_stamps()),
    (_STRUCTURE,),
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)

VENT_STATES = ResourceType(
    "vent-states",
    ("vents", "structures"),
    (
        Attr("percent-open", "integer", low=0, high=100, nullable=False, on_create=True),
        Attr("percent-open-reason", "string"),
        Attr("set-by", "string"),
        Attr("changeset", "any"),
        Attr("created-at", "string"),
    ),
    (Rel("vent", "vents", False, "vent_id", self_link=False, editable=True),),
    creatable=True,
    uuid_ids=True,
    required_on_create=("vent",),
)

BEACON_SIGHTINGS = ResourceType(
    "beacon-sightings",
    ("sensors",),
    (
        Attr("rssi", "integer"),
        Attr("txpower", "integer"),
        Attr("distance", "number"),
        Attr("bluetooth-name", "string"),
        Attr("bluetooth-mac", "string"),
        Attr("observer-wifi-mac", "string"),
        Attr("observer-device-uuid", "string"),
        Attr("distance-string", "string"),
        Attr("description", "string"),
        Attr("accuracy", "number"),
        Attr("created-at", "string"),
    ),
    (
        Rel("puck", "pucks", False, "puck_id", self_link=False),
        Rel("device", "devices", False, "device_id", self_link=False),
    ),
    uuid_ids=True,
)

WEATHER_READINGS = ResourceType(
    "weather-readings",
    ("sensors",),
    (
        Attr("sunrise", "string"),
        Attr("sunset", "string"),
        Attr("outside-temperature-c", "number"),
        Attr("windspeed", "number"),
        Attr("wind-direction", "number"),
        Attr("humidity", "number"),
        Attr("pressure", "number"),
        Attr("wind-chill", "number"),
        Attr("condition", "string"),
        Attr("created-at", "string"),
    ),
    (Rel("structure", "structures", False, "structure_id", self_link=False),),
    uuid_ids=True,
)

DEVICES = ResourceType(
    "devices",
    ("users",),
    (Attr("user-agent", "string"), *_stamps()),
    (
        Rel("user", "users", False, "account_id", self_link=False),
        _related_only("beacon-sightings", "beacon-sightings", "device_id"),
    ),
)

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

# Every scope resource a token may name (the document's resources and those real clients use).
SCOPE_RESOURCES = (
    "applications",
    "users",
    "structures",
    "vents",
    "pucks",
    "puck-apps",
    "thermostats",
    "sensors",
    "events",
)
ALL_SCOPES = tuple(f"{r}.{level}" for r in SCOPE_RESOURCES for level in (VIEW, EDIT))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who calls: the account (tenant), the granted scopes and the application."""

    account_id: int
    scopes: frozenset[str]
    application_id: int

    def may(self, resource_type: ResourceType, method: str) -> bool:
        """View scopes allow GET (and HEAD); edit scopes allow every method (GET included)."""
        reading = method in ("GET", "HEAD")
        for resource in resource_type.scopes:
            if f"{resource}.{EDIT}" in self.scopes:
                return True
            if reading and f"{resource}.{VIEW}" in self.scopes:
                return True
        return False
