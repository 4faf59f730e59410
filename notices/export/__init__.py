"""Officers' notices leave as eForms: export, validation by the publishers' rules, submission to TED.

* ``build``: pure; an officer's content, the buyer and the eForms fields -> eForms XML bytes (a Finnish
  national E3 notice for Hilma, an EU subtype-16 notice for TED, or a change notice for a correction or a
  cancellation).
* ``fields``: the eForms fields a draft lacks (``DraftEforms``): their defaults, the values in use, their
  checks, and which form field each eForms field (BT-...) and each rule finding belongs to.
* ``validate``: XML Schema (lxml) and Schematron (SchXslt2 + Saxon-HE) by the SDK's and Hilma's own files,
  the rules transpiled once into a cache; findings mapped back to the officer's fields, in fi/sv/en.
* ``service``: the database side: ids given at first export, ``EformsNotice`` rows, check and submit.
* ``ted``: TED's eSender API (submit, validate, the validation report, the notice's state).

Nothing here is imported by the delivery layer's modules at import time of Django apps; pages and the API
call ``service``'s functions.
"""
