from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Notices"

    def ready(self):
        # Register the polling job and the eForms export's jobs with notices.clock, which the scheduler's
        # clock runs.
        from notices import polling  # noqa: F401
        from notices.export import jobs  # noqa: F401
