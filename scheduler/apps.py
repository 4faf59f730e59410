from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "scheduler"
    verbose_name = "Reminders"

    def ready(self):
        from notices.store import notice_changed
        from scheduler import matching
        from scheduler.planning import on_notice_changed

        # Re-plan reminders inside the store's transaction, whenever a notice changes.
        notice_changed.connect(on_notice_changed, dispatch_uid="scheduler.planning.on_notice_changed")
        # Queue the change for the alerts' matcher (one small row, same transaction).
        notice_changed.connect(matching.on_notice_changed, dispatch_uid="scheduler.matching.on_notice_changed")
