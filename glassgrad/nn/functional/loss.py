"""nn.functional: loss ops."""
__all__ = []
