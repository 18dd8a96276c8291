"""The health score (recipe step 5): its model section, defaults, scoring and validation.

* ``spec`` -- the ``health:`` section of the model; ``defaults`` -- the recipe's default signals,
  weights and bands, and :func:`~.defaults.effective_health` (the section resolved);
* ``normalise`` -- signal values to 0-100; ``score`` -- dimension scores, the weighted score and
  bands (:func:`~.score.score_health`);
* ``churn_validation`` -- the score against churn history (correlation, AUC);
* ``calibrate`` -- fitting weights to churn history; ``write_weights`` -- writing them back into
  the model file with its comments kept;
* ``model_checks`` -- the section's cross-field checks, for :mod:`tierform.core.validation`.

Import from the modules themselves: this package imports nothing, so the model can import
``spec`` without pulling in the scoring engine.
"""
