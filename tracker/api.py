"""The project's one NinjaAPI; each app mounts its router here."""

from ninja import NinjaAPI

from notices.api import router as notices_router
from scheduler.api import router as scheduler_router

api = NinjaAPI(title="Procurement notice tracker API", version="1")
api.add_router("/", notices_router)
api.add_router("/", scheduler_router)
