from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Notices"

    def ready(self):
        # Registers the polling job with notices.clock, which the scheduler's clock runs.
        from notices import polling  # noqa: F401
