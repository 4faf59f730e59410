"""The officer's eForms export on the pages: the eForms fields in the notice form, "Check against Hilma /
TED rules" with each failed rule beside its field, "Download eForms XML", submission to TED and its
state, and the steps of an upload in Hilma.

The officer's form (``officer_draft``, ``officer_notice`` in ``views``) carries an ``EformsPart``: the
eForms fields a draft lacks (``notices.export.fields``, defaults shown, "empty: derived from ..." said
beside them), saved with the draft. Its two check buttons run ``notices.export.service.check`` with
``checks.ask`` as the rules: the page never compiles the publishers' rules, it asks the process that holds
them compiled and says "the rules are being prepared; try again in a minute" when none does. Each finding
is put beside the form field it concerns: the rule's id, the field's label from the SDK's translations and
what the rule requires, in the page's language; findings no form field answers for are listed as such.
"""

from __future__ import annotations

import copy
import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from notices import errors, officers
from notices.errors import FieldError
from notices.export import checks, fields, service
from notices.export.validate import Finding
from notices.models import Draft, EformsNotice
from notices.vocab import LANGUAGES

# The buttons of the officer's form that check the notice, and the kind of eForms notice each checks.
CHECKS = {"eforms-check-national": "national", "eforms-check-eu": "eu"}
KIND_LABELS = {"national": gettext_lazy("Hilma (national notice)"), "eu": gettext_lazy("TED (EU notice)")}
STATE_LABELS = {
    EformsNotice.State.EXPORTED: gettext_lazy("exported (downloaded)"),
    EformsNotice.State.SUBMITTED: gettext_lazy("submitted to TED, waiting for publication"),
    EformsNotice.State.VALIDATION_FAILED: gettext_lazy("refused by TED's validation"),
    EformsNotice.State.PUBLISHED: gettext_lazy("published"),
    EformsNotice.State.STOPPED: gettext_lazy("publication stopped"),
    EformsNotice.State.NOT_PUBLISHED: gettext_lazy("not published"),
    EformsNotice.State.ERROR: gettext_lazy("error"),
}
WHAT_LABELS = {
    "": gettext_lazy("contract notice"),
    "update-add": gettext_lazy("correction (change notice)"),
    "cancel": gettext_lazy("cancellation (change notice)"),
}
PASSES = {
    "national": gettext_lazy("The notice passes Hilma's rules (XML Schema and business rules)."),
    "eu": gettext_lazy("The notice passes TED's rules (XML Schema and business rules)."),
}
_url = URLValidator(schemes=["http", "https"])
officer_required = login_required(login_url=reverse_lazy("notices:officer_login"))


def language() -> str:
    lang = (get_language() or "").split("-")[0]
    return lang if lang in LANGUAGES else LANGUAGES[0]


def _choices(list_name: str, codes=None, lang: str = "fi", blank=None) -> list[tuple[str, str]]:
    known = fields.codes(list_name)
    wanted = codes if codes is not None else sorted(known)
    out = [(code, f"{known.get(code, {}).get(lang) or code} ({code})") for code in wanted]
    return ([("", blank)] if blank is not None else []) + out


def _nuts_choices(lang: str, current: list[str], blank) -> list[tuple[str, str]]:
    """NUTS 3 regions of Finland (and any code already stored), labelled in the page language."""
    known = fields.codes("nuts")
    wanted = sorted({c for c in known if c.startswith("FI") and len(c) == 5} | {c for c in current if c})
    return [("", blank)] + [(c, f"{c} {known.get(c, {}).get(lang) or ''}".strip()) for c in wanted]


# ---------------------------------------------------------------------- the form


