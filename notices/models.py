"""Buyers, notices, their versions, lots, deadlines and contacts; and the inputs that were rejected.

Only ``notices.store`` writes these (the admin shows them read-only). Instants are stored in UTC.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from notices.records import RawPayload
from notices.vocab import CLOSING_KINDS, DEADLINE_KINDS


class Buyer(models.Model):
    """A contracting organisation. One row per real organisation across sources: identifiers decide."""

    name = models.CharField(max_length=500)
    name_key = models.CharField(max_length=500, db_index=True, editable=False, help_text="Casefolded name")
    names = models.JSONField(default=dict, blank=True, help_text="Name per language (ISO 639-1).")
    name_sources = models.JSONField(
        default=dict,
        blank=True,
        help_text='Where the name ("") and each language\'s name came from: eforms, officer, ocds or fi-web. '
        "A source never renames a buyer known from a more authoritative one (notices.store).",
    )
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def primary_identifier(self) -> BuyerIdentifier | None:
        ids = sorted(self.identifiers.all(), key=lambda i: (i.valid is not True, i.scheme is None, i.pk))
        return ids[0] if ids else None


class BuyerIdentifier(models.Model):
    """An identifier as the buyer's sources wrote it. ``value`` is normalised (0206714-5 for FI02067145)
    where the check passed; a value that fails its check is kept as written with ``valid=False``."""

    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=20, blank=True, help_text="org-id.guide code, e.g. FI-PRO")
    value = models.CharField(max_length=100)
    valid = models.BooleanField(null=True, help_text="Check digit result; empty when there is no check.")
    as_written = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scheme", "value"], name="unique_identifier")]
        # An identifier is looked up as stored and as written (the buyer filter, notices.search).
        indexes = [models.Index(fields=["value"]), models.Index(fields=["as_written"], name="notices_identifier_written")]

    def __str__(self) -> str:
        return f"{self.scheme or '?'}:{self.value}"


class ContactPoint(models.Model):
    """A postal address, e-mail, phone, fax and web address as one notice gave them for its buyer."""

    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="contacts")
    street = models.CharField(max_length=300, blank=True)
    po_box = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=80, blank=True, help_text="As written")
    phone_e164 = models.CharField(max_length=20, blank=True)
    phone_valid = models.BooleanField(null=True)
    fax = models.CharField(max_length=80, blank=True, help_text="As written")
    fax_e164 = models.CharField(max_length=20, blank=True)
    fax_valid = models.BooleanField(null=True)
    url = models.CharField(max_length=500, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the fields, so a repeat is one row")
    source = models.CharField(
        max_length=20, blank=True, help_text="The most authoritative kind of source that gave it (eforms, officer...)"
    )
    origin = models.CharField(max_length=1000, blank=True, help_text="The file or URL it was read from")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["buyer", "fingerprint"], name="unique_contact")]

    def __str__(self) -> str:
        return ", ".join(p for p in (self.email, self.phone, self.city) if p) or f"contact {self.pk}"


class Notice(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        CANCELLED = "cancelled"

    source = models.CharField(max_length=20, help_text="eforms, fi-web, ocds or officer")
    source_id = models.CharField(max_length=500, help_text="The notice's id at its source")
    procedure_id = models.CharField(max_length=200, blank=True, db_index=True)
    notice_type = models.CharField(max_length=50)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    language = models.CharField(max_length=2, blank=True)
    subtype = models.CharField(
        max_length=10, blank=True, help_text="eForms notice subtype: 1-40 EU notices, E1-E6 Finnish national ones"
    )
    procedure_type = models.CharField(max_length=30, blank=True, help_text="eForms BT-105: open, restricted...")
    nuts = models.JSONField(
        default=list, blank=True, help_text="NUTS codes: places of performance, then the buyers' addresses"
    )
    title = models.TextField()
    titles = models.JSONField(default=dict, blank=True)
    descriptions = models.JSONField(default=dict, blank=True)
    cpv = models.JSONField(default=list, blank=True, help_text="Procedure CPV codes")
    all_cpv = models.JSONField(default=list, blank=True, help_text="Procedure and lot CPV codes")
    links = models.JSONField(default=list, blank=True)
    estimated_value = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    source_url = models.CharField(max_length=1000, blank=True)
    warnings = models.JSONField(default=list, blank=True, help_text="What the reader flagged for a person")
    buyers = models.ManyToManyField(Buyer, related_name="notices", blank=True)
    contacts = models.ManyToManyField(ContactPoint, related_name="notices", blank=True)
    current_version = models.ForeignKey(
        "NoticeVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_deadline = models.DateTimeField(
        null=True, blank=True,
        help_text="Next tender or participation deadline: the earliest when stored, moved past passed ones by "
        "runscheduler (notices.store.advance_next_deadlines); the latest once all have passed",
    )
    closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Latest tender or participation deadline: open until then"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="unique_source_notice")]
        indexes = [
            # The lists' order (open: next deadline; closed: closing time). With the id in the index
            # PostgreSQL checks a held filter (notices.postings) along it without reading each row.
            models.Index(fields=["status", "next_deadline"], include=["id"], name="notices_not_status_52d021_idx"),
            models.Index(fields=["status", "closes_at"], include=["id"], name="notices_not_status_35f6bd_idx"),
            models.Index(fields=["published_at"]),
            # The filters of the list (notices.search): a rare value is collected through these.
            models.Index(fields=["subtype"], name="notices_subtype"),
            models.Index(fields=["procedure_type"], name="notices_procedure_type"),
            models.Index(fields=["language"], name="notices_language"),
            models.Index(fields=["estimated_value"], name="notices_estimated_value"),
            # Notices whose next deadline has passed while a later one is ahead (lots closing at different
            # times) and not yet moved past it (notices.store.advance_next_deadlines): the list's "next
            # deadline still ahead" looks them up here, a range of next_deadline up to now.
            models.Index(
                fields=["status", "next_deadline", "closes_at"],
                condition=models.Q(next_deadline__lt=models.F("closes_at")),
                name="notices_partly_closed",
            ),
        ]

    def __str__(self) -> str:
        return self.title[:120]


class NoticeOrigin(models.Model):
    """An address a notice was read from: every http(s) URL a payload of it came from (TED's XML link,
    Hilma's notice endpoint, a buyer's page...), each once, in the order first seen. The same eForms notice
    from TED and from Hilma is one notice with two origins. Written by ``notices.store`` whenever a payload
    of the notice arrives, even one that changes nothing; anything else that learns where a notice is
    published may add one too. Local files are not origins (their paths mean nothing to a reader)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="origins")
    url = models.CharField(max_length=1000)
    first_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notice", "first_seen_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["notice", "url"], name="unique_notice_origin")]

    def __str__(self) -> str:
        return self.url


