from django.urls import path

from notices.web import feeds, views

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
    path("officer/drafts/<int:draft_id>/", views.officer_draft, name="officer_draft"),
    path("officer/notices/<int:notice_id>/", views.officer_notice, name="officer_notice"),
    path("officer/notices/<int:notice_id>/cancel/", views.officer_cancel, name="officer_cancel"),
]