class EformsForm(forms.Form):
    """What an eForms notice needs that the notice form does not ask (``DraftEforms``)."""

    legal_basis = forms.ChoiceField(label=gettext_lazy("Legal basis of an EU notice (BT-01)"))
    national_legislation = forms.ChoiceField(label=gettext_lazy("Applicable legislation, Hilma (FI-11)"))
    local_legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis of a national notice (BT-01(f))"), max_length=400, required=False
    )
    procedure_type = forms.ChoiceField(label=gettext_lazy("Type of procedure (BT-105)"))
    contract_nature = forms.ChoiceField(label=gettext_lazy("Main nature of the contract (BT-23)"), required=False)
    buyer_legal_type = forms.ChoiceField(label=gettext_lazy("Legal type of the buyer (BT-11)"))
    buyer_activity = forms.ChoiceField(label=gettext_lazy("Main activity of the buyer (BT-10)"))
    buyer_nuts = forms.ChoiceField(label=gettext_lazy("Buyer's region, NUTS 3 (BT-507)"), required=False)
    performance_nuts = forms.ChoiceField(
        label=gettext_lazy("Place of performance, NUTS 3 (BT-5071)"), required=False
    )
    submission_method = forms.ChoiceField(label=gettext_lazy("Electronic submission (BT-17)"))
    submission_url = forms.CharField(
        label=gettext_lazy("Address for submission (BT-18)"), max_length=500, required=False
    )
    tender_languages = forms.CharField(
        label=gettext_lazy("Languages of tenders (BT-97)"), max_length=100, required=False,
    )
    contract_start = forms.DateField(
        label=gettext_lazy("Start of the contract (BT-536)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    contract_months = forms.IntegerField(
        label=gettext_lazy("Duration of the contract, months (BT-36)"), min_value=1, max_value=999
    )
    tender_validity_months = forms.IntegerField(
        label=gettext_lazy("Tenders valid for, months (BT-98)"), min_value=1, max_value=120
    )
    predicted_value_over_threshold = forms.BooleanField(
        label=gettext_lazy("Estimated value exceeds the national threshold (FI-30)"), required=False
    )
    eu_applicable = forms.BooleanField(label=gettext_lazy("EU directives apply (FI-20)"), required=False)
    review_name = forms.CharField(label=gettext_lazy("Review body (OPT-301)"), max_length=300, required=False)
    review_company_id = forms.CharField(label=gettext_lazy("Its business ID"), max_length=40, required=False)
    review_street = forms.CharField(label=gettext_lazy("Street address"), max_length=300, required=False)
    review_postal_code = forms.CharField(label=gettext_lazy("Postal code"), max_length=20, required=False)
    review_city = forms.CharField(label=gettext_lazy("City"), max_length=200, required=False)
    review_nuts = forms.ChoiceField(label=gettext_lazy("Region, NUTS 3"), required=False)
    review_email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    review_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=80, required=False)
    review_url = forms.CharField(label=gettext_lazy("Web address"), max_length=500, required=False)

    REVIEW = ("name", "company_id", "street", "postal_code", "city", "nuts", "email", "phone", "url")

    def __init__(self, data=None, *, row, values: dict, lang: str, **kwargs):
        self.row = row
        review = dict(row.review_body or {})
        criteria = list(row.award_criteria or [])
        initial = {name: getattr(row, name) for name in fields.EDITABLE if name not in ("review_body", "award_criteria")}
        initial["tender_languages"] = " ".join(row.tender_languages or [])
        initial.update({f"review_{key}": review.get(key) or "" for key in self.REVIEW})
        for i, item in enumerate(criteria):
            item = item if isinstance(item, dict) else {}
            initial.update({f"award_{i}_type": item.get("type") or "", f"award_{i}_weight": item.get("weight"),
                            f"award_{i}_description": item.get("description") or ""})
        super().__init__(data, initial=initial, **kwargs)
        derived = _("Empty: %(what)s (now: %(value)s)")
        f = self.fields
        f["legal_basis"].choices = _choices("legal-basis", fields.EU_LEGAL_BASES, lang)
        f["national_legislation"].choices = [(c, c) for c in fields.NATIONAL_LEGISLATION]
        f["procedure_type"].choices = _choices("procurement-procedure-type", fields.PROCEDURE_TYPES, lang)
        f["contract_nature"].choices = _choices("contract-nature", None, lang, blank=_("From the main CPV code"))
        f["buyer_legal_type"].choices = _choices("buyer-legal-type", None, lang)
        f["buyer_activity"].choices = _choices("authority-activity", None, lang)
        stored = [row.buyer_nuts, row.performance_nuts, review.get("nuts") or ""]
        f["buyer_nuts"].choices = _nuts_choices(lang, stored, _("Not given yet"))
        f["performance_nuts"].choices = _nuts_choices(lang, stored, _("The buyer's region"))
        f["review_nuts"].choices = _nuts_choices(lang, stored, "—")
        f["submission_method"].choices = _choices("esubmission", None, lang)
        nature = fields.codes("contract-nature").get(values["contract_nature"].value, {}).get(lang)
        hints = {
            "contract_nature": (_("from the main CPV code"), nature or values["contract_nature"].value),
            "performance_nuts": (_("the buyer's region"), values["performance_nuts"].value or "—"),
            "submission_url": (_("the first procurement document link"), values["submission_url"].value or "—"),
            "tender_languages": (_("the language of the notice"), " ".join(values["tender_languages"].value)),
            "contract_start": (_("the first of a month at least 30 days after closing"),
                               values["contract_start"].value or "—"),
        }
        for name, (what, value) in hints.items():
            f[name].help_text = derived % {"what": what, "value": value}
        f["buyer_nuts"].help_text = _("Kept for the buyer's next notices.")
        f["tender_languages"].help_text = _("Two-letter codes separated by spaces, e.g. fi sv. %(derived)s") % {
            "derived": f["tender_languages"].help_text}
        f["national_legislation"].help_text = _(
            "procurement-legislation: the procurement act; defence-legislation: the act on defence and security procurement"  # noqa: E501
        )
        f["review_name"].help_text = _("Where a tenderer may seek review; by default the Market Court.")
        rows = max(3, len(criteria) + 1)
        self.award_rows = []
        for i in range(rows):
            f[f"award_{i}_type"] = forms.ChoiceField(
                label=_("Award criterion %(number)s (BT-539)") % {"number": i + 1}, required=False,
                choices=_choices("award-criterion-type", fields.AWARD_CRITERION_TYPES, lang, blank="—"),
            )
            f[f"award_{i}_weight"] = forms.DecimalField(
                label=_("Weight, % (BT-541)"), required=False, min_value=0, max_value=100, decimal_places=2
            )
            f[f"award_{i}_description"] = forms.CharField(
                label=_("Description (BT-540)"), required=False, max_length=400
            )
            self.award_rows.append(i)

    def clean_submission_url(self):
        url = (self.cleaned_data.get("submission_url") or "").strip()
        if url:
            try:
                _url(url)
            except DjangoValidationError:
                raise forms.ValidationError(_("Give an http or https link.")) from None
        return url

    def clean_tender_languages(self):
        return [code.lower() for code in re.split(r"[\s,;]+", self.cleaned_data.get("tender_languages") or "") if code]

    def award_fields(self):
        """Rows of the award criteria's bound fields, for the template."""
        return [(self[f"award_{i}_type"], self[f"award_{i}_weight"], self[f"award_{i}_description"])
                for i in self.award_rows]

    def review_fields(self):
        return [self[f"review_{key}"] for key in self.REVIEW]

    def data_for_row(self) -> dict:
        """The cleaned form as ``notices.export.fields.update`` takes it."""
        d = self.cleaned_data
        data = {name: d[name] for name in fields.EDITABLE if name in d}
        data["contract_nature"] = data.get("contract_nature") or ""
        review = dict(self.row.review_body or {})  # keeps what the form does not show (names in sv, en)
        review.update({key: d.get(f"review_{key}") or "" for key in self.REVIEW})
        review.setdefault("country", "FI")
        data["review_body"] = review
        criteria = []
        self.award_index = []
        for i in self.award_rows:
            kind, weight = d.get(f"award_{i}_type"), d.get(f"award_{i}_weight")
            description = d.get(f"award_{i}_description") or ""
            if not kind and weight is None and not description:
                continue
            self.award_index.append(i)
            item = {"type": kind or "", "weight": float(weight) if weight is not None else None}
            if weight is not None and weight == int(weight):
                item["weight"] = int(weight)
            if description:
                item["description"] = description
            criteria.append(item)
        data["award_criteria"] = criteria
        return data


