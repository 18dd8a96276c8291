"""The ChurnZero adapter (``platform: churnzero``): see :mod:`tierform.adapters.churnzero.adapter`.

Modules: ``settings`` (the target's settings), ``auth`` (REST Basic auth, the push API's app
key), ``odata`` (the REST API's query language and paging), ``client`` (both APIs over the SDK's
HTTP client), ``mapping`` (neutral objects <-> attributes and events), ``users`` (CSM ->
ChurnZero user), ``reader`` / ``writer`` / ``verify`` (read, push, read back), ``ledger`` (events
already sent), ``buildsheet`` (steps in ChurnZero's vocabulary for what only its UI can create).
"""
