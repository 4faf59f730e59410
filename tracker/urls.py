from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from tracker.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("notices.urls")),
    path("", include("scheduler.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
