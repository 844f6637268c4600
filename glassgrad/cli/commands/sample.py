"""``glassgrad sample CHECKPOINT --prompt ... --length N``: text from a character language model."""
NAME = "sample"
HELP = "generate text with a language model checkpoint (glassgrad sample --help)"
RAW = True


def run_argv(argv):
    """Parse and run (the recipes' own parser)."""
    from ..recipes import main
    return main([NAME] + list(argv))
