"""The site's 404, 403 and 400 pages: in the page language, in the site's layout, saying what was wrong.

``tracker/urls.py`` names ``not_found``, ``forbidden`` and ``bad_request`` as Django's handlers
(with ``DEBUG`` off). A page that knows why something is missing raises ``Missing`` with a sentence for a
person, in the active language; any other ``Http404`` is shown with a general sentence (its message is
for developers and may be English). Views that refuse their input answer with ``bad_request_page`` and
the reasons, so nothing is logged as an error with a traceback: a bad filter is the client's mistake.
(The API has its own JSON error shape; 500 pages are not made here.)
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token


class Missing(Http404):
    """404 with ``reason``, a sentence for a person in the active language (shown on the page)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = str(reason)


@requires_csrf_token
def not_found(request, exception=None):
    reason = exception.reason if isinstance(exception, Missing) else _("There is no page at this address.")
    return render(request, "404.html", {"reason": reason, "path": request.path}, status=404)


@requires_csrf_token
def forbidden(request, exception=None):
    # The services' refusals are worded for the API, in English; the page says it in the page language.
    return render(request, "403.html", {}, status=403)


def bad_request_page(request, reasons: list[str]):
    """400 in the site's layout, listing what was wrong with the request."""
    return render(request, "400.html", {"reasons": [str(r) for r in reasons]}, status=400)


@requires_csrf_token
def bad_request(request, exception=None):
    # Django's own refusals (a malformed request, too many fields...) say nothing a visitor can act on.
    return bad_request_page(request, [_("The request could not be understood.")])


def form_reasons(form) -> list[str]:
    """A bound form's errors as sentences naming their fields: "CPV code: Give the leading digits..."."""
    reasons = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else name
        reasons += [f"{label}: {error}" if name != "__all__" else str(error) for error in errors]
    return reasons
