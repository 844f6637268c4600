"""Which inputs drove a prediction, with Captum's classes and call shapes (``IntegratedGradients``,
``Saliency``, ``InputXGradient``, ``NoiseTunnel``, ``Occlusion``, ``LayerIntegratedGradients``),
``image_maps`` for display, and which weights drove a batch's loss (``weight_contributions``,
``loss_change_allocation``). See docs/inspect.md."""
from .base import Attribution, GradientAttribution  # noqa: F401
from .gradients import InputXGradient, Saliency  # noqa: F401
from .integrated_gradients import IntegratedGradients, LayerIntegratedGradients  # noqa: F401
from .noise_tunnel import NT_TYPES, NoiseTunnel  # noqa: F401
from .occlusion import Occlusion  # noqa: F401
from .image_maps import MAP_METHODS, image_maps, normalize_map  # noqa: F401
from .quadrature import METHODS  # noqa: F401
from .weights import (LayerContribution, LossChangeAllocation, ParameterContribution, WeightContributions,  # noqa: F401
                      loss_change_allocation, weight_contributions)

__all__ = ["Attribution", "GradientAttribution", "IntegratedGradients", "LayerIntegratedGradients", "Saliency",
           "InputXGradient", "NoiseTunnel", "Occlusion", "NT_TYPES", "METHODS",
           "image_maps", "normalize_map", "MAP_METHODS", "weight_contributions", "WeightContributions",
           "ParameterContribution", "LayerContribution", "loss_change_allocation", "LossChangeAllocation"]
