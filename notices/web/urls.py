from django.urls import path

from notices.web import export, feeds, views

app_name = "notices"
urlpatterns: list = [
    path("", views.home, name="home"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/summary.pdf", views.notice_summary_pdf, name="summary_pdf"),
    path("buyers/<str:identifier>/", views.buyer_detail, name="buyer"),
    path("feeds/notices.atom", feeds.NoticesFeed(), name="feed_atom"),
    path("feeds/deadlines.ics", feeds.deadlines_ics, name="feed_ics"),
    path("notices.csv", feeds.notices_csv, name="export_csv"),
    path("officer/login/", views.OfficerLoginView.as_view(), name="officer_login"),
    path("officer/logout/", views.OfficerLogoutView.as_view(), name="officer_logout"),
    path("officer/", views.officer_home, name="officer_home"),
    path("officer/new/", views.officer_new, name="officer_new"),
    path("officer/buyers/new/", views.officer_buyer, name="officer_buyer"),
    path("officer/drafts/<int:draft_id>/", views.officer_draft, name="officer_draft"),
    path("officer/drafts/<int:draft_id>/preview/", views.officer_preview, name="officer_preview"),
    path("officer/drafts/<int:draft_id>/preview.pdf", views.officer_preview_pdf, name="officer_preview_pdf"),
    path("officer/notices/<int:notice_id>/", views.officer_notice, name="officer_notice"),
    path("officer/notices/<int:notice_id>/cancel/", views.officer_cancel, name="officer_cancel"),
    # The eForms export (notices/web/export.py).
    path("officer/drafts/<int:draft_id>/eforms.xml", export.download, name="officer_draft_eforms_xml"),
    path("officer/drafts/<int:draft_id>/eforms/hilma/", export.hilma, name="officer_draft_eforms_hilma"),
    path("officer/notices/<int:notice_id>/eforms.xml", export.download, name="officer_eforms_xml"),
    path("officer/notices/<int:notice_id>/eforms/hilma/", export.hilma, name="officer_eforms_hilma"),
    path("officer/notices/<int:notice_id>/eforms/submit/", export.submit, name="officer_eforms_submit"),
    path("officer/notices/<int:notice_id>/eforms/refresh/", export.refresh, name="officer_eforms_refresh"),
]
