"""The database side of the eForms export: what pages and the API call.

* ``export(draft, kind)`` -> ``EformsNotice``: the XML of the officer's notice as it stands. Gives the
  draft its UUID notice id (BT-701) and procedure id (BT-04) the first time (kept in ``DraftEforms``,
  never changed after). Which notice it is follows the draft: unpublished or version 1 -> the contract
  notice; a published notice corrected since (version n > 1) -> a change notice with reason ``update-add``;
  a cancelled one -> a change notice with reason ``cancel``. A change notice has its own UUID (one per
  version of the officer's notice, the same for both kinds) and names the contract notice as
  ``<uuid>-01``. Exporting again rewrites an ``exported`` row; a row TED refused (validation failed,
  error) is followed by the next version (BT-757 ``02``...), and one TED accepted is never rewritten.
* ``check(draft, kind, rules=...)`` -> ``validate.Report``: the export's own checks (``fields.problems``),
  the XML Schema and the publisher's Schematron rules, each finding mapped to the officer's field. Stores
  nothing; uses the stored ids, or throwaway ones before the first export. ``rules`` runs the rules: in
  this process by default (commands, tests, the validator); pages and the API pass ``checks.ask``.
* ``submit(draft, user=...)`` -> ``EformsNotice``: an EU notice to TED's eSender API, after a clean
  ``check``; the row's state says what TED did (submitted, validation failed with the report as findings,
  error); ``refresh(row)`` asks TED again (published, with the publication number).
* ``refresh_submitted()``: ``refresh`` every submitted notice (the clock's ``eforms-ted-refresh`` job).
* ``officer_notice_for(notice_id)``: the officer's ``Notice`` an eForms notice id (BT-701) belongs to. (The
  store does the same look-up itself when TED's or Hilma's copy arrives: it may not import this layer.)

Hilma's submission interface is not described anywhere available here: national notices are exported for
the officer to upload in Hilma.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notices.export import build, fields, ted, validate
from notices.models import Draft, DraftEforms, EformsNotice, Notice


class ExportError(Exception):
    """The notice cannot be exported or sent as asked; ``findings`` say why, field by field."""

    def __init__(self, message: str, findings: list[validate.Finding] | None = None):
        super().__init__(message)
        self.message = message
        self.findings = findings or []


# ---------------------------------------------------------------------- what the XML is made of


def buyer_organisation(draft: Draft, content: dict, row: DraftEforms) -> build.Organisation:
    """The buyer as ORG-0001: stored name and Y-tunnus (BT-501), the draft's first contact, gaps filled from
    the buyer's latest stored contact point, and the NUTS code of the eForms fields."""
    buyer = draft.buyer
    identifiers = sorted(buyer.identifiers.all(), key=lambda i: (not (i.scheme == "FI-PRO" and i.valid), i.pk))
    company_id = ""
    if identifiers:
        first = identifiers[0]
        company_id = first.value if first.valid else (first.as_written or first.value)
    contact = dict((content.get("contacts") or [{}])[0] or {})
    stored = buyer.contacts.order_by("-pk").first()
    if stored is not None:
        for key in ("street", "postal_code", "city", "email", "phone", "url"):
            contact.setdefault(key, None)
            contact[key] = contact[key] or getattr(stored, key, "") or ""
    language = content.get("language") or "fi"
    return build.Organisation(
        name=(buyer.names or {}).get(language) or buyer.name,
        company_id=company_id,
        city=contact.get("city") or "",
        street=contact.get("street") or "",
        postal_code=contact.get("postal_code") or "",
        nuts=row.buyer_nuts,
        country=buyer.country or "FI",
        email=contact.get("email") or "",
        phone=contact.get("phone") or "",
        url=contact.get("url") or "",
        names=tuple(sorted((k, v) for k, v in (buyer.names or {}).items() if v and k != language)),
    )


def _which(draft: Draft) -> tuple[int, str]:
    """(the public notice's version it is made from, BT-140 reason or "" for the contract notice)."""
    if draft.notice_id is None:
        return 0, ""
    version = draft.notice.current_version.number if draft.notice.current_version_id else 1
    if draft.state == Draft.State.CANCELLED:
        return version, "cancel"
    return (version, "update-add") if version > 1 else (version, "")


def _procedure_uuid(content: dict) -> uuid.UUID:
    try:
        return uuid.UUID(str(content.get("procedure_id") or ""))
    except ValueError:
        return uuid.uuid4()


