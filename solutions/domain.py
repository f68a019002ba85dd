"""The nine business modules (九大业务模块, DOMAIN.md §6): fixed codes in two layers. Pure data and
rules, no Django import."""

from __future__ import annotations

from dataclasses import dataclass

LAYER_BASIC = "basic"
LAYER_APPLICATION = "application"
SCOPE_INTERNAL = "internal"
SCOPE_EXTERNAL = "external"


@dataclass(frozen=True)
class ModuleSpec:
    code: str
    layer: str
    scope: str  # "" for the basic layer; internal/external for applications


MODULES: tuple[ModuleSpec, ...] = (
    ModuleSpec("transmission", LAYER_BASIC, ""),
    ModuleSpec("terminal_access", LAYER_BASIC, ""),
    ModuleSpec("it_infrastructure", LAYER_BASIC, ""),
    ModuleSpec("finance", LAYER_APPLICATION, SCOPE_INTERNAL),
    ModuleSpec("office", LAYER_APPLICATION, SCOPE_INTERNAL),
    ModuleSpec("hr", LAYER_APPLICATION, SCOPE_INTERNAL),
    ModuleSpec("production", LAYER_APPLICATION, SCOPE_INTERNAL),
    ModuleSpec("customer_mgmt", LAYER_APPLICATION, SCOPE_EXTERNAL),
    ModuleSpec("partner_mgmt", LAYER_APPLICATION, SCOPE_EXTERNAL),
)
MODULE_CODES: tuple[str, ...] = tuple(m.code for m in MODULES)


def is_application_module(code: str) -> bool:
    """Application-layer modules count towards key IT-service penetration (DOMAIN.md §6)."""
    return any(m.code == code and m.layer == LAYER_APPLICATION for m in MODULES)
