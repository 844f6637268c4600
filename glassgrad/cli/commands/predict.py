"""``glassgrad predict CHECKPOINT file.wav`` / ``--text "..."``: a recipe checkpoint's prediction."""
NAME = "predict"
HELP = "classify a WAV file or a message with a recipe checkpoint (glassgrad predict --help)"
RAW = True


def run_argv(argv):
    """Parse and run (the recipes' own parser)."""
    from ..recipes import main
    return main([NAME] + list(argv))