def _ids(draft: Draft, row: DraftEforms, *, keep: bool) -> DraftEforms:
    if row.notice_uuid and row.procedure_uuid:
        return row
    row.notice_uuid = row.notice_uuid or uuid.uuid4()
    row.procedure_uuid = row.procedure_uuid or _procedure_uuid(draft.payload or {})
    if keep:
        row.save(update_fields=["notice_uuid", "procedure_uuid"])
    return row


def _notice(draft: Draft, row: DraftEforms, kind: str, *, now: dt.datetime, notice_uuid, reason: str,
            version_id: str = "01", content: dict | None = None) -> build.Notice:
    content = (draft.payload or {}) if content is None else content
    change = build.Change(f"{row.notice_uuid}-01", reason) if reason else None
    return build.Notice(
        kind=kind,
        content=content,
        buyer=buyer_organisation(draft, content, row),
        fields=fields.effective(row, content),
        notice_uuid=str(notice_uuid),
        procedure_uuid=str(row.procedure_uuid),
        issued_at=now,
        version_id=version_id,
        change=change,
    )


# ---------------------------------------------------------------------- export


def export(draft: Draft, kind: str, *, now: dt.datetime | None = None) -> EformsNotice:
    """The eForms notice of ``draft`` as it stands, stored (see the module docstring)."""
    if kind not in build.KINDS:
        raise ExportError(f"unknown kind {kind!r}: national or eu")
    now = now or timezone.now()
    with transaction.atomic():
        row = fields.of(draft)
        row = DraftEforms.objects.select_for_update().get(pk=row.pk)
        row = _ids(draft, row, keep=True)
        based_on, reason = _which(draft)
        if reason:
            sibling = EformsNotice.objects.filter(draft=draft, based_on=based_on, change_reason=reason).first()
            notice_uuid = sibling.notice_uuid if sibling else uuid.uuid4()
        else:
            notice_uuid = row.notice_uuid
        rows = EformsNotice.objects.filter(kind=kind, notice_uuid=notice_uuid).order_by("-version_id")
        latest = rows.first()
        if latest is not None and latest.state in (EformsNotice.State.SUBMITTED, EformsNotice.State.PUBLISHED):
            return latest  # what TED accepted stays as it was sent
        version_id = latest.version_id if latest is not None else "01"
        if latest is not None and latest.state != EformsNotice.State.EXPORTED:
            version_id = f"{int(latest.version_id) + 1:02d}"  # TED refused that one: resubmit as the next
        xml = build.build(_notice(draft, row, kind, now=now, notice_uuid=notice_uuid, reason=reason,
                                  version_id=version_id))
        values = {
            "draft": draft, "based_on": based_on, "change_reason": reason,
            "changes": f"{row.notice_uuid}-01" if reason else "", "xml": xml,
            "sha256": hashlib.sha256(xml).hexdigest(), "created_at": now, "state": EformsNotice.State.EXPORTED,
            "state_changed_at": now,
        }
        notice, _created = EformsNotice.objects.update_or_create(
            kind=kind, notice_uuid=notice_uuid, version_id=version_id, defaults=values
        )
    return notice


def filename(notice: EformsNotice) -> str:
    return f"{notice.kind}-{notice.notice_uuid}-{notice.version_id}.xml"


# ---------------------------------------------------------------------- check


def check(draft: Draft, kind: str, *, now: dt.datetime | None = None, content: dict | None = None,
          rules=None) -> validate.Report:
    """Everything TED's or Hilma's rules would say about the draft's notice now, by field. Stores nothing.

    ``content``: check this instead of the draft's stored content (a correction not yet published).
    ``rules(xml, kind, context=...)`` runs the publishers' rules: ``validate.check`` in this process by
    default; pages and the API pass ``checks.ask``, which asks the process that holds them compiled."""
    if kind not in build.KINDS:
        raise ExportError(f"unknown kind {kind!r}: national or eu")
    now = now or timezone.now()
    rules = rules or validate.check
    row = DraftEforms.objects.filter(draft=draft).first() or fields.of(draft)
    row = _ids(draft, row, keep=False)
    _based_on, reason = _which(draft)
    notice_uuid = uuid.uuid4() if reason else row.notice_uuid
    content = (draft.payload or {}) if content is None else content
    xml = build.build(_notice(draft, row, kind, now=now, notice_uuid=notice_uuid, reason=reason, content=content))
    report = rules(xml, kind, context=content)
    report.findings[:0] = fields.problems(content, row, kind)
    return report


# ---------------------------------------------------------------------- TED


