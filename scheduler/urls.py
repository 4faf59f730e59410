from django.urls import path

from scheduler import alert_views, views

app_name = "scheduler"
urlpatterns = [
    path("subscriptions/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscriptions/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notices/<int:pk>/follow/", views.follow, name="follow"),
    path("notices/<int:pk>/follow/sent/", views.follow_sent, name="follow_sent"),
    path("subscriptions/<str:token>/", views.reminders, name="reminders"),
    path("subscriptions/<str:token>/calendar.ics", views.calendar, name="calendar"),
    # Alerts (saved searches) and the page of one address (scheduler/alert_views.py).
    path("alerts/new/", alert_views.alert_new, name="alert_new"),
    path("alerts/sent/", alert_views.alert_sent, name="alert_sent"),
    path("alerts/confirm/<str:token>/", alert_views.alert_confirm, name="alert_confirm"),
    path("alerts/unsubscribe/<str:token>/", alert_views.alert_unsubscribe, name="alert_unsubscribe"),
    path("alerts/remind/<str:token>/", alert_views.remind, name="remind"),
    path("alerts/<str:token>/", alert_views.alert_page, name="alert_page"),
    path("alerts/<str:token>/feed.atom", alert_views.alert_feed, name="alert_feed"),
    path("my/", alert_views.address_request, name="address_request"),
    path("my/<str:token>/", alert_views.address, name="address"),
    path("my/<str:token>/calendar.ics", alert_views.address_calendar, name="address_calendar"),
]
