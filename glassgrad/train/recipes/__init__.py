"""Application recipes on real data, each one ``glassgrad train`` command away: L_TEXT (SMS spam),
L_SPEECH (spoken digits), L_REGRESSION (diabetes). Each module has DATASET, MODEL, DEFAULTS and
``train(data_dir, epochs, lr, batch_size, seed, verbose) -> (model, optimizer, result)``."""
from . import regression, speech, text

__all__ = ["RECIPES", "recipe_for"]

RECIPES = {m.DATASET: m for m in (text, speech, regression)}
_IDS = {"L_TEXT": text, "L_SPEECH": speech, "L_REGRESSION": regression}


def recipe_for(name):
    """The recipe module for a dataset name or recipe id (as a checkpoint records it)."""
    module = RECIPES.get(name) or _IDS.get(name)
    if module is None:
        raise ValueError(f"unknown recipe {name!r}; known: {', '.join(sorted(RECIPES))}")
    return module
