"""glassgrad.optim."""