class EformsPart:
    """The eForms fields of one officer's notice in its form, and what a check found about them."""

    def __init__(self, data, draft: Draft, forms_):
        self.draft = draft
        self.forms = forms_
        self.row = fields.of(draft)
        self.lang = language()
        if data is not None and not any(key.startswith("eforms-") for key in data):
            data = None  # a post without the eForms fields (an older form): they stay as they are
        self.form = EformsForm(data, prefix="eforms", row=self.row,
                               values=fields.values(self.row, draft.payload or {}), lang=self.lang)
        self.unmapped: list[str] = []  # findings that concern no field of the form
        self.checked: str | None = None  # the kind of the check shown, if any

    def is_valid(self) -> bool:
        if not self.form.is_bound:
            return True
        if not self.form.is_valid():
            self.forms.general.append(_("The eForms fields have problems; each is shown beside its field."))
            return False
        candidate = copy.copy(self.row)
        data = self.form.data_for_row()
        for name, value in data.items():
            setattr(candidate, name, value)
        found = fields.check(candidate)
        if found:
            self.place(found)
            self.forms.general.append(_("The eForms fields have problems; each is shown beside its field."))
            return False
        return True

    def save(self) -> None:
        """Save the eForms fields (after ``is_valid``)."""
        if self.form.is_bound:
            fields.update(self.row, self.form.data_for_row())

    def place(self, findings: list[Finding]) -> None:
        """Each finding beside its field: the notice's own fields in the notice form (``forms.show``), the
        eForms fields here; the others are listed as not mapped to a field."""
        shown = set()
        for finding in findings:
            text = describe(finding, self.lang)
            path = list(finding.path) if finding.path is not None else None
            if (tuple(path or ()), text) in shown:
                continue  # the same rule on each lot: once beside the field is enough
            shown.add((tuple(path or ()), text))
            if not path:
                self.unmapped.append(text)
            elif path[0] == "eforms":
                self._here(path[1:], text)
            elif path[0] == "descriptions":
                form = self.forms.form
                language_ = path[1] if len(path) > 1 else None
                main = (form.cleaned_data.get("language") if hasattr(form, "cleaned_data") else None) or \
                    (self.draft.payload or {}).get("language") or "fi"
                name = next((n for n in (f"description_{language_}", "description" if language_ == main else "")
                             if n and n in form.fields), None)
                if name:
                    form.add_error(name, text)
                else:
                    self.forms.general.append(text)
            else:
                self.forms.show([FieldError(tuple(path), text)])

    def _here(self, path: list, text: str) -> None:
        form = self.form
        name = path[0] if path else None
        if name == "review_body":
            key = path[1] if len(path) > 1 else "name"
            form.add_error(f"review_{key}" if f"review_{key}" in form.fields else "review_name", text)
        elif name == "award_criteria":
            index = getattr(form, "award_index", [])
            row = index[path[1]] if len(path) > 1 and isinstance(path[1], int) and path[1] < len(index) else 0
            part = path[2] if len(path) > 2 else "type"
            form.add_error(f"award_{row}_{part}" if f"award_{row}_{part}" in form.fields else "award_0_type", text)
        elif name in form.fields:
            form.add_error(name, text)
        else:
            self.unmapped.append(text)

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors or self.unmapped)

    # -- what the template shows beside the form

    def states(self) -> list[dict]:
        shown = []
        for item in service.states(self.draft):
            findings = [Finding.from_json(f) for f in item["report"] or []]
            shown.append({
                **item,
                "kind_label": KIND_LABELS.get(item["kind"], item["kind"]),
                "what": WHAT_LABELS.get(item["change_reason"] or "", item["change_reason"]),
                "state_label": STATE_LABELS.get(item["state"], item["state"]),
                "findings": [describe(f, self.lang) for f in findings],
            })
        return shown

    @property
    def published(self) -> bool:
        return self.draft.notice_id is not None

    def urls(self) -> dict:
        if self.draft.notice_id is not None:
            notice = self.draft.notice_id
            return {
                "xml": reverse("notices:officer_eforms_xml", args=[notice]),
                "hilma": reverse("notices:officer_eforms_hilma", args=[notice]),
                "submit": reverse("notices:officer_eforms_submit", args=[notice]),
                "refresh": reverse("notices:officer_eforms_refresh", args=[notice]),
            }
        return {
            "xml": reverse("notices:officer_draft_eforms_xml", args=[self.draft.pk]),
            "hilma": reverse("notices:officer_draft_eforms_hilma", args=[self.draft.pk]),
        }

    @property
    def ted_configured(self) -> bool:
        from django.conf import settings

        return bool(settings.TED_ESENDER_TOKEN)

    @property
    def submitted(self) -> bool:
        return self.draft.eforms_notices.filter(state=EformsNotice.State.SUBMITTED).exists()


