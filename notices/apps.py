from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Notices"

    def ready(self):
        # Registers the polling job with notices.clock, which the scheduler's clock runs.
        from notices import polling  # noqa: F401

        # SQLite connections get the search's probe function (notices.search.text_match).
        from django.db.backends.signals import connection_created

        from notices import search

        connection_created.connect(search.register_sqlite_functions, dispatch_uid="notices_sqlite_functions")
