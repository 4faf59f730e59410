"""The project's one NinjaAPI; each app mounts its router here."""

from ninja import NinjaAPI

api = NinjaAPI(title="Procurement notice tracker API", version="1")