def describe(finding: Finding, lang: str) -> str:
    """One finding as the officer reads it beside the field: rule, the field's label, what it requires."""
    label = finding.label(lang) if finding.field else ""
    text = finding.message(lang)
    head = f"{finding.rule} · {label}" if label else finding.rule
    if not finding.blocking:
        head = _("Warning %(rule)s") % {"rule": head}
    return f"{head}: {text}" if text else head


# ---------------------------------------------------------------------- the form's check buttons


def typed(draft: Draft, forms_) -> dict:
    """The notice as the form holds it (a correction not yet published), over the stored content."""
    data = forms_.payload()
    return {**(draft.payload or {}), **{k: v for k, v in data.items() if v is not None and k != "buyer"}}


def check(request, draft: Draft, forms_, eforms: EformsPart, action: str, *, content: dict | None = None) -> None:
    """Run the check a button asked for and put each finding beside its field. Passing: a message and
    nothing raised. Failing: ``errors.Invalid`` (the view shows the form with the findings). No validator
    ready: a message saying the rules are being prepared."""
    kind = CHECKS[action]
    eforms.checked = kind
    try:
        report = service.check(draft, kind, content=content, rules=checks.ask)
    except checks.RulesNotReady:
        messages.warning(request, _("The rules are being prepared; try again in a minute."))
        return
    except errors.Unavailable as exc:
        messages.error(request, _("The rules could not be run on this notice: %(error)s") % {"error": exc.message})
        return
    except (service.ExportError, ValueError) as exc:
        forms_.general.append(_("The notice cannot be made into eForms yet: %(error)s") % {"error": exc})
        raise errors.Invalid(str(exc)) from None
    eforms.place(report.findings)
    if report.ok:
        messages.success(request, PASSES[kind])
        for text in dict.fromkeys(describe(finding, eforms.lang) for finding in report.findings):
            messages.warning(request, text)
        return
    blocking = len(report.errors)
    forms_.general.insert(0, _("%(count)s of the rules of %(where)s fail; each is shown beside its field.")
                          % {"count": blocking, "where": KIND_LABELS[kind]})
    if eforms.unmapped:
        forms_.general.append(_("Some concern no field of the form: they are listed under the eForms fields."))
    raise errors.Invalid("The notice does not pass the publisher's rules.")


