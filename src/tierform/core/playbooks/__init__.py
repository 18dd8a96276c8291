"""The playbook library (recipe step 4): its model section, the built-in library, coverage.

* ``spec`` -- the ``playbooks:`` section; ``defaults`` -- the built-in library per tier;
* ``library`` -- the library resolved (:func:`~.library.effective_playbooks`) and the
  stage x tier coverage matrix;
* ``model_checks`` -- the section's cross-field checks, for :mod:`tierform.core.validation`.

Import from the modules themselves: this package imports nothing.
"""
