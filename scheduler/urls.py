from django.urls import path

from scheduler import views

app_name = "scheduler"
urlpatterns = [
    path("subscriptions/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscriptions/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("notices/<int:pk>/follow/", views.follow, name="follow"),
    path("notices/<int:pk>/follow/sent/", views.follow_sent, name="follow_sent"),
    path("subscriptions/<str:token>/", views.reminders, name="reminders"),
    path("subscriptions/<str:token>/calendar.ics", views.calendar, name="calendar"),
]
