from django.contrib import admin
from django.urls import include, path

from tracker.api import api

handler500 = "tracker.request_ids.server_error"  # logged with the request's id; the API's error shape under /api/
# The site's own 404, 403 and 400 pages (in the page language and layout, saying what was wrong).
handler404 = "notices.web.errors.not_found"
handler403 = "notices.web.errors.forbidden"
handler400 = "notices.web.errors.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the pages' language switch (POST)
    # The pages: "/" is the open calls; notices, buyers, feeds (/feeds/notices.atom, /feeds/deadlines.ics)
    # and officers' pages in notices.web.urls; following, confirming, "your reminders" in scheduler.urls.
    path("", include("notices.web.urls")),
    path("", include("scheduler.urls")),
]