def submit(draft: Draft, *, user=None, now: dt.datetime | None = None, client=None, rules=None) -> EformsNotice:
    """Send the draft's EU notice to TED (after a clean check, ``rules`` as for ``check``); the returned
    row says what TED did."""
    now = now or timezone.now()
    report = check(draft, "eu", now=now, rules=rules)
    if not report.ok:
        raise ExportError("The notice does not pass TED's rules; see the findings.", report.errors)
    notice = export(draft, "eu", now=now)
    if notice.state in (EformsNotice.State.SUBMITTED, EformsNotice.State.PUBLISHED):
        return notice
    client = client or ted.Client()
    author = settings.TED_NOTICE_AUTHOR_EMAIL or (user.email if user is not None and user.email else "") or \
        buyer_organisation(draft, draft.payload or {}, fields.of(draft)).email
    language = (draft.payload or {}).get("language") or "fi"
    try:
        result = client.submit(bytes(notice.xml), author_email=author, author_language=language)
    except ted.TedError as error:
        return _state(notice, EformsNotice.State.ERROR, now, last_error=_describe(error))
    notice.submitted_at = now
    notice.report_url = result.validation_report_url or ""
    if result.success:
        return _state(notice, EformsNotice.State.SUBMITTED, now, last_error="")
    findings: list[dict] = []
    try:
        svrl = client.validation_report(f"{notice.notice_uuid}-{notice.version_id}")
        findings = [f.as_json() for f in validate.read_svrl([svrl], "eu", context=draft.payload)]
    except (ted.TedError, ValueError) as error:
        notice.last_error = f"the validation report could not be read: {_describe(error)}"
    return _state(notice, EformsNotice.State.VALIDATION_FAILED, now, report=findings)


def refresh(notice: EformsNotice, *, now: dt.datetime | None = None, client=None) -> EformsNotice:
    """Ask TED what became of a submitted notice: published (with its number), stopped, not published."""

    now = now or timezone.now()
    client = client or ted.Client()
    try:
        found = client.status(str(notice.notice_uuid), notice.version_id)
    except ted.TedError as error:
        notice.last_error = _describe(error)
        notice.save(update_fields=["last_error"])
        return notice
    if not found:
        return notice
    state = ted.STATES.get(str(found.get("status") or ""), notice.state)
    if found.get("publicationId"):
        notice.publication_number = found["publicationId"]
    if found.get("publicationDate"):
        try:
            notice.publication_date = dt.date.fromisoformat(str(found["publicationDate"])[:10])
        except ValueError:
            pass
    return _state(notice, state, now)


def refresh_submitted(*, now: dt.datetime | None = None, client=None, stopping=lambda: False) -> int:
    """``refresh`` every notice TED has accepted and not yet published (the clock's ``eforms-ted-refresh``
    job); returns how many were asked about."""
    client = client or ted.Client()
    asked = 0
    for notice in EformsNotice.objects.filter(state=EformsNotice.State.SUBMITTED).order_by("state_changed_at"):
        if stopping():
            break
        refresh(notice, now=now, client=client)
        asked += 1
    return asked


def _state(notice: EformsNotice, state: str, now: dt.datetime, **changes) -> EformsNotice:
    for name, value in changes.items():
        setattr(notice, name, value)
    if notice.state != state:
        notice.state = state
        notice.state_changed_at = now
    notice.save()
    return notice


def _describe(error) -> str:
    status = getattr(error, "status", None)
    return f"{status}: {error}" if status else str(error)


# ---------------------------------------------------------------------- what the officer sees


def states(draft: Draft) -> list[dict]:
    """Every eForms notice made from this draft, newest first, as the officer's page shows them."""
    return [
        {
            "kind": n.kind,
            "notice_id": f"{n.notice_uuid}-{n.version_id}",
            "change_reason": n.change_reason or None,
            "based_on": n.based_on,
            "state": n.state,
            "state_changed_at": n.state_changed_at,
            "publication_number": n.publication_number or None,
            "publication_date": n.publication_date,
            "report": n.report,
            "error": n.last_error or None,
        }
        for n in draft.eforms_notices.order_by("-created_at", "-pk")
    ]


def officer_notice_for(notice_id: str) -> Notice | None:
    """The officer's public notice that the eForms notice ``notice_id`` (BT-701, or ``<uuid>-<version>``)
    was exported from, or None: TED's published copy attaches there (one notice, two origins)."""
    try:
        key = uuid.UUID(str(notice_id)[:36])
    except ValueError:
        return None
    found = (
        EformsNotice.objects.filter(notice_uuid=key).select_related("draft__notice").first()
    )
    if found is not None:
        return found.draft.notice
    row = DraftEforms.objects.filter(notice_uuid=key).select_related("draft__notice").first()
    return row.draft.notice if row is not None else None
