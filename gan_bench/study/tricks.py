"""The trick registry: the one place that names every trick, its levels and its claim.

Each trick is a field of `TrickSettings`, the typed settings of one run: the field's entry
(a `Trick`, gan_bench/study/trick_spec.py) holds its levels, default and claim, and its
value is the run's level. Everything else (study validation, cell ids, model families,
trainer, claim-vs-evidence tables) reads this module, so adding a trick is one field here
plus the code where it acts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gan_bench.study.trick_spec import DynamicsClaim, Trick, format_level  # noqa: F401


def _entry(*args: Any, **kwargs: Any) -> Any:
    """A TrickSettings field: its registry entry (`Trick(*args, **kwargs)`), and the entry's
    default as its value."""
    trick = Trick(*args, **kwargs)
    return field(default=trick.default, metadata={"trick": trick})


@dataclass(frozen=True)
class TrickSettings:
    """Every trick's level for one run, typed. Built once from a validated study
    (design.cells) or, on the training and scoring side, from a run's config.json
    (`TrickSettings.of`); `TrickSettings()` is a plain DCGAN, every trick at its default."""

    g_output: str = _entry(
        "g_output",
        "choice",
        "tanh",
        "G",
        "G last layer; data scaled to [-1,1] or [0,1]",
        "tanh beats sigmoid on the generator's output",
        "Keras GAN bag of tricks; DCGAN",
        levels=("tanh", "sigmoid"),
        recommended="tanh",
    )

    latent: str = _entry(
        "latent",
        "choice",
        "normal",
        "G",
        "z ~ N(0, I) or U(-1, 1)",
        "Gaussian latents beat uniform ones",
        "Keras GAN bag of tricks; ganhacks",
        levels=("normal", "uniform"),
        recommended="normal",
    )

    d_downsample: str = _entry(
        "d_downsample",
        "choice",
        "strided",
        "D",
        "stride-2 conv vs conv + 2x2 max-pool",
        "max-pooling's sparse gradients hurt D; strided convs beat it",
        "Keras GAN bag of tricks; DCGAN",
        levels=("strided", "maxpool"),
        recommended="strided",
    )

    g_upsample: str = _entry(
        "g_upsample",
        "choice",
        "transposed",
        "G",
        "stride-2 transposed conv vs nearest-resize + conv",
        "resize-convolution removes checkerboard artifacts",
        "Odena et al. 2016",
        levels=("transposed", "resize"),
        recommended="resize",
    )

    d_activation: str = _entry(
        "d_activation",
        "choice",
        "leaky_relu",
        "D",
        "D hidden activations",
        "ReLU's sparse gradients hurt D; LeakyReLU beats it",
        "Keras GAN bag of tricks; DCGAN",
        levels=("leaky_relu", "relu"),
        recommended="leaky_relu",
    )

    g_activation: str = _entry(
        "g_activation",
        "choice",
        "relu",
        "G",
        "G hidden activations",
        "DCGAN uses ReLU in G, the Keras tricks use LeakyReLU; no direction is claimed",
        "DCGAN; Keras GAN bag of tricks",
        levels=("relu", "leaky_relu"),
        recommended=None,
    )

    kernel_size: int = _entry(
        "kernel_size",
        "choice",
        4,
        "G+D",
        "every stride-2 (transposed) conv and its replacement",
        "a kernel size divisible by the stride avoids checkerboard artifacts",
        "Keras GAN bag of tricks; Odena et al. 2016",
        levels=(4, 3, 5),
        recommended=4,
    )

    d_dropout: float = _entry(
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
    )

    label_noise: float = _entry(
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
    )

    label_flip: float = _entry(
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
    )

    label_smoothing: float = _entry(
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
    )

    soft_labels: float = _entry(
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
    )

    instance_noise: float = _entry(
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
    )

    instance_noise_schedule: str = _entry(
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
    )

    batch_mode: str = _entry(
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
    )

    g_steps: int = _entry(
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
    )

    feature_matching: bool = _entry(
        "feature_matching",
        "bool",
        False,
        "loss",
        "G loss = ||E f(x) - E f(G(z))||^2 on D's penultimate layer",
        "feature matching stops G over-fitting to D",
        "Salimans et al. 2016",
        levels=(False, True),
        recommended=True,
    )

    feature_matching_stats: str = _entry(
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
    )

    infogan: bool = _entry(
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
    )

    null_factor: str = _entry(
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
    )

    @classmethod
    def of(cls, levels: Mapping[str, Any]) -> TrickSettings:
        """Settings from a mapping of trick names to levels (a config's `tricks`); a trick
        the mapping lacks (a run recorded before it existed) keeps its default, which by
        the registry's rule is the old behaviour. Raises ValueError naming a bad key."""
        unknown = sorted(set(levels) - set(TRICKS))
        if unknown:
            raise ValueError(f"tricks.{unknown[0]}: unknown trick")
        for name, level in levels.items():
            reason = TRICKS[name].check(level)
            if reason:
                raise ValueError(f"tricks.{name}: {reason}")
        return cls(**levels)

    def level(self, name: str) -> Any:
        """The level of trick `name` (for code that loops over trick names)."""
        if name not in TRICKS:
            raise KeyError(name)
        return getattr(self, name)

    def with_levels(self, levels: Mapping[str, Any]) -> TrickSettings:
        """These settings with some tricks at other levels (checked as in `of`)."""
        return TrickSettings.of(self.as_dict() | dict(levels))

    def as_dict(self) -> dict[str, Any]:
        """Every trick's level in registry order: what config.json records."""
        return {name: getattr(self, name) for name in TRICK_ORDER}


TRICKS: dict[str, Trick] = {
    item.name: item.metadata["trick"] for item in dataclasses.fields(TrickSettings)
}
TRICK_ORDER: tuple[str, ...] = tuple(TRICKS)
_misnamed = [name for name, trick in TRICKS.items() if trick.name != name]
if _misnamed:  # a field and its entry must name the same trick
    raise RuntimeError(f"TrickSettings fields named unlike their entries: {_misnamed}")

# InfoGAN's codes (the paper's MNIST setup), torch-free: the model families, the trainer
# and the code metrics all read these.
INFOGAN_CATEGORIES = 10
INFOGAN_CONTINUOUS = 2
INFOGAN_CODE_DIM = INFOGAN_CATEGORIES + INFOGAN_CONTINUOUS


def run_tricks(config: Mapping[str, Any]) -> TrickSettings:
    """The typed trick settings of a run's resolved config (config.json's `tricks`)."""
    return TrickSettings.of(config["tricks"])


def defaults() -> dict[str, Any]:
    """Every trick at its registry default: the settings of a plain DCGAN."""
    return {name: trick.default for name, trick in TRICKS.items()}
