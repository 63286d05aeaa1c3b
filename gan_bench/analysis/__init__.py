"""Stage 4, analyse: summary.csv, per-cell statistics, the linear model of effects and the
claim-vs-evidence verdicts. Torch-free: the aggregate and report jobs never import torch."""
