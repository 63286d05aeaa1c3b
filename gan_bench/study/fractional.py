"""Two-level fractional factorial designs from the standard generator tables.

The generators are the minimum-aberration designs tabulated in Montgomery, *Design and
Analysis of Experiments* (Table 8.14); pyDOE3 builds the design matrix from them and derives
the alias structure, which every fractional study writes next to its results.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

# factors -> [(resolution, generator string)], fewest runs first
GENERATORS: dict[int, list[tuple[int, str]]] = {
    3: [(3, "a b ab")],
    4: [(4, "a b c abc")],
    5: [(3, "a b c ab ac"), (5, "a b c d abcd")],
    6: [(3, "a b c ab ac bc"), (4, "a b c d abc bcd"), (6, "a b c d e abcde")],
    7: [
        (3, "a b c ab ac bc abc"),
        (4, "a b c d abc bcd acd"),
        (4, "a b c d e abcd abde"),
        (7, "a b c d e f abcdef"),
    ],
    8: [
        (4, "a b c d bcd acd abc abd"),
        (4, "a b c d e abc abd bcde"),
        (5, "a b c d e f abcd abef"),
    ],
    9: [
        (3, "a b c d abc bcd acd abd abcd"),
        (4, "a b c d e bcde acde abde abce"),
        (4, "a b c d e f abcd acef cdef"),
        (6, "a b c d e f g acdfg bcefg"),
    ],
}
ROMAN = {3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII"}


@dataclass(frozen=True)
class FractionalDesign:
    """Rows of -1/+1 per factor, the design's resolution and its alias structure."""

    matrix: np.ndarray  # runs x factors, entries -1 (first level) / +1 (second level)
    resolution: int
    generators: str
    aliases: list[str]  # e.g. "g_output = latent x d_downsample x ..."


def choose_generators(factors: int, resolution: int) -> tuple[int, str]:
    """The smallest tabulated design with at least the asked resolution; ValueError if none."""
    for found, generators in GENERATORS.get(factors, []):
        if found >= resolution:
            return found, generators
    if factors not in GENERATORS:
        raise ValueError(
            f"fractional designs are tabulated for 3 to 9 two-level factors, not {factors}"
        )
    raise ValueError(
        f"no fractional design of resolution {ROMAN.get(resolution, resolution)} or higher "
        f"for {factors} factors is smaller than the full factorial ({2**factors} cells); "
        "use design: full_factorial"
    )


def _named(word: str, names: list[str]) -> str:
    return " x ".join(names[string.ascii_lowercase.index(letter)] for letter in word)


def fractional_design(names: list[str], resolution: int) -> FractionalDesign:
    from pyDOE3 import fracfact, fracfact_aliasing  # slow to import; only fractions need it

    found, generators = choose_generators(len(names), resolution)
    matrix = fracfact(generators).astype(int)
    alias_map, _ = fracfact_aliasing(matrix)
    aliases = [
        " = ".join(_named(word, names) for word in group.split(" = ")) for group in alias_map
    ]
    return FractionalDesign(matrix, found, generators, aliases)
