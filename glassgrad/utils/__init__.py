"""``glassgrad.utils``: helpers outside the core library (``glassgrad.utils.tensorboard``)."""
