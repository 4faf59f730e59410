"""Forms of the web pages: the notice search (home page, feeds), following a notice, and the officer's
notice form.

The search form only reads and checks what a person typed; the query itself is built by
``notices.search`` (the same functions as the REST API), see ``SearchForm.filters``. The officer's form
turns what was typed into the plain dict ``notices.officers`` takes (the shape of ``schemas.DraftIn``),
and puts the service's field errors back beside the fields they concern (``OfficerForms.show``).
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from notices import codes, search
from notices.display import KIND_LABELS, LANGUAGE_LABELS, SOURCE_LABELS
from notices.errors import Invalid as SearchInvalid
from notices.vocab import FOLLOWABLE_KINDS, HELSINKI, SOURCES

BEFORE_LABELS = {"P7D": _("7 days before"), "P1D": _("1 day before"), "PT2H": _("2 hours before")}
PAGE_SIZE = 20


STATUS_LABELS = {
    "open": _("Open calls"),
    "closed": _("Closed"),
    "cancelled": pgettext_lazy("notices", "Cancelled"),
    "all": _("All notices"),
}
SORT_LABELS = {
    "deadline": _("Next deadline first"),
    "newest": _("Newest first"),
    "relevance": _("Best match first (with words)"),
}
SUBTYPE_LABELS = {
    "national": _("National notices (below EU thresholds)"),
    "eu": _("EU notices"),
}
# eForms BT-105 codes; their names come from the SDK's labels (notices.codes) when loaded.
PROCEDURE_TYPES = (
    "open", "restricted", "neg-w-call", "neg-wo-call", "comp-dial", "innovation", "comp-tend", "oth-single",
    "oth-mult",
)

# What notices.search says is wrong with a filter, in the page's language, by the problem's code.
FILTER_PROBLEMS = {
    "cpv_digits": _("Give the leading digits of a CPV code, e.g. 45 or 45233000."),
    "cpv_unknown": _("No CPV code begins with %(value)s."),
    "buyer_format": _("“%(value)s” is not a business ID (Y-tunnus): seven digits, a dash, a check digit."),
    "buyer_check": _("The check digit of “%(value)s” is wrong: it should be %(digit)s (%(id)s)."),
    "region_format": _("“%(value)s” is not a NUTS region code, e.g. FI1B1 or FI19."),
    "region_unknown": _("There is no region %(value)s."),
    "range": _("The range is the wrong way round: this must not be below the first."),
    "negative": _("Must not be negative."),
    "procedure_type": _("Unknown procedure type."),
    "subtype": _("Unknown notice type."),
    "language": _("Unknown language."),
    "choice": _("Not one of the choices."),
}
# The form field beside which a search parameter's problem is shown.
PROBLEM_FIELDS = {"deadline_before": "within", "deadline_after": "within", "value_max": "value_max",
                  "value_min": "value_min"}


class SearchForm(forms.Form):
    """The home page's, the feeds' and the CSV export's filters; what they mean is ``notices.search``'s
    (``filters()`` turns them into ``search.Filters``, and ``search.check``'s problems are put beside the
    fields they concern)."""

    q = forms.CharField(
        label=_("Words"), required=False, max_length=500,
        help_text=_("Every word must match, also inside longer words; “quotes” for a phrase"),
    )
    cpv = forms.CharField(
        label=_("CPV code"), required=False, max_length=10, help_text=_("Leading digits, e.g. 45 or 4521")
    )
    cpv_name = forms.CharField(
        label=_("Find a CPV code by name"), required=False, max_length=100, help_text=_("e.g. siivous")
    )
    buyer = forms.CharField(
        label=_("Buyer's business ID"), required=False, max_length=100, help_text=_("e.g. 0206714-5")
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=list(STATUS_LABELS.items()))
    within = forms.IntegerField(
        label=_("Closing within (days)"), required=False, min_value=1, max_value=3650
    )
    region = forms.CharField(
        label=_("Region (NUTS)"), required=False, max_length=5,
        help_text=_("e.g. FI1B1 Helsinki-Uusimaa or FI19 Länsi-Suomi"),
    )
    subtype = forms.ChoiceField(label=_("Notice type"), required=False)
    procedure_type = forms.ChoiceField(label=_("Procedure"), required=False)
    value_min = forms.IntegerField(label=_("Estimated value at least (€)"), required=False, min_value=0)
    value_max = forms.IntegerField(label=_("Estimated value at most (€)"), required=False, min_value=0)
    language = forms.ChoiceField(label=_("Language of the notice"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=list(SORT_LABELS.items()))
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    FILTER_FIELDS = ("q", "cpv", "buyer", "within", "source", "status", "region", "subtype", "procedure_type",
                     "value_min", "value_max", "language")

    def __init__(self, *args, lang: str = "fi", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Any source"))] + [(s, SOURCE_LABELS[s]) for s in SOURCES]
        self.fields["subtype"].choices = [("", _("Any type"))] + list(SUBTYPE_LABELS.items())
        self.fields["procedure_type"].choices = [("", _("Any procedure"))] + [
            (code, codes.name("procurement-procedure-type", code, lang) or code) for code in PROCEDURE_TYPES
        ]
        self.fields["language"].choices = [("", _("Any language"))] + list(LANGUAGE_LABELS.items())
        self.checked: search.Filters | None = None

    def clean_cpv(self):
        try:
            return search.check_cpv(self.cleaned_data.get("cpv"))
        except SearchInvalid:
            raise ValidationError(FILTER_PROBLEMS["cpv_digits"]) from None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.checked = search.check(self._filters(data, dt.datetime.now(dt.UTC)))
        except search.InvalidFilters as error:
            for problem in error.problems:
                field = PROBLEM_FIELDS.get(problem.field, problem.field)
                text = FILTER_PROBLEMS.get(problem.code)
                message = (str(text) % problem.params if problem.params else str(text)) if text else problem.message
                self.add_error(field if field in self.fields else None, message)
        return data

    @staticmethod
    def _filters(data: dict, now: dt.datetime) -> search.Filters:
        within = data.get("within")
        return search.Filters(
            q=data.get("q") or None,
            status=data.get("status") or "open",
            cpv=data.get("cpv") or None,
            buyer=data.get("buyer") or None,
            source=data.get("source") or None,
            deadline_after=now if within else None,
            deadline_before=now + dt.timedelta(days=within) if within else None,
            region=data.get("region") or None,
            subtype=data.get("subtype") or None,
            procedure_type=data.get("procedure_type") or None,
            value_min=data.get("value_min"),
            value_max=data.get("value_max"),
            language=data.get("language") or None,
            sort=data.get("sort") or None,
        )

    def filters(self, now: dt.datetime) -> search.Filters:
        """The notices matching this form (open calls unless another status is chosen), as
        ``notices.search`` filters (call after is_valid)."""
        return self._filters(self.cleaned_data, now)

    @property
    def chosen_status(self) -> str:
        return (self.cleaned_data.get("status") if self.is_valid() else None) or "open"

    @property
    def page_number(self) -> int:
        return (self.cleaned_data.get("page") if self.is_valid() else None) or 1

    def is_filtered(self) -> bool:
        return self.is_valid() and any(
            self.cleaned_data.get(k) not in (None, "") and not (k == "status" and self.cleaned_data[k] == "open")
            for k in self.FILTER_FIELDS
        )


# --- following a notice -------------------------------------------------------------------------------


class FollowForm(forms.Form):
    """E-mail, which deadlines, how long before: starts the double opt-in (scheduler/views.follow)."""

    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    lot = forms.ChoiceField(label=_("Lot"), required=False)
    deadlines = forms.MultipleChoiceField(
        label=_("Which deadlines"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one deadline.")},
    )
    before = forms.MultipleChoiceField(
        label=_("How long before"), widget=forms.CheckboxSelectMultiple,
        choices=list(BEFORE_LABELS.items()),
        error_messages={"required": _("Choose at least one time.")},
    )

    def __init__(self, *args, notice, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = {d.kind for d in notice.deadlines.all() if d.active}
        followable = [k for k in FOLLOWABLE_KINDS if k in kinds] or ["tender"]
        self.fields["deadlines"].choices = [(k, KIND_LABELS[k]) for k in followable]
        lots = [(lot.lot_id, f"{lot.lot_id} {lot.title}".strip()) for lot in notice.lots.all()]
        if lots:
            self.fields["lot"].choices = [("", _("The whole procedure"))] + lots
        else:
            del self.fields["lot"]
        if not self.is_bound:
            closing = [k for k in followable if k in ("tender", "participation")]
            self.initial.setdefault("deadlines", closing or followable[:1])
            self.initial.setdefault("before", list(BEFORE_LABELS))


# Labels of the subscriber's pages (scheduler/views.py), kept here with the page catalogue (locale/).
STATE_LABELS = {
    "scheduled": _("scheduled"),
    "sending": _("being sent"),
    "sent": _("sent"),
    "retry": _("will be retried"),
    "failed": _("failed"),
    "missed": _("missed"),
    "cancelled": _("cancelled"),
    "skipped": _("skipped: already past"),
}
FOLLOW_LIMITED = _("Too many subscriptions in a short time; try again later.")


# --- the officer's notice form ------------------------------------------------------------------------


def _codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", text or "") if c]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


TRANSLATION_LABELS = {
    "fi": (_("Title in Finnish"), _("Description in Finnish")),
    "sv": (_("Title in Swedish"), _("Description in Swedish")),
    "en": (_("Title in English"), _("Description in English")),
}


class NoticeForm(forms.Form):
    """The notice itself; deadlines and lots are the formsets below. The title and description are in
    the notice's language; the other two languages have a title and description field each (the API's
    ``titles`` and ``descriptions``). A draft may be saved incomplete: the fields publishing needs carry
    ``publish_required`` and are marked on the page."""

    buyer = forms.ChoiceField(label=_("Buyer"), required=False)
    title = forms.CharField(label=pgettext_lazy("notice", "Title"), max_length=500, required=False)
    language = forms.ChoiceField(label=_("Language of the notice"), choices=list(LANGUAGE_LABELS.items()))
    procedure_id = forms.CharField(label=_("Procedure identifier"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    cpv = forms.CharField(
        label=_("CPV codes"), required=False, max_length=500,
        help_text=_("8 digits each, separated by spaces or commas, e.g. 45214210 45330000"),
    )
    PUBLISH_REQUIRED = ("title", "cpv")
    links = forms.CharField(
        label=_("Procurement documents"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One http or https link a line"),
    )
    contact_email = forms.CharField(label=_("Contact e-mail"), max_length=254, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=80, required=False)
    contact_street = forms.CharField(label=_("Street address"), max_length=300, required=False)
    contact_postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    contact_city = forms.CharField(label=_("City"), max_length=200, required=False)
    contact_url = forms.CharField(label=_("Web address"), max_length=500, required=False)

    def __init__(self, *args, buyers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if buyers and len(buyers) > 1:
            self.fields["buyer"].choices = [("", _("Choose the buyer"))] + buyers
            self.fields["buyer"].required = True
        else:
            del self.fields["buyer"]
        for name in self.PUBLISH_REQUIRED:
            self.fields[name].publish_required = True
        language = (self.data.get("language") if self.is_bound else None) or self.initial.get("language") or "fi"
        self.notice_language = language if language in TRANSLATION_LABELS else "fi"
        for code, (title, description) in TRANSLATION_LABELS.items():
            if code == self.notice_language:
                continue
            self.fields[f"title_{code}"] = forms.CharField(label=title, max_length=500, required=False)
            self.fields[f"description_{code}"] = forms.CharField(
                label=description, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )

    def translations(self):
        """The other languages' (title, description) bound fields, for the template."""
        return [
            (self[f"title_{code}"], self[f"description_{code}"])
            for code in TRANSLATION_LABELS
            if f"title_{code}" in self.fields
        ]


class DeadlineForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—")] + list(KIND_LABELS.items()), required=False)
    lot = forms.CharField(label=_("Lot"), max_length=100, required=False, help_text=_("Empty: the whole procedure"))
    at = forms.DateTimeField(
        label=_("Date and time (Finnish time)"), required=False, widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    def clean(self):
        data = super().clean()
        if data.get("at") and not data.get("kind"):
            self.add_error("kind", _("Choose the kind of deadline."))
        if data.get("kind") and not data.get("at") and "at" not in self.errors:
            self.add_error("at", _("Give the date and time."))
        return data

    def filled(self) -> bool:
        return bool(self.cleaned_data.get("kind") or self.cleaned_data.get("at"))


class LotForm(forms.Form):
    id = forms.CharField(
        label=_("Lot identifier"), max_length=100, required=False,
        help_text=_("As eForms names lots: LOT-0001, LOT-0002… (TED's and Hilma's copies keep it)"),
    )
    title = forms.CharField(label=_("Lot title"), max_length=500, required=False)
    cpv = forms.CharField(label=_("Lot CPV codes"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if (data.get("title") or data.get("cpv")) and not data.get("id"):
            self.add_error("id", _("Give the lot an identifier, e.g. 1 or LOT-0001."))
        return data

    def filled(self) -> bool:
        return bool(self.cleaned_data.get("id"))


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Followers get it in the cancellation mail; it is shown on the notice's page."),
        error_messages={"required": _("Say why the notice is cancelled.")},
    )


class BuyerForm(forms.Form):
    """A buyer by its business ID and name: staff create it, others ask an operator for it."""

    business_id = forms.CharField(label=_("Business ID (Y-tunnus)"), max_length=20, help_text=_("e.g. 0206714-5"))
    name = forms.CharField(label=_("Name of the buyer"), max_length=500)

    def show(self, errors) -> None:
        for error in errors:
            field = error.path[0] if error.path and error.path[0] in self.fields else None
            self.add_error(field, translate_problem(error.message))


DeadlineFormSet = forms.formset_factory(DeadlineForm, extra=2, max_num=200, absolute_max=200)
LotFormSet = forms.formset_factory(LotForm, extra=1, max_num=200, absolute_max=200)


def _aware(value: dt.datetime) -> dt.datetime:
    """A datetime typed in the form is Finnish wall-clock time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=HELSINKI)
    return value.astimezone(HELSINKI)


class OfficerForms:
    """The notice form and its two formsets, bound together; ``payload()`` is what officers.py takes."""

    def __init__(self, data=None, *, payload: dict | None = None, buyers=None, with_buyer=False, buyer=None):
        payload = payload or {}
        initial = {**_initial(payload), **({"buyer": buyer} if buyer else {})}
        self.form = NoticeForm(data, initial=initial, buyers=buyers if with_buyer else None)
        self.deadlines = DeadlineFormSet(data, prefix="deadlines", initial=_deadline_rows(payload))
        self.lots = LotFormSet(data, prefix="lots", initial=_lot_rows(payload))
        self._deadline_index: list[int] = []
        self._lot_index: list[int] = []
        self.general: list[str] = []

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.deadlines.is_valid(), self.lots.is_valid()])

    def payload(self) -> dict:
        d = self.form.cleaned_data
        language = d["language"]
        titles = {code: d[f"title_{code}"] for code in TRANSLATION_LABELS if d.get(f"title_{code}")}
        descriptions = {code: d[f"description_{code}"] for code in TRANSLATION_LABELS if d.get(f"description_{code}")}
        if d.get("description"):
            descriptions[language] = d["description"]
        data: dict = {
            "title": d.get("title") or "",
            "titles": titles,
            "language": language,
            "procedure_id": d.get("procedure_id") or None,
            "descriptions": descriptions,
            "cpv": _codes(d.get("cpv")),
            "links": [line.strip() for line in (d.get("links") or "").splitlines() if line.strip()],
        }
        contact = {
            key: d.get(f"contact_{key}") or None
            for key in ("email", "phone", "street", "postal_code", "city", "url")
        }
        data["contacts"] = [contact] if any(contact.values()) else []
        self._lot_index, lots = [], []
        for i, form in enumerate(self.lots.forms):
            if form.cleaned_data and form.filled():
                self._lot_index.append(i)
                c = form.cleaned_data
                lots.append({"id": c["id"].strip(), "title": c.get("title") or None, "cpv": _codes(c.get("cpv"))})
        data["lots"] = lots
        self._deadline_index, deadlines = [], []
        for i, form in enumerate(self.deadlines.forms):
            if form.cleaned_data and form.filled():
                self._deadline_index.append(i)
                c = form.cleaned_data
                deadlines.append(
                    {"kind": c["kind"], "lot": (c.get("lot") or "").strip() or None, "at": _aware(c["at"]).isoformat()}
                )
        data["deadlines"] = deadlines
        if "buyer" in self.form.fields:
            data["buyer"] = d.get("buyer") or None
        return data

    def show(self, errors) -> None:
        """Put ``officers.FieldError``s beside the fields they name (translated where we know them)."""
        for error in errors:
            message = translate_problem(error.message)
            path = list(error.path)
            head = path[0] if path else None
            if head == "deadlines":
                self._to_row(self.deadlines, self._deadline_index, path[1:], message)
            elif head == "lots":
                self._to_row(self.lots, self._lot_index, path[1:], message)
            elif head == "contacts" and len(path) >= 3 and f"contact_{path[2]}" in self.form.fields:
                self.form.add_error(f"contact_{path[2]}", message)
            elif head in ("title", "cpv", "links", "language", "procedure_id"):
                self.form.add_error(head, message)
            elif head in ("titles", "descriptions") and len(path) > 1 and f"{head[:-1]}_{path[1]}" in self.form.fields:
                self.form.add_error(f"{head[:-1]}_{path[1]}", message)
            elif head == "buyer" and "buyer" in self.form.fields:
                self.form.add_error("buyer", message)
            else:
                self.general.append(message)

    def _to_row(self, formset, index: list[int], rest: list, message: str) -> None:
        if not rest or not isinstance(rest[0], int) or rest[0] >= len(index):
            formset._non_form_errors = formset.error_class([*formset.non_form_errors(), message])
            return
        form = formset.forms[index[rest[0]]]
        field = rest[1] if len(rest) > 1 and rest[1] in form.fields else None
        form.add_error(field, message)

    @property
    def has_errors(self) -> bool:
        return bool(
            self.general or self.form.errors or any(f.errors for f in self.deadlines.forms)
            or any(f.errors for f in self.lots.forms) or self.deadlines.non_form_errors()
            or self.lots.non_form_errors()
        )


def _initial(payload: dict) -> dict:
    language = payload.get("language") or "fi"
    contact = (payload.get("contacts") or [{}])[0]
    titles, descriptions = payload.get("titles") or {}, payload.get("descriptions") or {}
    return {
        "title": payload.get("title") or "",
        "language": language,
        "procedure_id": payload.get("procedure_id") or "",
        "description": descriptions.get(language, ""),
        **{f"title_{code}": titles.get(code, "") for code in TRANSLATION_LABELS if code != language},
        **{f"description_{code}": descriptions.get(code, "") for code in TRANSLATION_LABELS if code != language},
        "cpv": " ".join(payload.get("cpv") or []),
        "links": "\n".join(payload.get("links") or []),
        **{f"contact_{k}": contact.get(k) or "" for k in ("email", "phone", "street", "postal_code", "city", "url")},
    }


def _deadline_rows(payload: dict) -> list[dict]:
    rows = []
    for d in payload.get("deadlines") or []:
        try:
            at = dt.datetime.fromisoformat(d.get("at")).astimezone(HELSINKI).replace(tzinfo=None)
        except (TypeError, ValueError, OverflowError):
            at = None
        rows.append({"kind": d.get("kind"), "lot": d.get("lot") or "", "at": at})
    return rows


def _lot_rows(payload: dict) -> list[dict]:
    return [
        {"id": lot.get("id"), "title": lot.get("title") or "", "cpv": " ".join(lot.get("cpv") or [])}
        for lot in payload.get("lots") or []
    ]


# --- the officer service's messages, in the page's language --------------------------------------------
# notices/officers.py words its problems in English for the API; beside a field the page shows them in
# the reader's language. A message this table does not know is shown as the service wrote it.

_KIND = r"(tender|participation|questions|opening|interest)"
_PROBLEMS = [
    (r"a title is required", _("A title is required.")),
    (r"(?P<buyer>.+) has no valid Y-tunnus; an operator must correct the buyer first",
     _("%(buyer)s has no valid business ID; an operator must correct the buyer first.")),
    (r"at least one CPV code is required", _("At least one CPV code is required.")),
    (r"(?P<code>'.*') is not a CPV code \(8 digits.*\)", _("%(code)s is not a CPV code (8 digits, e.g. 45233000).")),
    (r"lot (?P<lot>'.*') appears twice", _("Lot %(lot)s appears twice.")),
    (r"an instant with its UTC offset is required", _("Give the date and time.")),
    (r"there is no lot (?P<lot>'.*') in lots", _("There is no lot %(lot)s among the lots.")),
    (rf"a second (?P<kind>{_KIND}) deadline for .*", _("A second deadline of this kind: %(kind)s.")),
    (r"must be in the future \(it is .*\)", _("Must be in the future.")),
    (r"a call needs a tender or participation deadline", _("A call needs a tender or participation deadline.")),
    (rf"the (?P<first>{_KIND}) deadline(?: of lot (?P<lot>.+))? must come before the (?P<then>{_KIND}) deadline",
     _("The “%(first)s” must come before the “%(then)s”.")),
    (rf"the (?P<first>{_KIND}) deadline(?: of lot (?P<lot>.+))? must come no later than the (?P<then>{_KIND}) deadline",
     _("The “%(first)s” must come no later than the “%(then)s”.")),
    (r"(?P<link>'.*') is not an http or https link", _("%(link)s is not an http or https link.")),
    (r"(?P<email>'.*') is not an e-mail address", _("%(email)s is not an e-mail address.")),
    (r"(?P<phone>'.*') is not a valid phone number", _("%(phone)s is not a valid phone number.")),
    (r"name the buyer by its Y-tunnus: .*", _("Choose the buyer.")),
    (r"no buyer has the identifier (?P<id>'[^']*'); create it first",
     _("No buyer has the business ID %(id)s: add it first.")),
    (r"no buyer has the identifier (?P<id>'[^']*')(?:; .*)?", _("No buyer has the business ID %(id)s.")),
    (r"(?P<id>'.*') fails its check digit", _("%(id)s fails its check digit.")),
    (r"a business ID \(Y-tunnus\) is required", _("A business ID (Y-tunnus) is required.")),
    (r"(?P<id>'.*') is not a Finnish business ID \(Y-tunnus\)", _("%(id)s is not a Finnish business ID (Y-tunnus).")),
    (r"a name is required", _("A name is required.")),
    (r"(?P<buyer>.+) already has the business ID (?P<id>.+)\.", _("%(buyer)s already has the business ID %(id)s.")),
    (r"You are an officer of (?P<buyer>.+) already\.", _("You are an officer of %(buyer)s already.")),
    (r"You have asked for (?P<id>.+) already; an operator will look at it\.",
     _("You have asked for %(id)s already; an operator will look at it.")),
]
_PROBLEMS = [(re.compile(f"^{pattern}$", re.S), text) for pattern, text in _PROBLEMS]
KIND_NAMES = {
    "tender": pgettext_lazy("in a sentence", "tender deadline"),
    "participation": pgettext_lazy("in a sentence", "deadline for requests to participate"),
    "questions": pgettext_lazy("in a sentence", "deadline for questions"),
    "opening": pgettext_lazy("in a sentence", "opening of tenders"),
    "interest": pgettext_lazy("in a sentence", "deadline for expressions of interest"),
}


def translate_problem(message: str) -> str:
    for pattern, text in _PROBLEMS:
        match = pattern.match(message)
        if match:
            values = {k: str(KIND_NAMES.get(v, v)) for k, v in match.groupdict().items() if v is not None}
            return str(text) % values if values else str(text)
    return message
