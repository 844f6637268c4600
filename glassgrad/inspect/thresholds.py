"""Every threshold the monitor and the doctor use, in one place, each with the reason for its value.

The doctor must not cry wolf: each threshold was set from the healthy runs of
``python -m glassgrad.bench.doctor_accuracy`` (MLPs and CNNs, with and without dropout and batch norm, SGD and
Adam, several seeds), far enough from what those runs show that none of them raises an error or a
warning, and close enough that each pathology built on purpose in the tests is still found.
Change one here and rerun that script (it prints found/missed per pathology and the false alarms).
"""

# ---- what the monitor measures ------------------------------------------------------------------

#: Histogram bins for weights, gradients and activations. 30 bins show a distribution's shape
#: (TensorBoard's default is similar) while a run's .npz stays small.
HIST_BINS = 30

#: Histograms and unit statistics read at most this many values of a tensor (an evenly strided
#: subset). A histogram of 4096 values has ~1% error per bin: enough to see a shape, and it keeps
#: the monitor's cost at ``every=10`` within a few percent of a W_MLP step.
HIST_SAMPLE = 4096

#: ``act_signal`` (how much a layer's output varies with the input; the doctor's bad_init reads it) is
#: estimated from at most this many samples and units (evenly strided): a mean over 64 units of stds
#: over 256 samples is within a few percent of the full figure, and bad_init looks for changes of
#: orders of magnitude across depth.
SIGNAL_SAMPLES = 256
SIGNAL_UNITS = 64

#: At most about this many histograms are kept per tensor: past it, every other one is dropped and
#: they are recorded half as often (a 100,000-step run at every=10 keeps ~2 MB of histograms).
HIST_KEEP = 256

#: A ReLU-family unit is *dead* when its output was exactly 0 for every sample of the last
#: ``DEAD_WINDOW`` recorded batches (ReLU's gradient is 0 there, so nothing revives it). One batch is
#: not enough: a unit that fires for 1% of inputs is inactive on many small batches.
DEAD_WINDOW = 5

#: A sigmoid/tanh unit is *saturated* on a sample when its output is within this distance of a limit
#: (sigmoid 0 or 1, tanh -1 or 1): the local slope is then below ~1% of its maximum.
SATURATION_EPS = 0.01

# ---- the doctor ---------------------------------------------------------------------------------

#: dead_units: share of a ReLU layer's units dead over the window. Healthy MLPs/CNNs trained here
#: stay below ~10%; a layer behind a strongly negative bias or a too-high learning rate is > 90%.
DEAD_SHARE_WARNING = 0.5

#: saturated_units: share of a sigmoid/tanh layer's outputs (samples x units) saturated. Healthy tanh/sigmoid layers at
#: default init have < 5%; inputs of scale ~100 or weights ~10x too large give > 80%.
SATURATED_SHARE_WARNING = 0.5

#: exploding_gradients across time: the total gradient norm grows this many times over its value at
#: the first recorded step. Healthy runs stay within ~10x (gradients usually shrink as loss falls).
EXPLODING_TIME_FACTOR = 1e3

#: exploding/vanishing across depth: at the first recorded step, the RMS of the loss's gradient with
#: respect to the first weighted layer's output over that at the last weighted layer's output (the
#: backward signal as it reaches each depth). Healthy MLPs/CNNs at PyTorch's default init stay within
#: ~30x either way; a 10-layer sigmoid MLP is at ~1e-9, an 8-layer ReLU net with weights 3x too large
#: at ~2e3.
DEPTH_GRAD_RATIO = 1e3

#: vanishing_gradients also needs the early layers to *barely move*: update/weight ratio below this.
#: (Adam rescales small gradients into normal-sized updates, so small gradients alone are not a
#: problem there.)
VANISHING_UPDATE_RATIO = 1e-5

#: The update-to-weight ratio ||Δw|| / ||w|| per step, as a median over the recorded steps. Karpathy's
#: rule of thumb is ~1e-3; the healthy runs here have medians of 1e-4..2e-2 (single steps up to 0.09).
#: "Far above" is 5x beyond the highest healthy median; "far below" two orders under the lowest.
UPDATE_RATIO_HIGH = 0.1

#: lr_too_high: the loss diverges (the last recorded losses' median is this many times the first
#: ones') or oscillates (the loss changes sign of slope most steps while its spread exceeds this
#: share of its level), together with a high update ratio.
DIVERGENCE_FACTOR = 2.0

#: lr_too_high also when the loss *spikes* to this many times its first value at any step (and may
#: fall back, e.g. to chance level once the ReLUs died). Healthy runs never exceed their first loss
#: by more than ~1.5x.
LOSS_SPIKE_FACTOR = 10.0
OSCILLATION_SPREAD = 0.5

#: loss_not_decreasing / lr_too_low: relative loss decrease between the first and the last fifth of
#: the run. Healthy runs of >= 30 steps drop far more than 10%; a run whose loss drops by less than
#: this is flat.
FLAT_RELATIVE_DECREASE = 0.02

#: lr_too_low: the loss creeps (drops, but by less than this share) while every layer's update ratio
#: is below UPDATE_RATIO_LOW_CREEP.
CREEP_RELATIVE_DECREASE = 0.1
UPDATE_RATIO_LOW_CREEP = 1e-5

#: The doctor judges the loss curve only from this many recorded steps on (fewer says nothing).
MIN_STEPS_FOR_TRENDS = 20

#: overfitting: the median of the last three validation losses is this share above the minimum,
#: while the training loss fell by at least half that share since the minimum. The validation loss of
#: healthy SGD runs on a few hundred samples swings by 10-15% from one evaluation to the next; 20%,
#: sustained over three evaluations, is beyond that noise.
OVERFIT_RISE = 0.2

#: underfitting: at the end, training accuracy below this (when recorded) and the loss flat over the
#: last third (relative change below UNDERFIT_PLATEAU), with healthy update ratios. Models that can fit
#: their data reach > 0.9 training accuracy on the healthy runs here.
UNDERFIT_ACCURACY = 0.7
UNDERFIT_PLATEAU = 0.05

#: unnormalized_inputs: the RMS of the model's (floating-point) input. Standardized inputs have RMS
#: ~1, images scaled to [0, 1] ~0.3-0.5; raw 0-255 pixels have RMS ~100.
INPUT_RMS_HIGH = 20.0

#: bad_init at step 0: the *signal* (how much a layer's output varies across the batch: mean over
#: units of the std over samples) of the last hidden linear/conv layer against the first one's, and
#: per layer on average. PyTorch's default init shrinks the signal ~2x per Linear+ReLU, so a deep
#: healthy net can reach 1e-2 end to end; a collapse or blow-up is both beyond INIT_DEPTH_RATIO end to
#: end and beyond INIT_LAYER_FACTOR per layer (weights 10x too small give ~25x per layer).
INIT_DEPTH_RATIO = 1e2
INIT_LAYER_FACTOR = 5.0

#: bad_init: a layer's units start identical when the spread of its weight rows (output units) is
#: below this share of the weights' scale (constant init, e.g. ``init.constant_(w, 0.1)``).
IDENTICAL_UNITS_SPREAD = 1e-6