# ---------------------------------------------------------------------- downloads, TED, Hilma


def _officer_notice(request, *, draft_id=None, notice_id=None) -> Draft:
    try:
        if notice_id is not None:
            return officers.get_published(request.user, notice_id)
        return officers.get_draft(request.user, draft_id)
    except errors.NotFound as exc:
        raise Http404(exc.message) from None
    except errors.NotAllowed as exc:
        raise PermissionDenied(exc.message) from None


def _back(draft: Draft):
    if draft.notice_id is not None:
        return redirect("notices:officer_notice", draft.notice_id)
    return redirect("notices:officer_draft", draft.pk)


@officer_required
@require_safe
def download(request, draft_id=None, notice_id=None):
    """GET ...eforms.xml?kind=national|eu: the notice's eForms XML as it stands (kept as exported)."""
    kind = request.GET.get("kind") or ""
    if kind not in CHECKS.values():
        return HttpResponseBadRequest("kind must be national or eu\n", content_type="text/plain")
    draft = _officer_notice(request, draft_id=draft_id, notice_id=notice_id)
    try:
        notice = service.export(draft, kind)
    except (service.ExportError, ValueError) as exc:
        messages.error(request, _("The notice cannot be made into eForms yet: %(error)s") % {"error": exc})
        return _back(draft)
    response = HttpResponse(bytes(notice.xml), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{service.filename(notice)}"'
    return response


@officer_required
@require_POST
def submit(request, notice_id: int):
    """Send the notice's EU eForms notice to TED (after a clean check by TED's rules)."""
    draft = _officer_notice(request, notice_id=notice_id)
    try:
        notice = service.submit(draft, user=request.user, rules=checks.ask)
    except checks.RulesNotReady:
        messages.warning(request, _("The rules are being prepared; try again in a minute."))
    except errors.Unavailable as exc:
        messages.error(request, _("The rules could not be run on this notice: %(error)s") % {"error": exc.message})
    except service.ExportError as exc:
        messages.error(request, _(
            "Nothing was sent: the notice does not pass TED's rules (%(count)s problems). Check it against TED's rules to see each beside its field."  # noqa: E501
        ) % {"count": len(exc.findings)})
    else:
        if notice.state == EformsNotice.State.ERROR:
            messages.error(request, _("TED did not take the notice: %(error)s") % {"error": notice.last_error})
        elif notice.state == EformsNotice.State.VALIDATION_FAILED:
            messages.error(request, _("TED's validation refused the notice; its report is below."))
        else:
            messages.success(request, _("Submitted to TED: %(state)s.")
                             % {"state": STATE_LABELS.get(notice.state, notice.state)})
    return _back(draft)


@officer_required
@require_POST
def refresh(request, notice_id: int):
    """Ask TED again what became of this notice's submissions."""
    draft = _officer_notice(request, notice_id=notice_id)
    for notice in draft.eforms_notices.filter(state=EformsNotice.State.SUBMITTED):
        service.refresh(notice)
    messages.info(request, _("TED was asked about the submission."))
    return _back(draft)


@officer_required
@require_safe
def hilma(request, draft_id=None, notice_id=None):
    """The steps of handing the national eForms notice to Hilma by hand."""
    draft = _officer_notice(request, draft_id=draft_id, notice_id=notice_id)
    part = EformsPart(None, draft, _NoForms())
    back = (reverse("notices:officer_notice", args=[draft.notice_id]) if draft.notice_id
            else reverse("notices:officer_draft", args=[draft.pk]))
    return render(request, "officer/eforms_hilma.html", {
        "draft": draft, "eforms": part, "back": back,
        "title": (draft.payload or {}).get("title") or "",
    })


class _NoForms:
    """A stand-in notice form for pages that show the eForms part without the notice form."""

    def __init__(self):
        self.general: list[str] = []

    def show(self, errors_) -> None:
        self.general.extend(e.message for e in errors_)
