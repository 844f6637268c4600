"""Application recipes on real data, each one ``glassgrad train`` command away: L_TEXT (SMS spam),
L_SPEECH (spoken digits), L_REGRESSION (diabetes),
L_CHAR_GPT (tiny Shakespeare). Each module has DATASET, MODEL, DEFAULTS and
``train(data_dir, epochs, lr, batch_size, seed, verbose) -> (model, optimizer, result)``."""
from . import char_lm, regression, speech, text

__all__ = ["RECIPES", "recipe_for"]

RECIPES = {m.DATASET: m for m in (text, speech, regression, char_lm)}
_IDS = {"L_TEXT": text, "L_SPEECH": speech, "L_REGRESSION": regression, "L_CHAR_GPT": char_lm}


def recipe_for(name):
    """The recipe module for a dataset name or recipe id (as a checkpoint records it)."""
    module = RECIPES.get(name) or _IDS.get(name)
    if module is None:
        raise ValueError(f"unknown recipe {name!r}; known: {', '.join(sorted(RECIPES))}")
    return module
