"""Public pages: opendata."""

urlpatterns = []
