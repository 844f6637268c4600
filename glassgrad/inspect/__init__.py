"""glassgrad.inspect."""
