"""Operators look at what was ingested here. Notices are written only by notices.store, so the admin
shows them read-only; rejected input can be read and deleted."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from notices import errors, officers, polling
from notices.models import (
    ApiToken,
    Buyer,
    BuyerIdentifier,
    BuyerRequest,
    ContactPoint,
    Deadline,
    Lot,
    Notice,
    NoticeOrigin,
    NoticeVersion,
    OfficerMembership,
    Rejection,
    Source,
)
from notices.tokens import new_secret


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IdentifierInline(ReadOnlyInline):
    model = BuyerIdentifier
    fields = ("scheme", "value", "valid", "as_written")


class ContactInline(ReadOnlyInline):
    model = ContactPoint
    fields = ("street", "po_box", "postal_code", "city", "country", "email", "phone", "fax", "url")


class BuyerAddForm(forms.ModelForm):
    """Add a buyer from a valid Y-tunnus and a name (notices.officers.create_buyer writes it)."""

    business_id = forms.CharField(label="Business ID (Y-tunnus)", max_length=20, help_text="e.g. 0206714-5")

    class Meta:
        model = Buyer
        fields = ["name"]

    def clean(self):
        data = super().clean()
        try:
            ident, name = officers.check_business_id(data.get("business_id"), data.get("name"))
        except errors.Invalid as exc:
            for field in exc.fields:
                self.add_error(field.path[0] if field.path and field.path[0] in self.fields else None, field.message)
            return data
        if (existing := officers.buyer_with(ident)) is not None:
            self.add_error("business_id", f"{existing.name} already has the business ID {ident.id}.")
        data["name"] = name
        return data


@admin.register(Buyer)
class BuyerAdmin(ReadOnlyAdmin):
    """Buyers are written by notices.store; staff add one here from a valid Y-tunnus and a name (the
    officers' page "Add a buyer" does the same). Existing buyers are read-only."""

    list_display = ("name", "country", "identifier_list", "updated_at")
    list_filter = ("country",)
    search_fields = ("name", "identifiers__value", "identifiers__as_written")
    exclude = ("name_key",)
    inlines = [IdentifierInline, ContactInline]

    def has_add_permission(self, request, obj=None):
        return request.user.is_staff and request.user.has_perm("notices.add_buyer")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = BuyerAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["business_id", "name"] if obj is None else super().get_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        buyer = officers.create_buyer(request.user, form.cleaned_data["business_id"], form.cleaned_data["name"])
        obj.pk = buyer.pk
        obj.name = buyer.name
        obj.name_key = buyer.name_key

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.display(description="identifiers")
    def identifier_list(self, obj):
        return ", ".join(str(i) for i in obj.identifiers.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("identifiers")


@admin.register(BuyerIdentifier)
class BuyerIdentifierAdmin(ReadOnlyAdmin):
    list_display = ("value", "scheme", "valid", "as_written", "buyer")
    list_filter = ("scheme", "valid")
    search_fields = ("value", "as_written", "buyer__name")


@admin.register(ContactPoint)
class ContactPointAdmin(ReadOnlyAdmin):
    list_display = ("buyer", "email", "phone", "phone_valid", "fax", "city")
    search_fields = ("buyer__name", "email", "phone")


class LotInline(ReadOnlyInline):
    model = Lot
    fields = ("lot_id", "title", "cpv", "estimated_value")


class DeadlineInline(ReadOnlyInline):
    model = Deadline
    fields = ("kind", "lot", "at", "needs_review", "text", "sequence", "active")


class OriginInline(ReadOnlyInline):
    model = NoticeOrigin
    fields = ("url", "first_seen_at")
    show_change_link = False


class VersionInline(ReadOnlyInline):
    model = NoticeVersion
    fields = ("number", "source_ref", "source_version", "issued_at", "received_at", "origin", "changes")


class FlaggedFilter(admin.SimpleListFilter):
    """Notices the reader or the gate flagged for a person (``warnings`` is a JSON list: Django's
    EmptyFieldListFilter compares it with "" and fails on JSON columns)."""

    title = "warnings"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", "With warnings"), ("no", "Without warnings")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(warnings=[])
        if self.value() == "no":
            return queryset.filter(warnings=[])
        return queryset


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("title_short", "source", "notice_type", "status", "next_deadline", "published_at")
    list_filter = ("source", "status", "notice_type", "language", FlaggedFilter)
    search_fields = ("title", "source_id", "procedure_id", "buyers__name", "buyers__identifiers__value")
    date_hierarchy = "published_at"
    inlines = [DeadlineInline, LotInline, OriginInline, VersionInline]
    exclude = ("current_version",)

    @admin.display(description="title", ordering="title")
    def title_short(self, obj):
        return obj.title[:100]


@admin.register(NoticeVersion)
class NoticeVersionAdmin(ReadOnlyAdmin):
    list_display = ("notice", "number", "format", "source_ref", "issued_at", "received_at")
    list_filter = ("format",)
    search_fields = ("source_ref", "notice__title", "content_hash", "raw_hash")
    exclude = ("raw", "raw_encoding")
    readonly_fields = ("raw_preview",)

    @admin.display(description="raw bytes (first 20,000)")
    def raw_preview(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", _preview(obj.payload))


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    list_display = ("notice", "kind", "lot", "at", "needs_review", "active", "sequence")
    list_filter = ("kind", "needs_review", "active")
    search_fields = ("notice__title", "text")
    date_hierarchy = "at"


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ("notice", "lot_id", "title")
    search_fields = ("notice__title", "title", "lot_id")


@admin.register(Rejection)
class RejectionAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "origin", "format", "reason_short", "size")
    list_filter = ("format",)
    search_fields = ("origin", "reason", "raw_hash")
    exclude = ("raw",)
    readonly_fields = ("raw_preview",)

    @admin.display(description="reason")
    def reason_short(self, obj):
        return obj.reason[:140]

    @admin.display(description="raw bytes (first 20,000)")
    def raw_preview(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", _preview(obj.raw))


def _preview(raw) -> str:
    return bytes(raw[:20000]).decode("utf-8", errors="replace")


# --- API tokens and officers (notices/tokens.py) ----------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Adding a token shows its secret once, in the confirmation message; only its hash is stored.
    Revoke by setting "revoked at"."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    raw_id_fields = ("user",)

    def save_model(self, request, obj, form, change):
        if not change:
            secret = new_secret(obj)
            super().save_model(request, obj, form, change)
            messages.warning(request, f"The new API token is {secret} - copy it now: it is not shown again.")
            return
        super().save_model(request, obj, form, change)


@admin.register(BuyerRequest)
class BuyerRequestAdmin(admin.ModelAdmin):
    """Signed-in users ask to publish for a buyer (the officers' page); approving one adds the buyer (if it
    is new) and the user's officer membership."""

    list_display = ("created_at", "user", "name", "business_id", "known_buyer", "state", "decided_by")
    list_filter = ("state",)
    search_fields = ("user__username", "name", "business_id")
    readonly_fields = ("user", "business_id", "name", "state", "buyer", "created_at", "decided_at", "decided_by")
    actions = ["approve", "reject"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="buyer known", boolean=True)
    def known_buyer(self, obj):
        return obj.buyer_id is not None

    @admin.action(description="Approve: add the buyer if new, and make the user its officer")
    def approve(self, request, queryset):
        self._decide(request, queryset, officers.approve_request, "approved")

    @admin.action(description="Reject")
    def reject(self, request, queryset):
        self._decide(request, queryset, officers.reject_request, "rejected")

    def _decide(self, request, queryset, decide, word):
        done = 0
        for row in queryset:
            try:
                decide(request.user, row.pk)
            except errors.ServiceError as exc:
                messages.warning(request, f"{row}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(request, f"{done} request(s) {word}.")


@admin.register(OfficerMembership)
class OfficerMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "buyer", "created_at")
    search_fields = ("user__username", "buyer__name", "buyer__identifiers__value")
    raw_id_fields = ("user", "buyer")


# --- Scheduled sources (notices/polling/) -----------------------------------------------------------------


class SourceForm(forms.ModelForm):
    """A source's query is checked before it is saved: TED answers a query it cannot match (a date not
    written YYYYMMDD) with no notices rather than an error, so a bad one would go unnoticed."""

    class Meta:
        model = Source
        fields = "__all__"

    def clean(self):
        data = super().clean()
        kind, query = data.get("kind"), data.get("query") or ""
        if kind == Source.Kind.TED:
            problems = polling.check_ted_query(query)
        elif kind == Source.Kind.HILMA:
            problems = polling.check_hilma_query(query)
        else:
            problems = []
        if problems:
            self.add_error("query", problems)
        return data


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Operators add and edit sources; the state is the poller's and shown read-only. A source whose health
    is flagged shows the problem in the list; the actions make a source due now, accept that a page no
    longer carries notices, or forget the state so the next poll starts afresh."""

    list_display = (
        "name", "kind", "enabled", "interval", "health_flag", "problem_short", "last_run", "last_success",
        "notices_seen",
    )  # fmt: skip
    form = SourceForm
    list_filter = ("healthy", "kind", "enabled")
    search_fields = ("name", "url", "query", "problem", "last_error")
    actions = ["poll_now", "accept_yield", "reset_state"]
    readonly_fields = (
        "health_now", "problem_since", "problem_notified_at", "last_run", "last_success", "last_error",
        "failures", "next_poll_at", "lease_until", "leased_by", "etag", "last_modified", "watermark", "cursor",
        "notices_seen", "peak_seen", "broken", "empty_polls", "skipped", "created_at", "updated_at",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("name", "kind", "url", "query", "interval", "enabled")}),
        (
            "Health",
            {"fields": ("health_now", "problem_since", "problem_notified_at", "broken", "empty_polls", "skipped")},
        ),
        (
            "State (written by the poller)",
            {
                "fields": (
                    "last_run", "last_success", "last_error", "failures", "next_poll_at", "lease_until",
                    "leased_by", "etag", "last_modified", "watermark", "cursor", "notices_seen", "peak_seen",
                    "created_at", "updated_at",
                )  # fmt: skip
            },
        ),
    )

    @admin.display(description="healthy", boolean=True)
    def health_flag(self, obj):
        return polling.health(obj)[0]

    @admin.display(description="problem")
    def problem_short(self, obj):
        return polling.health(obj)[1][:140]

    @admin.display(description="health now")
    def health_now(self, obj):
        if obj.pk is None:
            return "-"
        healthy, problem = polling.health(obj)
        return "healthy" if healthy else problem

    @admin.action(description="Poll soon (make due now)")
    def poll_now(self, request, queryset):
        from django.utils import timezone

        count = queryset.update(next_poll_at=timezone.now())
        messages.info(request, f"{count} source(s) due now: the scheduler polls them at its next look.")

    @admin.action(description="Accept what the page yields now (ends its flag)")
    def accept_yield(self, request, queryset):
        for source in queryset:
            cursor = dict(source.cursor)
            if cursor.get("flagged"):  # the item flagged as looking like procurement is not flagged again
                cursor["accepted"] = [*cursor.get("accepted", [])[-200:], cursor.pop("flagged")]
            Source.objects.filter(pk=source.pk).update(peak_seen=source.notices_seen, broken="", cursor=cursor)
            source.refresh_from_db()
            polling.evaluate(source, notify=False)
        messages.info(request, f"{queryset.count()} source(s): what they yield now is the new normal.")

    @admin.action(description="Forget the state (ETag, watermark, cursor): the next poll starts afresh")
    def reset_state(self, request, queryset):
        count = queryset.update(
            etag="", last_modified="", watermark="", cursor={}, peak_seen=0, broken="", empty_polls=0, skipped={}
        )
        messages.info(request, f"{count} source(s) will be read afresh at their next poll.")
