"""The trick registry: the one place that names every trick, its levels and its claim.

Everything else (study validation, cell ids, models, trainer, claim-vs-evidence tables)
reads this module, so adding a trick is one entry here plus the code where it acts.
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


_TRICKS: tuple[Trick, ...] = (
    Trick(
        "g_output",
        "choice",
        "tanh",
        "G",
        "G last layer; data scaled to [-1,1] or [0,1]",
        "tanh beats sigmoid on the generator's output",
        "Keras GAN bag of tricks; DCGAN",
        levels=("tanh", "sigmoid"),
        recommended="tanh",
    ),
    Trick(
        "latent",
        "choice",
        "normal",
        "G",
        "z ~ N(0, I) or U(-1, 1)",
        "Gaussian latents beat uniform ones",
        "Keras GAN bag of tricks; ganhacks",
        levels=("normal", "uniform"),
        recommended="normal",
    ),
    Trick(
        "d_downsample",
        "choice",
        "strided",
        "D",
        "stride-2 conv vs conv + 2x2 max-pool",
        "max-pooling's sparse gradients hurt D; strided convs beat it",
        "Keras GAN bag of tricks; DCGAN",
        levels=("strided", "maxpool"),
        recommended="strided",
    ),
    Trick(
        "g_upsample",
        "choice",
        "transposed",
        "G",
        "stride-2 transposed conv vs nearest-resize + conv",
        "resize-convolution removes checkerboard artifacts",
        "Odena et al. 2016",
        levels=("transposed", "resize"),
        recommended="resize",
    ),
    Trick(
        "d_activation",
        "choice",
        "leaky_relu",
        "D",
        "D hidden activations",
        "ReLU's sparse gradients hurt D; LeakyReLU beats it",
        "Keras GAN bag of tricks; DCGAN",
        levels=("leaky_relu", "relu"),
        recommended="leaky_relu",
    ),
    Trick(
        "g_activation",
        "choice",
        "relu",
        "G",
        "G hidden activations",
        "DCGAN uses ReLU in G, the Keras tricks use LeakyReLU; no direction is claimed",
        "DCGAN; Keras GAN bag of tricks",
        levels=("relu", "leaky_relu"),
        recommended=None,
    ),
    Trick(
        "kernel_size",
        "choice",
        4,
        "G+D",
        "every stride-2 (transposed) conv and its replacement",
        "a kernel size divisible by the stride avoids checkerboard artifacts",
        "Keras GAN bag of tricks; Odena et al. 2016",
        levels=(4, 3, 5),
        recommended=4,
    ),
    Trick(
        "d_dropout",
        "float",
        0.0,
        "D",
        "dropout after each D block",
        "dropout in D adds helpful stochasticity",
        "Keras GAN bag of tricks (0.4)",
        minimum=0.0,
        maximum=1.0,
        exclusive_maximum=True,
        recommended=0.4,
    ),
    Trick(
        "label_noise",
        "float",
        0.0,
        "loss",
        "D targets += noise * U(0,1) for fakes, -= for reals",
        "noisy labels make D more robust",
        "Keras GAN bag of tricks (0.05)",
        minimum=0.0,
        maximum=1.0,
        bound_why="targets are clipped to [0, 1 + 2w/3]: past 1 more noise changes nothing",
        recommended=0.05,
    ),
    Trick(
        "label_flip",
        "float",
        0.0,
        "loss",
        "flip each D target with this probability",
        "occasionally flipped labels help",
        "ganhacks",
        minimum=0.0,
        maximum=0.5,
        exclusive_maximum=True,
        recommended=0.05,
    ),
    Trick(
        "label_smoothing",
        "float",
        1.0,
        "loss",
        "one-sided: real target = value",
        "soft (one-sided) real labels help",
        "Salimans et al. 2016",
        minimum=0.5,
        maximum=1.0,
        exclusive_minimum=True,
        recommended=0.9,
        dynamics=DynamicsClaim(
            "d_overfit",
            "soft real labels keep D from overfitting the training reals",
            "Salimans et al. 2016; ganhacks",
        ),
    ),
    Trick(
        "soft_labels",
        "float",
        0.0,
        "loss",
        "two-sided, width w: real target = label_smoothing + U(-w, 2w/3), fake target = "
        "U(0, w), drawn per sample and step (w = 0.3: reals in [0.7, 1.2], fakes in [0, 0.3]); "
        "label_noise and label_flip act after, then targets are clipped to [0, 1 + 2w/3]",
        "two-sided soft labels help (reals in [0.7, 1.2], fakes in [0, 0.3])",
        "ganhacks",
        minimum=0.0,
        maximum=0.5,
        exclusive_maximum=True,
        recommended=0.3,
        dynamics=DynamicsClaim(
            "d_overfit",
            "soft labels keep D from overfitting the training reals",
            "ganhacks",
        ),
    ),
    Trick(
        "instance_noise",
        "float",
        0.0,
        "data",
        "N(0, sigma^2) added to D inputs, real and fake; sigma annealed linearly to 0 or held "
        "constant (instance_noise_schedule)",
        "noise before D gives better samples (it stops D overfitting: its dynamics claim)",
        "Sønderby et al. 2016",
        minimum=0.0,
        maximum=10.0,
        bound_why="5x the [-1, 1] images' range: past it D sees noise alone",
        recommended=0.1,
        dynamics=DynamicsClaim(
            "d_overfit",
            "noise before D stops D overfitting (D cannot learn that noise-free images are real)",
            "Sønderby et al. 2016; Arjovsky & Bottou 2017",
        ),
    ),
    Trick(
        "instance_noise_schedule",
        "choice",
        "linear",
        "data",
        "instance_noise's sigma: annealed linearly to 0, or constant for the whole run (a "
        "Gaussian noise layer in front of D); no effect while instance_noise is 0",
        "annealed noise (Sønderby et al.) and a constant noise layer (folk advice) are both "
        "used; no direction is claimed",
        "Sønderby et al. 2016; folk advice",
        levels=("linear", "constant"),
        recommended=None,
    ),
    Trick(
        "batch_mode",
        "choice",
        "separate",
        "loop",
        "D sees real and fake in separate batches or one concatenated batch",
        "separate real and fake batches help (BatchNorm statistics)",
        "ganhacks",
        levels=("separate", "mixed"),
        recommended="separate",
        dynamics=DynamicsClaim(
            "d_overfit",
            "separate real and fake batches keep D from overfitting",
            "ganhacks",
        ),
    ),
    Trick(
        "g_steps",
        "int",
        1,
        "loop",
        "G updates per D update",
        "extra G steps give better samples (G catches up with D)",
        "folk advice",
        minimum=1,
        maximum=100,
        bound_why="G updates per D update: 100 is 50x the claim's 2 (a run does steps x that)",
        recommended=2,
        dynamics=DynamicsClaim(
            "d_balance",
            "extra G steps bring D nearer its 0.5 equilibrium (D converges faster than G)",
            "folk advice; ganhacks",
        ),
    ),
    Trick(
        "feature_matching",
        "bool",
        False,
        "loss",
        "G loss = ||E f(x) - E f(G(z))||^2 on D's penultimate layer",
        "feature matching stops G over-fitting to D",
        "Salimans et al. 2016",
        levels=(False, True),
        recommended=True,
    ),
    Trick(
        "feature_matching_stats",
        "choice",
        "joint",
        "loss",
        "feature matching's D features of real and fake from one joint pass (BatchNorm over "
        "both) or from separate passes (each batch normalised to the same per-channel mean "
        "and variance); no effect without feature_matching",
        "matching over a joint pass keeps BatchNorm from equalising what is matched; no "
        "direction is claimed (measured: equal FID on digits, README)",
        "Salimans et al. 2016 (feature matching); the BatchNorm interaction: README",
        levels=("joint", "separate"),
        recommended=None,
    ),
    Trick(
        "infogan",
        "bool",
        False,
        "G+D",
        "10-way categorical + 2 continuous codes, Q head on D, MI loss",
        "InfoGAN codes give controllable, disentangled factors: judged by the code metrics "
        "of InfoGAN runs and their traversals; against runs without codes no direction is "
        "claimed",
        "Chen et al. 2016",
        levels=(False, True),
        recommended=None,
    ),
    Trick(
        "null_factor",
        "choice",
        "a",
        "loop",
        "a label: level b only derives the run's random seed from (seed, level)",
        "no effect: a label that changes nothing (an A/A check of the suite's false-positive "
        "rate on your data and budget)",
        "the A/A test of online experimentation",
        levels=("a", "b"),
        recommended=None,
        claim_kind="no_effect",
    ),
)

# InfoGAN's codes and Q head (sizes from the paper's MNIST setup); here, torch-free, so that
# models.py builds them and cost.py counts them from one definition.
INFOGAN_CATEGORIES = 10
INFOGAN_CONTINUOUS = 2
INFOGAN_CODE_DIM = INFOGAN_CATEGORIES + INFOGAN_CONTINUOUS
INFOGAN_Q_HIDDEN = 128

TRICKS: dict[str, Trick] = {trick.name: trick for trick in _TRICKS}
TRICK_ORDER: tuple[str, ...] = tuple(TRICKS)


def defaults() -> dict[str, Any]:
    """Every trick at its registry default: the settings of a plain DCGAN."""
    return {name: trick.default for name, trick in TRICKS.items()}
