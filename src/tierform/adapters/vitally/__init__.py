"""The Vitally adapter (``platform: vitally``): see :mod:`tierform.adapters.vitally.adapter`.

Modules: ``settings`` (the target's settings), ``auth`` (Basic auth from either key form),
``client`` (Vitally's endpoints over the SDK's HTTP client), ``mapping`` (neutral objects <->
Vitally JSON), ``reader`` / ``writer`` (read and apply), ``buildsheet`` (steps in Vitally's
vocabulary for what only its UI can create).
"""