class NoticeVersion(models.Model):
    """One distinct payload received for a notice: the raw bytes, where and when they came from, what the
    reader understood (``record``) and what it changed compared with the version before (``changes``)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(help_text="1 for the first version received, then 2, 3...")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the record as understood")
    raw_hash = models.CharField(max_length=64, help_text="SHA-256 of the raw bytes")
    raw = models.BinaryField(help_text="The bytes as received, compressed when raw_encoding says so")
    raw_encoding = models.CharField(
        max_length=10, blank=True, default="", help_text="'zlib' when raw is compressed; empty: as received"
    )
    format = models.CharField(max_length=20)
    origin = models.CharField(max_length=1000, help_text="File path or URL")
    source_ref = models.CharField(max_length=500, blank=True, help_text="This payload's own notice id")
    source_version = models.CharField(max_length=50, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    record = models.JSONField()
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["notice", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "number"], name="unique_version_number"),
        ]
        # Not unique per notice: a correction that puts a deadline back makes the notice what an earlier
        # version was, and that is a new version.
        indexes = [models.Index(fields=["source_ref"]), models.Index(fields=["notice", "content_hash"])]

    def __str__(self) -> str:
        return f"{self.notice_id} v{self.number}"

    @property
    def payload(self) -> bytes:
        """The bytes exactly as they were received."""
        return RawPayload(self.raw_hash, bytes(self.raw), self.raw_encoding).data


class Lot(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="lots")
    lot_id = models.CharField(max_length=100)
    title = models.TextField(blank=True)
    titles = models.JSONField(default=dict, blank=True)
    cpv = models.JSONField(default=list, blank=True)
    estimated_value = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["notice", "lot_id"]
        constraints = [models.UniqueConstraint(fields=["notice", "lot_id"], name="unique_lot")]

    def __str__(self) -> str:
        return f"{self.lot_id} {self.title}".strip()


class Deadline(models.Model):
    """A deadline of a notice (``lot`` empty) or of one lot. A deadline that a later version no longer has
    is kept with ``active=False`` so reminders and history can still point at it."""

    Kind = models.TextChoices("Kind", [(k, k) for k in DEADLINE_KINDS])

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deadlines")
    lot = models.CharField(max_length=100, blank=True, help_text="Lot id; empty for the whole procedure")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    needs_review = models.BooleanField(default=False, help_text="Read from ambiguous free text")
    review_reasons = models.JSONField(default=list, blank=True, help_text="Why a person should check it")
    text = models.TextField(blank=True, help_text="The words it was read from")
    sequence = models.PositiveIntegerField(default=0, help_text="Raised each time the instant moves")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["notice", "at"]
        constraints = [models.UniqueConstraint(fields=["notice", "lot", "kind"], name="unique_deadline")]
        indexes = [
            models.Index(fields=["active", "at"]),
            # The closing deadlines in time order with their notice (a deadline range of the list is
            # counted along it without reading a row: notices.search).
            models.Index(
                fields=["at", "notice", "active", "kind"],
                condition=models.Q(active=True, kind__in=CLOSING_KINDS),
                name="notices_closing_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.lot or '-'} {self.at.isoformat()}"

    @classmethod
    def to_review(cls, notice_ids) -> dict[tuple[int, object], list[str]]:
        """The active tender and participation deadlines of these notices that need review, by
        ``(notice id, instant)``: lists, feeds and the API flag a "next deadline" found here. One query,
        which finds no row for most pages."""
        rows = cls.objects.filter(
            notice_id__in=list(notice_ids), active=True, needs_review=True, kind__in=CLOSING_KINDS
        )
        found: dict[tuple[int, object], list[str]] = {}
        for notice_id, at, reasons in rows.values_list("notice_id", "at", "review_reasons"):
            known = found.setdefault((notice_id, at), [])
            known.extend(r for r in reasons or () if r not in known)
        return found


class Rejection(models.Model):
    """Input that could not be stored, kept with the reason so an operator can look and retry."""

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    origin = models.CharField(max_length=1000)
    format = models.CharField(max_length=20, blank=True)
    reason = models.TextField()
    raw = models.BinaryField(blank=True)
    raw_hash = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason[:100]}"


# --- The REST API: cpv index, officers, tokens and drafts (notices/api/, notices/officers.py) ----------


class NoticeCpv(models.Model):
    """One CPV code of a notice (procedure or lot): ``Notice.all_cpv`` as rows, so ``?cpv=4523`` is an
    index range scan. Written by database triggers on notices_notice (migration 0004), never by Python:
    ingest pays no extra round trip and nothing can forget to keep it in sync."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="cpv_rows", db_constraint=False)
    code = models.CharField(max_length=20)

    class Meta:
        indexes = [models.Index(fields=["code", "notice"], name="notices_cpv_code")]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.code}"


