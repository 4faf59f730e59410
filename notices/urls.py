from django.urls import path

from notices import views

app_name = "notices"
urlpatterns: list = [
    path("notices/<int:pk>/summary.pdf", views.notice_summary_pdf, name="summary_pdf"),
]
