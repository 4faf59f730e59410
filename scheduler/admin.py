"""Operators watch the queue here: subscriptions, reminders and other outgoing mail, filtered by state.

Read-mostly: rows are written by scheduler.planning and moved by scheduler.dispatch. The only actions
are the ones an operator needs: unsubscribe, and send a failed row again (if its deadline allows).
"""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone

from scheduler import alerts, planning
from scheduler.models import Alert, AlertMail, Message, Reminder, State, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("deadline", "offset", "due_at", "deadline_at", "state", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    ordering = ("due_at",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "email", "notice", "lot", "status", "language", "created_at", "confirmed_at")
    list_filter = ("status", "language")
    search_fields = ("email", "notice__title", "=notice__id")
    date_hierarchy = "created_at"
    raw_id_fields = ("notice", "user")
    readonly_fields = ("client_ip", "created_at")
    inlines = [ReminderInline]
    actions = ["unsubscribe"]

    @admin.action(description="Unsubscribe (cancel their waiting reminders)")
    def unsubscribe(self, request, queryset):
        done = sum(planning.unsubscribe(s) for s in queryset)
        self.message_user(request, f"{done} unsubscribed.", messages.SUCCESS)


class RequeueMixin:
    @admin.action(description="Send again (failed or missed rows whose deadline has not passed)")
    def requeue(self, request, queryset):
        now = timezone.now()
        limit = Q(**{f"{self.model.not_after_field}__isnull": True}) | Q(
            **{f"{self.model.not_after_field}__gt": now}
        )
        done = queryset.filter(limit, state__in=[State.FAILED, State.MISSED]).update(
            state=State.RETRY,
            next_attempt_at=now,
            attempts=0,
            updated_at=now,
            last_error="requeued by an operator",
        )
        self.message_user(request, f"{done} requeued.", messages.SUCCESS)


@admin.register(Reminder)
class ReminderAdmin(RequeueMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "subscription",
        "kind",
        "offset",
        "due_at",
        "deadline_at",
        "state",
        "attempts",
        "sent_at",
    )
    list_filter = ("state", "offset", "deadline__kind")
    search_fields = ("subscription__email", "=subscription__notice__id")
    date_hierarchy = "due_at"
    list_select_related = ("subscription", "deadline")
    raw_id_fields = ("subscription", "deadline")
    actions = ["requeue"]

    @admin.display(description="deadline", ordering="deadline__kind")
    def kind(self, obj):
        return f"{obj.deadline.kind} {obj.deadline.lot}".strip()


@admin.register(Message)
class MessageAdmin(RequeueMixin, ReadOnlyAdmin):
    list_display = ("id", "kind", "subscription", "state", "attempts", "created_at", "sent_at", "expires_at")
    list_filter = ("state", "kind")
    search_fields = ("subscription__email",)
    date_hierarchy = "created_at"
    list_select_related = ("subscription",)
    raw_id_fields = ("subscription",)
    actions = ["requeue"]


# --- alerts ---------------------------------------------------------------------------------------------


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("id", "email", "name", "filters", "frequency", "hour", "status", "language", "created_at")
    list_filter = ("status", "frequency", "language")
    search_fields = ("email", "name")
    date_hierarchy = "created_at"
    raw_id_fields = ("user",)
    readonly_fields = ("client_ip", "created_at", "requirements")
    actions = ["unsubscribe"]

    @admin.action(description="Stop (cancel their waiting mails)")
    def unsubscribe(self, request, queryset):
        done = sum(alerts.unsubscribe(a) for a in queryset)
        self.message_user(request, f"{done} stopped.", messages.SUCCESS)


@admin.register(AlertMail)
class AlertMailAdmin(RequeueMixin, ReadOnlyAdmin):
    list_display = ("id", "kind", "email", "alert", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("email",)
    date_hierarchy = "created_at"
    raw_id_fields = ("alert",)
    actions = ["requeue"]
