"""Compatibility names: the catalogue moved to :mod:`standardland.rules.catalogue`, thresholds and
their layers to :mod:`standardland.rules.thresholds` (the one home of layering). Import from those."""

from .catalogue import CHECKPOINTS, Catalogue, Indicator, catalogue, parse_catalogue  # noqa: F401
from .thresholds import (LAYER_RANK, LAYERS, Context, LayerValue, Threshold,  # noqa: F401
                         applicable_rulesets, effective_thresholds)
