"""Automation rules (recipe step 6): their model section, defaults, evaluation and testing.

* ``spec`` -- the ``rules:`` section; ``defaults`` -- the built-in rules for the model's tiers;
* ``context`` -- the columns a rule reads; ``engine`` -- the due actions of a book
  (:func:`~.engine.run_rules`);
* ``oracle`` -- generated test cases with their independently derived outcome; ``testing`` --
  running a rule's cases (:func:`~.testing.run_rule_tests`);
* ``model_checks`` -- the section's cross-field checks, for :mod:`tierform.core.validation`.

Import from the modules themselves: this package imports nothing.
"""