class NoticeRegion(models.Model):
    """One NUTS code of a notice (``Notice.nuts``) as a row, so ``?region=FI1B`` is an index range; kept by
    database triggers on notices_notice (migration 0017), like ``NoticeCpv``."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="region_rows", db_constraint=False)
    code = models.CharField(max_length=10)

    class Meta:
        indexes = [models.Index(fields=["code", "notice"], name="notices_region_code")]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.code}"


class CodeLabel(models.Model):
    """A code's name in Finnish, Swedish and English, from the eForms SDK's code labels
    (``translations/code_{fi,sv,en}.xml``, keys ``code|name|LIST.CODE``), loaded by
    ``manage.py load_code_labels``: CPV codes, NUTS regions, procedure types, notice subtypes."""

    list = models.CharField(max_length=40)
    code = models.CharField(max_length=20)
    fi = models.TextField(blank=True)
    sv = models.TextField(blank=True)
    en = models.TextField(blank=True)
    # Lower-cased names in all three languages, for the CPV picker's "names containing these words".
    search = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["list", "code"], name="unique_code_label")]

    def __str__(self) -> str:
        return f"{self.list} {self.code}: {self.en or self.fi}"


class OfficerMembership(models.Model):
    """A user who may draft, publish, correct and cancel notices for a buyer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer_memberships")
    buyer = models.ForeignKey(Buyer, on_delete=models.CASCADE, related_name="officers")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "buyer"], name="unique_officer_membership")]

    def __str__(self) -> str:
        return f"{self.user} → {self.buyer}"


