"""What one trick is: its levels or bounds, its default, and the folk claim about it.

The registry itself, every trick as a field of `TrickSettings`, is in
gan_bench/study/tricks.py; this module only defines the shape of an entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["choice", "bool", "float", "int"]
ActsOn = Literal["G", "D", "G+D", "loss", "loop", "data"]
# What a trick's claim predicts: a direction (`recommended` beats the rest, or no direction
# when `recommended` is None), or no effect at all (the A/A null factor: any decided
# difference contradicts it).
ClaimKind = Literal["direction", "no_effect"]


@dataclass(frozen=True)
class DynamicsClaim:
    """A second claim of a trick, about how training behaves rather than the final samples:
    judged on its own metric (a metric registry key, e.g. d_overfit), in the same direction
    as the trick's main claim (`recommended` beats the rest)."""

    metric: str
    claim: str
    source: str


@dataclass(frozen=True)
class Trick:
    """One GAN training trick and the folk claim about it."""

    name: str
    kind: Kind
    default: Any
    acts_on: ActsOn
    where: str
    claim: str
    source: str
    levels: tuple[Any, ...] = ()  # allowed values for choice/bool tricks
    minimum: float | None = None  # numeric tricks: bounds on the value
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    bound_why: str = ""  # why the bounds are where they are (said with a level outside them)
    # The level the claim says is better than `default` (None: the claim names no direction).
    recommended: Any = None
    claim_kind: ClaimKind = "direction"
    # the claim about training dynamics, judged on its own metric (None: the trick has none)
    dynamics: DynamicsClaim | None = None

    @property
    def claims_no_effect(self) -> bool:
        """The claim predicts no difference between any two levels (an A/A check)."""
        return self.claim_kind == "no_effect"

    def check(self, value: Any) -> str | None:
        """Return why `value` is not a valid level of this trick, or None when it is."""
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"must be true or false, got {value!r}"
        if self.kind == "choice":
            if not any(type(value) is type(level) and value == level for level in self.levels):
                allowed = ", ".join(str(level) for level in self.levels)
                return f"level {value!r} is not allowed (allowed: {allowed})"
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number, got {value!r}"
        if self.kind == "int" and not isinstance(value, int):
            return f"must be an integer, got {value!r}"
        if not math.isfinite(value):
            return f"must be finite, got {value!r}"
        return self._check_bounds(value)

    def _check_bounds(self, value: float) -> str | None:
        if self.minimum is not None:
            below = value <= self.minimum if self.exclusive_minimum else value < self.minimum
            if below:
                op = ">" if self.exclusive_minimum else ">="
                return f"must be {op} {self.minimum}, got {value!r}"
        if self.maximum is not None:
            above = value >= self.maximum if self.exclusive_maximum else value > self.maximum
            if above:
                op = "<" if self.exclusive_maximum else "<="
                why = f" ({self.bound_why})" if self.bound_why else ""
                return f"must be {op} {self.maximum}, got {value!r}{why}"
        return None


def format_level(value: Any) -> str:
    """Render a level the same way everywhere (cell ids, tables): true/false, 0.4, 3."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)  # 1.0 stays "1.0" so it reads as a float level
    return str(value)
