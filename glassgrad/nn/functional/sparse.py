"""nn.functional: sparse ops."""
__all__ = []
