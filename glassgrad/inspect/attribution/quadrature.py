"""The rules that approximate integrated gradients' path integral ∫₀¹ ∂f(b + α(x − b))/∂x dα as
Σₖ wₖ ∂f(b + αₖ(x − b))/∂x: Captum's ``method`` names, points ``αₖ`` and weights ``wₖ`` (computed in
float64; Captum rounds them to float32)."""
import numpy as np

__all__ = ["METHODS", "points_and_weights"]

METHODS = ("gausslegendre", "riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid")


def points_and_weights(method, n_steps, who="IntegratedGradients.attribute"):
    """``(alphas, weights)``, two lists of ``n_steps`` floats, for one of ``METHODS``."""
    if method not in METHODS:
        raise ValueError(f"{who}: method must be one of {', '.join(METHODS)}, got {method!r}")
    least = 1 if method == "gausslegendre" else 2
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < least:
        raise ValueError(f"{who}: n_steps must be an int >= {least} for method {method!r}, got {n_steps!r}")
    n = int(n_steps)
    if method == "gausslegendre":
        x, w = np.polynomial.legendre.leggauss(n)  # on [-1, 1]: map to [0, 1]
        return (0.5 * (1.0 + x)).tolist(), (0.5 * w).tolist()
    weights = [1.0 / n] * n
    k = np.arange(n, dtype=np.float64)
    if method == "riemann_left":
        alphas = k / n
    elif method == "riemann_right":
        alphas = (k + 1) / n
    elif method == "riemann_middle":
        alphas = (k + 0.5) / n
    else:
        # Captum's trapezoid: n evenly spaced points from 0 to 1 with weights 1/n, the two ends halved
        # (they sum to (n - 1)/n, not 1); kept as Captum has it so that results agree.
        alphas = np.linspace(0.0, 1.0, n)
        weights[0] /= 2
        weights[-1] /= 2
    return alphas.tolist(), weights
