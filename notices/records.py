"""What readers produce and the store consumes.

Readers are pure: bytes in, ``NoticeRecord`` out (or an ``IngestError``). These dataclasses carry no
database or Django state, so they can be built, compared and serialised anywhere. ``NoticeRecord.as_json()``
is the public ``ingest --dry-run --json`` contract: change it only by adding keys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from notices.vocab import DEADLINE_KINDS, SOURCES

STATUSES = ("active", "cancelled")


class IngestError(ValueError):
    """Input that cannot become a notice. ``str()`` is a sentence a person understands.

    ``where`` names the file or URL; ``detail`` says what is wrong and where inside it.
    """

    def __init__(self, detail: str, where: str | None = None):
        self.detail = detail
        self.where = where
        super().__init__(f"{where}: {detail}" if where else detail)

    def at(self, where: str) -> IngestError:
        """The same error, naming the file or URL it came from (readers may not know it)."""
        return self if self.where else IngestError(self.detail, where)


@dataclass(frozen=True)
class Identifier:
    """An organisation identifier. ``scheme`` is an org-id.guide code (FI-PRO for a Y-tunnus) or None
    when it could not be inferred; ``id`` is the normalised value when the scheme is known and valid,
    otherwise the value as written; ``valid`` is None when there is no check to run."""

    scheme: str | None
    id: str
    valid: bool | None = None
    as_written: str | None = None

    def as_json(self) -> dict:
        return {"scheme": self.scheme, "id": self.id, "valid": self.valid}


@dataclass(frozen=True)
class Phone:
    as_written: str
    e164: str | None = None
    valid: bool = False

    def as_json(self) -> dict:
        return {"as_written": self.as_written, "e164": self.e164, "valid": self.valid}


@dataclass(frozen=True)
class Address:
    street: str | None = None
    po_box: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2

    def as_json(self) -> dict:
        return {
            "street": self.street,
            "po_box": self.po_box,
            "postal_code": self.postal_code,
            "city": self.city,
            "country": self.country,
        }


@dataclass(frozen=True)
class BuyerRecord:
    name: str
    names: dict[str, str] = field(default_factory=dict)  # language -> name
    identifiers: tuple[Identifier, ...] = ()
    address: Address = Address()
    email: str | None = None
    phone: Phone | None = None
    fax: Phone | None = None
    url: str | None = None

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "identifiers": [i.as_json() for i in self.identifiers],
            "address": self.address.as_json(),
            "email": self.email,
            "phone": self.phone.as_json() if self.phone else None,
            "fax": self.fax.as_json() if self.fax else None,
            "url": self.url,
        }


@dataclass(frozen=True)
class DeadlineRecord:
    kind: str  # one of DEADLINE_KINDS
    at: dt.datetime  # aware
    lot: str | None = None
    needs_review: bool = False
    text: str | None = None  # the words it was read from (free-text sources)
    review_reasons: tuple[str, ...] = ()  # why a person should check it (notices.readers.text's sentences)

    def __post_init__(self):
        if self.kind not in DEADLINE_KINDS:
            raise ValueError(f"unknown deadline kind {self.kind!r}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("deadline instants must be aware")

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "lot": self.lot,
            "at": self.at.isoformat(),
            "needs_review": self.needs_review,
        }


@dataclass(frozen=True)
class LotRecord:
    id: str
    title: str | None = None
    cpv: tuple[str, ...] = ()
    titles: dict[str, str] = field(default_factory=dict)
    estimated_value: Decimal | None = None

    def as_json(self) -> dict:
        return {"id": self.id, "title": self.title, "cpv": list(self.cpv)}


@dataclass(frozen=True)
class NoticeRecord:
    source: str  # one of SOURCES
    source_id: str  # the notice's id at its source (eForms BT-701, OCDS ocid, fi-web item link)
    notice_type: str
    title: str
    language: str  # ISO 639-1 of the main text
    procedure_id: str | None = None
    version: str | None = None
    status: str = "active"
    changes: str | None = None  # the source id of the notice this one changes (eForms BT-758)
    titles: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    buyers: tuple[BuyerRecord, ...] = ()
    deadlines: tuple[DeadlineRecord, ...] = ()
    lots: tuple[LotRecord, ...] = ()
    cpv: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    published_at: dt.datetime | None = None
    estimated_value: Decimal | None = None
    currency: str | None = None
    source_url: str | None = None
    # Classification, added later and never part of the content hash (``NOT_HASHED``): NUTS codes (eForms
    # BT-5071 places of performance, then BT-507 of the buyers' addresses), the eForms notice subtype
    # (16, E3...) and the procedure type (BT-105: open, restricted...). A stored notice read again gets
    # them without becoming a new version (the store refreshes them on an unchanged read).
    nuts: tuple[str, ...] = ()
    subtype: str | None = None
    procedure_type: str | None = None
    # What the reader read around but could not use (an impossible deadline date): stored with the
    # notice and shown to operators; not part of the as_json() contract.
    warnings: tuple[str, ...] = ()
    # Other ids the same notice may already be stored under: what an earlier version of the reader called
    # it (fi-web: the first reader took the page's heading for an unlinked item's). The store finds a
    # notice by them when its source_id is not found. In as_json() only when there are any.
    aliases: tuple[str, ...] = ()

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    def as_json(self) -> dict:
        return {
            "source": self.source,
            "source_id": self.source_id,
            "procedure_id": self.procedure_id,
            "version": self.version,
            "notice_type": self.notice_type,
            "status": self.status,
            "changes": self.changes,
            "title": self.title,
            "titles": dict(self.titles),
            "language": self.language,
            "buyers": [b.as_json() for b in self.buyers],
            "deadlines": [d.as_json() for d in self.deadlines],
            "lots": [lot.as_json() for lot in self.lots],
            "cpv": list(self.cpv),
            "links": list(self.links),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            **({"aliases": list(self.aliases)} if self.aliases else {}),
            "nuts": list(self.nuts),
            "subtype": self.subtype,
            "procedure_type": self.procedure_type,
        }


def canonical_json(value) -> str:
    """``value`` (records, lists, dicts, instants, decimals) as JSON with sorted keys: equal in, equal out."""
    return json.dumps(value, sort_keys=True, default=_plain)


def content_hash(record: NoticeRecord) -> str:
    """SHA-256 of everything the reader understood, so the same notice in other bytes is no new version."""
    return hashlib.sha256(canonical_json(record).encode()).hexdigest()


@dataclass(frozen=True)
class Encoded:
    """What the store derives from a record before writing it, derived where the record was read: in a
    bulk ingest that is a reader process, so the one writer process does not spend its time on it."""

    digest: str  # content_hash(record)
    record_json: str  # record.as_json() as JSON text, stored with the version
    buyer_keys: tuple[str, ...]  # canonical_json of each buyer record, the store's buyer cache keys

    @classmethod
    def of(cls, record: NoticeRecord) -> Encoded:
        return cls(
            digest=content_hash(record),
            record_json=json.dumps(record.as_json()),
            buyer_keys=tuple(canonical_json(b) for b in record.buyers),
        )


@dataclass(frozen=True)
class RawPayload:
    """Received bytes as the store keeps them with a version: their SHA-256 and the bytes themselves,
    zlib-compressed when that makes them smaller (an eForms notice shrinks to about a fifth). Made where
    the payload was read (a reader process in a bulk ingest), so the one writer only stores them."""

    sha256: str
    stored: bytes
    encoding: str = ""  # "" (as received) or "zlib"

    @classmethod
    def of(cls, data: bytes) -> RawPayload:
        data = bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        if len(data) > 512:
            packed = zlib.compress(data, 1)  # level 1: most of the saving for a third of level 6's time
            if len(packed) < len(data):
                return cls(digest, packed, "zlib")
        return cls(digest, data, "")

    @property
    def data(self) -> bytes:
        """The bytes exactly as received."""
        return zlib.decompress(self.stored) if self.encoding == "zlib" else self.stored


# Fields added to the records after notices were first stored. While empty they stay out of the content
# hash, so a notice read again after the upgrade is still the version it was (not a new one).
_ADDED_LATER = frozenset({"review_reasons", "aliases", "nuts", "subtype", "procedure_type"})
# Fields that never change the hash: what a notice is classified as, read since issue 15. Were they
# hashed when set, every stored eForms notice would become a new version the next time it is read.
NOT_HASHED = ("nuts", "subtype", "procedure_type")


def _plain(value):
    if dataclasses.is_dataclass(value):
        fields = value.__dict__
        if not _ADDED_LATER.isdisjoint(fields):
            fields = {k: v for k, v in fields.items() if (v or k not in _ADDED_LATER) and k not in NOT_HASHED}
        return fields
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
