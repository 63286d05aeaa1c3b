"""The transfer tables' layout (gan_bench/analysis/transfer_frames.py)."""

from __future__ import annotations
