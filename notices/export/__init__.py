"""Officers' notices leave as eForms: export, validation by the publishers' rules, submission to TED.

* ``build``: pure; an officer's content, the buyer and the eForms fields -> eForms XML bytes (a Finnish
  national E3 notice for Hilma, an EU subtype-16 notice for TED, or a change notice for a correction or a
  cancellation).
* ``fields``: the eForms fields a draft lacks (``DraftEforms``): their defaults, the values in use, their
  checks, and which form field each eForms field (BT-...) and each rule finding belongs to.
* ``validate``: XML Schema (lxml) and Schematron (SchXslt2 + Saxon-HE) by the SDK's and Hilma's own files,
  the rules transpiled once into a cache; findings mapped back to the officer's fields, in fi/sv/en.
* ``service``: the database side: ids given at first export, ``EformsNotice`` rows, check and submit.
* ``checks``: where the rules run: pages and the API ask the one long-lived process that holds them
  compiled (the scheduler's job or ``manage.py eforms_validator``) through the database; a web request
  never compiles them.
* ``jobs``: the clock's jobs (the validator; asking TED about submitted notices), registered with
  ``notices.clock`` at start (``notices.apps``), their work imported only when they run.
* ``ted``: TED's eSender API (submit, validate, the validation report, the notice's state).

Pages (``notices/web/export.py``) and the API (``notices/api/eforms.py``) call ``service``'s functions with
``checks.ask`` as the rules. TED's and Hilma's published copies of an exported notice attach to the
officer's notice in ``notices.store`` (one notice, two origins).
"""
