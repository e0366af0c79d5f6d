"""The Automate Green house twin: an Insteon home (a hub and its devices) plus Sensor Hub
sensors, weather and the occupants' daily routine, kept as one JSON state document.

Time: instants are seconds since the epoch on the account's clock; minute m is the 60 s
interval (m·60 − 60, m·60] and the house's `state["minute"]` is the last minute stepped
(chosen). `House.step(a, b)` covers minutes a+1..b, so stepping a→c equals a→b then b→c, even
across a JSON round trip of `House.state`. A command arriving at second t is applied after
the house was stepped to `minute_of(t)` (the caller steps first). A step's reports are in
time order; a dimmer ramp that ends inside a minute already stepped is reported by the next
step, with its true (earlier) time.

The occupants (chosen pattern, seeded per local day): up at about 6:30 (8:00 at weekends),
away on weekdays about 8:00-17:30 except on some days at home (`home_day_chance`), asleep at
about 23:00; each time wanders by up to `jitter_minutes`. `Environment.occupied` is "someone
is home and awake". Local time is UTC + `climate.utc_offset_hours`. Weather comes from
`core.physics.weather` (seeded by the house seed): outdoor °C, relative humidity 0..1,
daylight in lux.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ductwork.core.noise import unit
from ductwork.core.physics.weather import Climate, weather_series
from ductwork.vendors.automategreen import ids, insteon, power
from ductwork.vendors.automategreen.devices import (
    DeviceModel,
    DeviceOffline,
    Environment,
    Json,
    Outcome,
    Report,
)

MINUTE = 60
DAY_MINUTES = 1440
_WAKE, _LEAVE, _RETURN, _SLEEP, _HOME_DAY = range(101, 106)
_CHUNK_MINUTES = 7 * DAY_MINUTES  # weather computed at most a week at a time


@dataclass(frozen=True)
class Site:
    """Where the house is (its climate and time zone) and its occupants' routine (local
    minutes after midnight)."""

    climate: Climate = field(default_factory=Climate)
    wake: int = 6 * 60 + 30
    weekend_wake: int = 8 * 60
    leave: int = 8 * 60
    come_home: int = 17 * 60 + 30
    sleep: int = 23 * 60
    home_day_chance: float = 0.2  # a weekday spent at home
    jitter_minutes: int = 30

    def to_json(self) -> Json:
        """The site as JSON (kept in the house's state)."""
        return dataclasses.asdict(self)

    @staticmethod
    def from_json(data: Json) -> Site:
        """A site from `to_json`."""
        return Site(**{**data, "climate": Climate(**data["climate"])})


@dataclass(frozen=True)
class DeviceSpec:
    """A device as the cloud knows it: id, kind (`insteon.MODELS` key), address (six hex
    digits, or `<particle id>:sensor:NN`), name, gateway (None for a Sensor Hub sensor) and
    kind-specific options (see each model's docstring)."""

    id: str
    kind: str
    address: str
    name: str
    gateway: str | None
    options: Json = field(default_factory=dict)

    def to_json(self) -> Json:
        """The spec as JSON."""
        return dataclasses.asdict(self)

    @staticmethod
    def from_json(data: Json) -> DeviceSpec:
        """A spec from `to_json`."""
        return DeviceSpec(**data)


def minute_of(at: float) -> int:
    """The minute holding second `at` (minute m covers (m·60 − 60, m·60])."""
    return math.ceil(at / MINUTE)


def _day_jitter(seed: int, site: Site, channel: int, day: int) -> int:
    return round(site.jitter_minutes * unit(seed, channel, day))


def occupied(site: Site, seed: int, local_day: int, local_minute: int) -> bool:
    """Whether someone is home and awake at a local minute of a local day (days since
    1970-01-01, a Thursday)."""
    weekday = (local_day + 3) % 7
    weekend = weekday >= 5
    wake = (site.weekend_wake if weekend else site.wake) + _day_jitter(seed, site, _WAKE, local_day)
    sleep = site.sleep + _day_jitter(seed, site, _SLEEP, local_day)
    if not wake <= local_minute < sleep:
        return False
    if weekend or unit(seed, _HOME_DAY, local_day) > 1.0 - 2.0 * site.home_day_chance:
        return True
    leave = site.leave + _day_jitter(seed, site, _LEAVE, local_day) // 2
    back = site.come_home + _day_jitter(seed, site, _RETURN, local_day)
    return not leave <= local_minute < back


def new_house(seed: int, site: Site, devices: Sequence[DeviceSpec], at: float) -> Json:
    """A house's state document with `devices` joined at `at` (their first reports are not
    kept: the cloud's list starts from the devices' status)."""
    state: Json = {"site": site.to_json(), "minute": minute_of(at), "devices": {}, "links": {}}
    house = House(state, seed)
    for spec in devices:
        house.add(spec, at)
    return house.state


# Every kind of device a house may hold: the Insteon and Sensor Hub models and the Power
# Controller.
MODELS: dict[str, DeviceModel] = {**insteon.MODELS, **power.MODELS}


class House:
    """A house's devices driven minute by minute; all state lives in `state` (JSON)."""

    def __init__(
        self, state: Json, seed: int, models: Mapping[str, DeviceModel] | None = None
    ) -> None:
        self.state = state
        self.seed = seed
        self.models = MODELS if models is None else models
        self.site = Site.from_json(state["site"])

    def _model(self, device_id: str) -> tuple[DeviceModel, Json]:
        entry = self.state["devices"][device_id]
        return self.models[entry["spec"]["kind"]], entry["state"]

    def environments(self, first: int, last: int) -> list[Environment]:
        """The world at the end of minutes first..last (inclusive)."""
        if last < first:
            return []
        climate = self.site.climate
        offset = climate.utc_offset_hours * 3600.0
        times = np.arange(first, last + 1, dtype=np.float64) * MINUTE
        weather = weather_series(climate, self.seed, times)
        result = []
        for i, minute in enumerate(range(first, last + 1)):
            at = minute * MINUTE
            local = at + offset
            day, second = divmod(local, 86_400.0)
            local_minute = int(second // MINUTE)
            result.append(
                Environment(
                    at=float(at),
                    outdoor_c=float(weather.temperature_c[i]),
                    outdoor_humidity=float(weather.humidity[i]),
                    light_lux=float(weather.light_lux[i]),
                    local_minute=local_minute,
                    weekday=(int(day) + 3) % 7,
                    occupied=occupied(self.site, self.seed, int(day), local_minute),
                )
            )
        return result

    def environment(self, at: float) -> Environment:
        """The world at the end of the minute holding `at` (weather at that instant)."""
        return self.environments(minute_of(at), minute_of(at))[0]

    def step(self, from_minute: int, until_minute: int) -> list[Report]:
        """Advance minutes from_minute+1..until_minute; the reports sent, in time order."""
        return [report for reports in self.minutes(from_minute, until_minute) for report in reports]

    def minutes(self, from_minute: int, until_minute: int) -> Iterator[list[Report]]:
        """Advance minutes from_minute+1..until_minute one at a time, yielding each minute's
        reports in time order (the weather computed a week at a time): a caller may act on
        the house between minutes (an action commanding a device) and the next minute sees it."""
        entries = [
            (self.models[entry["spec"]["kind"]], entry["state"])
            for entry in self.state["devices"].values()
        ]
        first = from_minute + 1
        while first <= until_minute:
            last = min(until_minute, first + _CHUNK_MINUTES - 1)
            for minute, env in enumerate(self.environments(first, last), start=first):
                minute_reports: list[Report] = []
                for model, state in entries:
                    minute_reports += model.step(state, env, self.seed)
                minute_reports.sort(key=lambda report: report.at)
                self.state["minute"] = max(self.state["minute"], minute)
                yield minute_reports
            first = last + 1
        self.state["minute"] = max(self.state["minute"], until_minute)

    def add(self, spec: DeviceSpec, at: float) -> list[Report]:
        """A device joins the cloud at `at` (also leaving the hub's pending links): its first
        report, its status."""
        if spec.kind not in self.models:
            raise ValueError(f"unknown device kind {spec.kind!r}")
        model = self.models[spec.kind]
        device_state = model.initial(spec.to_json(), self.seed, at)
        self.state["devices"][spec.id] = {"spec": spec.to_json(), "state": device_state}
        self._unlink(spec.id)
        try:
            return list(model.refresh(device_state, at, self.seed).reports)
        except DeviceOffline:  # not on line yet (a Power Controller initialising)
            return []

    def remove(self, device_id: str) -> None:
        """A device leaves the cloud and its hub (chosen: a reload does not bring it back)."""
        self.state["devices"].pop(device_id, None)
        self._unlink(device_id)

    def _unlink(self, device_id: str) -> None:
        for gateway, specs in self.state["links"].items():
            self.state["links"][gateway] = [s for s in specs if s["id"] != device_id]

    def link(self, gateway: str, spec: DeviceSpec) -> None:
        """A device linked to hub `gateway` on the twin side: the hub knows it, the cloud's
        list does not until the gateway reloads (the caller then `add`s it)."""
        self._unlink(spec.id)
        self.state["links"].setdefault(gateway, []).append(spec.to_json())

    def linked(self, gateway: str) -> list[DeviceSpec]:
        """What hub `gateway` knows: its devices in the cloud, then those linked since."""
        known = [
            DeviceSpec.from_json(entry["spec"])
            for entry in self.state["devices"].values()
            if entry["spec"]["gateway"] == gateway
        ]
        return known + [DeviceSpec.from_json(s) for s in self.state["links"].get(gateway, [])]

    def call(self, device_id: str, op: str, body: Json, at: float, asynchronous: bool) -> Outcome:
        """`op` "command" (body: the command object), "configure" (body: the PUT body) or
        "refresh"; raises CommandRejected or DeviceOffline as the model does."""
        model, state = self._model(device_id)
        if op == "command":
            return model.command(state, body, at, self.seed, asynchronous)
        if op == "configure":
            return model.configure(state, body, at, self.seed, asynchronous)
        if op == "refresh":
            return model.refresh(state, at, self.seed, asynchronous)
        raise ValueError(f"unknown operation {op!r}")

    def set_online(self, device_id: str, online: bool, at: float) -> list[Report]:
        """Take a device off line or back; what it reports on coming back."""
        model, state = self._model(device_id)
        return model.set_online(state, online, at, self.seed)

    def kind(self, device_id: str) -> str:
        """The device's kind."""
        return str(self.state["devices"][device_id]["spec"]["kind"])

    def spec(self, device_id: str) -> DeviceSpec:
        """The device's spec."""
        return DeviceSpec.from_json(self.state["devices"][device_id]["spec"])

    def type_object(self, device_id: str) -> Json:
        """The device's `type` object."""
        model, state = self._model(device_id)
        return model.type_object(state)

    def info(self, device_id: str, at: float) -> Json:
        """The device's `info` (configuration)."""
        model, state = self._model(device_id)
        return model.info(state, at)

    def status(self, device_id: str, at: float) -> tuple[str, Json]:
        """The device's state name and status info at `at`."""
        model, state = self._model(device_id)
        return model.status(state, at)


def _insteon_address() -> str:
    return secrets.token_hex(3).upper()


def demo_devices(gateway: str) -> list[DeviceSpec]:
    """The demo Insteon house on hub `gateway`: lights, a plug-in module, the thermostat and
    Insteon sensors (random ids and addresses)."""
    rows: list[tuple[str, str, Json]] = [
        ("switch", "Kitchen Lights", {}),
        ("switch", "Porch Light", {}),
        ("outlet", "Coffee Maker", {}),
        ("dimmer", "Hall Dimmer", {}),
        ("dimmer", "Master Bedroom", {}),
        ("thermostat", "Living Room Thermostat", {"mode": "auto"}),
        ("motion", "Hallway Motion", {}),
        ("door", "Front Door", {}),
        ("door", "Garage Door", {"rate": 0.004}),
        ("leak", "Basement Leak", {}),
        ("leak", "Water Heater Leak", {}),
    ]
    return [
        DeviceSpec(ids.short_id(), kind, _insteon_address(), name, gateway, options)
        for kind, name, options in rows
    ]


def demo_sensor_hub(hub_particle_id: str) -> list[DeviceSpec]:
    """The demo Sensor Hub's sensors (addresses `<hub_particle_id>:sensor:NN`, no gateway)."""
    rows: list[tuple[str, str, Json]] = [
        ("temperature", "Outdoor Temperature", {"indoor": False}),
        ("temp_humidity", "Office Climate", {}),
        ("flow", "Main Water", {}),
        ("current", "Refrigerator", {}),
        ("photocell", "Daylight", {}),
        ("door", "Shed Door", {"rate": 0.002}),
        ("leak", "Sump Leak", {}),
    ]
    return [
        DeviceSpec(ids.short_id(), kind, f"{hub_particle_id}:sensor:{i:02d}", name, None, options)
        for i, (kind, name, options) in enumerate(rows)
    ]


__all__ = [
    "DeviceSpec",
    "House",
    "Site",
    "demo_devices",
    "demo_sensor_hub",
    "minute_of",
    "new_house",
    "occupied",
]
