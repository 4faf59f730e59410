from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Notices"

    def ready(self):
        # Register the polling job and the eForms export's jobs with notices.clock, which the scheduler's
        # clock runs.
        # SQLite connections get the search's probe function (notices.search.text_match).
        from django.db.backends.signals import connection_created

        from notices import (
            polling,  # noqa: F401
            search,
        )
        from notices.export import jobs  # noqa: F401

        connection_created.connect(search.register_sqlite_functions, dispatch_uid="notices_sqlite_functions")
