"""nn.init: initializers."""
