"""glassgrad.data."""
