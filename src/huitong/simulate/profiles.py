"""Named parameter sets for a simulation run. `demo` is calibrated so the dashboards tell the story the city's
briefing tells; the figures are targets for the generators, not results written anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from huitong.simulate.noise import NoiseRates
from huitong.simulate.public_safety import SafetyTargets


@dataclass(frozen=True)
class Profile:
    name: str
    safety: SafetyTargets
    village_camera_coverage: float
    silent_share: float  # key-industry businesses that send nothing in a given month
    noise: NoiseRates = field(default_factory=NoiseRates)
    other_source_noise: float = 0.5  # counter clerks copy from the ID card reader more often than hotel desks


PROFILES = {
    "demo": Profile(
        name="demo",
        safety=SafetyTargets(
            incident_change=-0.27,
            criminal_change=-0.18,
            public_order_change=-0.33,
            robbery_theft_change=-0.70,
            clearance_rate=0.549,
            sense_of_security=0.9866,
            fugitive_catch_rate=0.65,
            law_enforcement_satisfaction=0.9724,
        ),
        village_camera_coverage=0.90,
        silent_share=0.06,
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown simulation profile {name!r}; known: {', '.join(PROFILES)}") from None