class BuyerRequest(models.Model):
    """A signed-in user asks to act for a buyer (new, from a valid Y-tunnus and a name, or one already
    known). Nothing changes until an operator approves it in the admin: then the buyer exists (written by
    ``notices.store``) and the user is its officer. See ``notices.officers.request_buyer``."""

    class State(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="buyer_requests")
    business_id = models.CharField(max_length=20, help_text="Y-tunnus, checked and normalised (0206714-5)")
    name = models.CharField(max_length=500)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    buyer = models.ForeignKey(
        Buyer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The buyer that has the business ID (once it exists)",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} asks for {self.name} ({self.business_id})"


class ApiToken(models.Model):
    """A user's API token. Only the SHA-256 of the secret is kept; the secret is shown once, when made.
    ``prefix`` (the secret's first characters) tells tokens apart in the admin without revealing them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What it is for, e.g. 'procurement system'")
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user}{', ' + self.name if self.name else ''})"


class Draft(models.Model):
    """An officer's notice: a draft until published, then the officer's copy of what was published.

    A draft is not a ``Notice``: nothing public (lists, pages, feeds, PDFs, subscriptions) can see it.
    Publishing writes a Notice through ``notices.store.save`` (source "officer"), and every correction
    writes a new version the same way; ``payload`` always holds what the officer last submitted."""

    class State(models.TextChoices):
        DRAFT = "draft"
        PUBLISHED = "published"
        CANCELLED = "cancelled"

    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="drafts")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    payload = models.JSONField(default=dict, blank=True)
    notice = models.OneToOneField(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="officer_draft"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True, help_text="Why the officer cancelled it; shown to followers")

    class Meta:
        indexes = [models.Index(fields=["buyer", "state"])]

    def __str__(self) -> str:
        return f"draft {self.pk}: {str(self.payload.get('title') or '')[:80]}"


# --- Scheduled sources (notices/polling/, notices/api/sources.py) ---------------------------------------


class Source(models.Model):
    """A place polled on a schedule: a buyer's web page, TED's or Hilma's search API, an OCDS feed, a local
    folder. Operators manage the first six fields in the admin; the rest is the poller's state, written
    only by ``notices.polling`` (one conditional UPDATE claims a due source, so several schedulers never
    poll the same source at once), so a restarted scheduler resumes from it."""

    class Kind(models.TextChoices):
        FI_WEB = "fi-web", "Buyer's web page (Finnish notices among news)"
        TED = "ted", "TED search API v3"
        HILMA = "hilma", "Hilma API (eForms)"
        OCDS = "ocds", "OCDS feed URL"
        FOLDER = "folder", "Local folder"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    url = models.CharField(
        max_length=1000,
        blank=True,
        help_text="The page or feed URL; the folder's absolute path; for TED and Hilma the API's base URL "
        "(empty: TED_API_URL / HILMA_API_URL)",
    )
    query = models.TextField(
        blank=True,
        help_text="TED: an expert query, {since} is replaced by the watermark date (default: buyer-country = "
        "FIN AND publication-date >= {since}). Hilma: search words, or a JSON object of search parameters "
        "(search, filter...). Others: unused.",
    )
    interval = models.PositiveIntegerField(default=3600, help_text="Seconds between polls")
    enabled = models.BooleanField(default=True)

    # State (the poller's).
    next_poll_at = models.DateTimeField(default=timezone.now, help_text="Due from this instant")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A poll holds the source until then")
    leased_by = models.CharField(max_length=100, blank=True)
    last_run = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed polls in a row")
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    watermark = models.CharField(
        max_length=40, blank=True, help_text="TED: newest publication date seen (YYYYMMDD); Hilma: datePublished"
    )
    cursor = models.JSONField(
        default=dict, blank=True, help_text="Notices already fetched at the watermark; a folder's file stamps"
    )
    notices_seen = models.PositiveIntegerField(
        default=0, help_text="Notices read by the last poll that got new content (a page: the notices on it)"
    )
    peak_seen = models.PositiveIntegerField(default=0, help_text="The most notices one poll has read")
    empty_polls = models.PositiveIntegerField(
        default=0, help_text="TED: finished polls in a row whose query listed no notice"
    )
    skipped = models.JSONField(
        default=dict,
        blank=True,
        help_text="Hilma: search hits not fetched because nothing here reads them, by kind (plan, pre-eForms)",
    )
    broken = models.TextField(blank=True, help_text="What is wrong with the content itself (layout broke)")
    healthy = models.BooleanField(default=True)
    problem = models.TextField(blank=True)
    problem_since = models.DateTimeField(null=True, blank=True)
    problem_notified_at = models.DateTimeField(null=True, blank=True, help_text="Operators were mailed then")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["enabled", "next_poll_at"], name="notices_source_due")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from urllib.parse import urlsplit

        from django.core.exceptions import ValidationError

        url = self.url.strip()
        if self.kind in (self.Kind.FI_WEB, self.Kind.OCDS):
            if urlsplit(url).scheme not in ("http", "https"):
                raise ValidationError({"url": "A page or feed needs an http(s) URL."})
        elif self.kind == self.Kind.FOLDER:
            if not url.startswith("/"):
                raise ValidationError({"url": "A folder needs an absolute path."})
        elif url and urlsplit(url).scheme not in ("http", "https"):
            raise ValidationError({"url": "An API base URL must be http(s), or empty for the default."})
        if self.interval < 60:
            raise ValidationError({"interval": "Poll at most once a minute (60 seconds or more)."})


# --- eForms export and submission (notices/export/) --------------------------------------------------------


def _default_award_criteria() -> list:
    return [{"type": "price", "weight": 100}]


def _default_review_body() -> dict:
    # Finland's review body for public procurement: the Market Court (markkinaoikeus).
    return {
        "name": "Markkinaoikeus",
        "names": {"sv": "Marknadsdomstolen", "en": "Market Court"},
        "company_id": "3006157-6",
        "street": "Radanrakentajantie 5",
        "postal_code": "00520",
        "city": "Helsinki",
        "nuts": "FI1B1",
        "country": "FI",
        "email": "markkinaoikeus@oikeus.fi",
        "phone": "+358 29 564 3300",
        "url": "https://www.oikeus.fi/markkinaoikeus",
    }


class DraftEforms(models.Model):
    """What an eForms notice needs that an officer's draft does not say (one row per draft, made with the
    defaults below the first time it is asked for: ``notices.export.fields.of``). Empty text means "derived"
    (contract nature from the main CPV code, the place of performance from the buyer's NUTS code, the
    submission URL from the first link, the tender languages from the notice language); the form shows the
    value in use either way. ``notice_uuid`` and ``procedure_uuid`` (BT-701, BT-04) are given at the first
    export and never change: the notice keeps its identity at TED and Hilma."""

    draft = models.OneToOneField(Draft, on_delete=models.CASCADE, related_name="eforms", primary_key=True)
    notice_uuid = models.UUIDField(null=True, blank=True, unique=True, help_text="BT-701 of the contract notice")
    procedure_uuid = models.UUIDField(null=True, blank=True, help_text="BT-04, the procedure identifier")
    legal_basis = models.CharField(max_length=20, default="32014L0024", help_text="BT-01 of an EU notice")
    national_legislation = models.CharField(
        max_length=40, default="procurement-legislation", help_text="Hilma FI-11 (or defence-legislation)"
    )
    local_legal_basis = models.CharField(
        max_length=400,
        default="Laki julkisista hankinnoista ja käyttöoikeussopimuksista (1397/2016)",
        help_text="BT-01(f) of a national notice",
    )
    procedure_type = models.CharField(max_length=20, default="open", help_text="BT-105")
    contract_nature = models.CharField(max_length=20, blank=True, help_text="BT-23; empty: from the main CPV")
    buyer_legal_type = models.CharField(max_length=20, default="body-pl", help_text="BT-11")
    buyer_activity = models.CharField(max_length=20, default="gen-pub", help_text="BT-10")
    buyer_nuts = models.CharField(max_length=5, blank=True, help_text="BT-507 (NUTS 3, e.g. FI1C5)")
    performance_nuts = models.CharField(
        max_length=5, blank=True, help_text="BT-5071; empty: the buyer's NUTS code"
    )
    submission_method = models.CharField(max_length=20, default="required", help_text="BT-17")
    submission_url = models.CharField(max_length=500, blank=True, help_text="BT-18; empty: the first link")
    tender_languages = models.JSONField(
        default=list, blank=True, help_text="BT-97, ISO 639-1; empty: the notice language"
    )
    award_criteria = models.JSONField(
        default=_default_award_criteria, blank=True, help_text="BT-539/540/541: [{type, weight, description}]"
    )
    review_body = models.JSONField(default=_default_review_body, blank=True, help_text="OPT-301 review body")
    contract_start = models.DateField(
        null=True, blank=True, help_text="BT-536; empty: the first of a month at least 30 days after closing"
    )
    contract_months = models.PositiveSmallIntegerField(default=12, help_text="BT-36, the contract's duration")
    tender_validity_months = models.PositiveSmallIntegerField(
        default=3, help_text="BT-98, how long a tender must remain valid"
    )
    predicted_value_over_threshold = models.BooleanField(default=True, help_text="Hilma FI-30")
    eu_applicable = models.BooleanField(default=False, help_text="Hilma FI-20")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"eForms fields of draft {self.draft_id}"


class EformsNotice(models.Model):
    """One eForms notice made from an officer's notice: the contract notice itself or a change notice (a
    correction or a cancellation, each with its own BT-701 naming the original), for Hilma (national, E3)
    or TED (EU, subtype 16); the XML exported and, for TED, what became of its submission."""

    class Kind(models.TextChoices):
        NATIONAL = "national"
        EU = "eu"

    class State(models.TextChoices):
        EXPORTED = "exported"  # made; not sent anywhere by us
        SUBMITTED = "submitted"  # TED accepted it for publication
        VALIDATION_FAILED = "validation-failed"  # TED's validation refused it; see report
        PUBLISHED = "published"  # TED published it (publication_number)
        STOPPED = "stopped"  # publication stopped before it happened
        NOT_PUBLISHED = "not-published"
        ERROR = "error"  # TED could not be reached or answered with an error; see last_error

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="eforms_notices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    notice_uuid = models.UUIDField(help_text="BT-701 of this XML")
    version_id = models.CharField(max_length=2, default="01", help_text="BT-757")
    based_on = models.PositiveIntegerField(
        default=0, help_text="The public notice's version it was made from (0: an unpublished draft)"
    )
    change_reason = models.CharField(max_length=20, blank=True, help_text="BT-140: empty, update-add or cancel")
    changes = models.CharField(max_length=40, blank=True, help_text="BT-758: <uuid>-<version> it changes")
    xml = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=20, choices=State.choices, default=State.EXPORTED)
    state_changed_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    report_url = models.CharField(max_length=1000, blank=True)
    report = models.JSONField(default=list, blank=True, help_text="The failed rules, as findings")
    publication_number = models.CharField(max_length=40, blank=True)
    publication_date = models.DateField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["draft", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "notice_uuid", "version_id"], name="unique_eforms_notice"),
        ]
        indexes = [models.Index(fields=["notice_uuid"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.notice_uuid}-{self.version_id} ({self.state})"


class RuleCheck(models.Model):
    """One eForms notice to be checked by the publishers' rules, asked for by a web request or the API and
    answered by the one process that holds the rules compiled (``notices.export.checks``): the database
    is the queue, so no web worker ever compiles the rules."""

    class State(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"  # the rules could not be run on it; see error

    kind = models.CharField(max_length=10, help_text="national or eu")
    xml = models.BinaryField()
    context = models.JSONField(default=dict, blank=True, help_text="The officer's content, to map findings")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    findings = models.JSONField(default=list, blank=True, help_text="Each failed rule (Finding.as_json())")
    seconds = models.JSONField(default=dict, blank=True, help_text="What the schema and the rules took")
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"rule check {self.pk} ({self.kind}, {self.state})"


class RuleValidator(models.Model):
    """A process that answers ``RuleCheck``s (``runscheduler`` or ``manage.py eforms_validator``): when it
    started, when its rules were compiled (null while it compiles them) and when it was last seen."""

    name = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(default=timezone.now)
    rules = models.JSONField(default=dict, blank=True, help_text="Rule set -> hash of the rules compiled")
    error = models.TextField(blank=True, help_text="Why the rules could not be compiled")

    def __str__(self) -> str:
        return self.name
