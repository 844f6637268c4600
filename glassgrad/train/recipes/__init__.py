"""Application recipes on real data, each one ``glassgrad train`` command away: L_TEXT (SMS spam),
L_SPEECH (spoken digits), L_REGRESSION (diabetes), L_CHAR_LSTM and L_CHAR_GPT (tiny Shakespeare).
Each module has RECIPE, DATASET, MODEL, DEFAULTS, ``setup`` (see ``runner.RecipeSetup``) and
``train(data_dir, epochs, lr, batch_size, seed, verbose, out, resume) -> (model, optimizer, result)``."""
from . import char_gpt, char_lstm, regression, speech, text

__all__ = ["RECIPES", "recipe_for"]

RECIPES = {m.RECIPE: m for m in (text, speech, regression, char_lstm, char_gpt)}


def recipe_for(name, model=None):
    """The recipe module for a recipe id (as a checkpoint records it), or for a dataset name and
    optionally a model name (a dataset's first recipe when ``model`` is None)."""
    if name in RECIPES:
        return RECIPES[name]
    found = [m for m in RECIPES.values() if m.DATASET == name]
    if not found:
        raise ValueError(f"unknown recipe {name!r}; known datasets: "
                         f"{', '.join(sorted({m.DATASET for m in RECIPES.values()}))}")
    if model is None:
        return found[0]
    for m in found:
        if m.MODEL == model:
            return m
    raise ValueError(f"--dataset {name} trains the {' or '.join(m.MODEL for m in found)} model, not {model}")
