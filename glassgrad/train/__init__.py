"""glassgrad.train."""
