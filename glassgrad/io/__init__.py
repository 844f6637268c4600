"""glassgrad.io."""
